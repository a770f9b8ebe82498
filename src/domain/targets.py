"""SLO targets and status changes (SPEC §4, §5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from domain.slo_windows import WINDOWS

TargetType = Literal["service", "ingress"]
TargetWindow = Literal["1d", "7d", "28d", "30d", "week", "month"]
TARGET_TYPES: tuple[str, ...] = ("service", "ingress")
TARGET_WINDOWS: tuple[str, ...] = WINDOWS


@dataclass(frozen=True, slots=True)
class TargetRecord:
    """A target for one workload (key ``namespace/name``) or one domain or backend
    (key: the domain, or the ``ns-svc-port`` service key) in one cluster, over one window.

    It holds up to two objectives (SPEC §10): availability (``availability_target`` %) and
    latency (``latency_target`` % of requests within ``latency_threshold_ms``). ``p95_target_ms``
    is the warning threshold of the status; ``None`` means the master's default.
    """

    cluster_id: str
    target_type: str
    key: str
    window: str
    availability_target: float | None
    p95_target_ms: float | None
    updated_at: int = 0
    latency_threshold_ms: float | None = None
    latency_target: float | None = None
    alerting: bool = True


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
