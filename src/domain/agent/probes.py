"""Probe compensation (SPEC §2.4).

Some Linkerd versions put no ``route_name`` on latency histograms, so kubelet
probes cannot be filtered out of them. Probes are assumed to be the fastest
requests: each one is taken out of every cumulative bucket and out of the
count, floored at zero. The sum is left alone (probes add next to nothing to it).
"""

from __future__ import annotations

from collections.abc import Mapping


def compensate(buckets: Mapping[str, float], count: float, probes: float) -> tuple[dict[str, float], float]:
    """Buckets and count with ``probes`` requests removed; cumulative order is preserved."""
    if probes <= 0:
        return dict(buckets), count
    return {le: max(value - probes, 0.0) for le, value in buckets.items()}, max(count - probes, 0.0)
