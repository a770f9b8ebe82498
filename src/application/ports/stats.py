"""Stitched traffic totals over a time range (SPEC §6 query strategy).

Complete hours come from hourly rows whose rollup is fresh, everything else
from raw rows, so the answer is exact whether or not the aggregator has run.
Ranges are half-open ``(start, end]`` in unix seconds.
"""

from __future__ import annotations

from typing import Protocol

from domain.rollup import EdgeKey, WorkloadKey
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals

__all__ = ["EdgeKey", "StatsReader", "WorkloadKey"]


class StatsReader(Protocol):
    def clusters(self) -> list[str]: ...

    def covered_seconds(self, cluster_id: str, start: int, end: int) -> float:
        """Sum of the snapshot windows of this cluster in the range: the rps denominator."""
        ...

    def workload_totals(self, cluster_id: str, start: int, end: int) -> dict[WorkloadKey, WorkloadTotals]: ...

    def edge_totals(self, cluster_id: str, start: int, end: int) -> dict[EdgeKey, EdgeTotals]: ...

    def ingress_totals(self, cluster_id: str, start: int, end: int) -> dict[str, IngressTotals]:
        """Keyed by backend ``service_key``."""
        ...
