"""The objectives a target holds (SPEC §10): availability, latency, or both."""

from __future__ import annotations

from domain.objectives import AvailabilityObjective, LatencyObjective, Objective
from domain.targets import TargetRecord

DEFAULT_ALERT_WINDOW = "30d"


def objectives_of(target: TargetRecord) -> list[Objective]:
    out: list[Objective] = []
    if target.availability_target is not None:
        out.append(AvailabilityObjective(target.availability_target))
    if target.latency_threshold_ms is not None and target.latency_target is not None:
        out.append(LatencyObjective(target.latency_threshold_ms, target.latency_target))
    return out


def default_target(cluster_id: str, target_type: str, key: str, availability: float,
                   p95_ms: float) -> TargetRecord:
    """What ``--alert-on-defaults`` judges a key without a target by: availability over 30 d."""
    return TargetRecord(cluster_id=cluster_id, target_type=target_type, key=key, window=DEFAULT_ALERT_WINDOW,
                        availability_target=availability, p95_target_ms=p95_ms)
