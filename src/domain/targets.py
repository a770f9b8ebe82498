"""SLO targets and status changes (SPEC §4, §5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TargetType = Literal["service", "ingress"]
TargetWindow = Literal["1d", "7d", "30d"]
TARGET_TYPES: tuple[str, ...] = ("service", "ingress")
TARGET_WINDOWS: dict[str, int] = {"1d": 86400, "7d": 7 * 86400, "30d": 30 * 86400}


@dataclass(frozen=True, slots=True)
class TargetRecord:
    """A target for one workload (key ``namespace/name``) or one domain or backend
    (key: the domain, or the ``ns-svc-port`` service key) in one cluster."""

    cluster_id: str
    target_type: str
    key: str
    window: str
    availability_target: float
    p95_target_ms: float
    updated_at: int = 0


@dataclass(frozen=True, slots=True)
class StatusChange:
    cluster_id: str
    target_type: str
    key: str
    old_status: str
    new_status: str
    availability: float | None
    p95: float | None
    error_budget: float | None
    changed_at: int
    id: int | None = None


def workload_id(namespace: str, name: str) -> str:
    """Mesh node id and service target key: ``namespace/name`` (not an ingress ``service_key``)."""
    return f"{namespace}/{name}"
