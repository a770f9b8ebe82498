"""Reads the traffic of target keys over a range: stitched totals plus the current routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from application.ports.stats import StatsReader
from domain.key_traffic import KeyTraffic


class KeyTrafficReader(Protocol):
    def clusters(self) -> list[str]: ...

    def traffic(self, cluster_id: str, start: int, end: int) -> KeyTraffic: ...


class StitchedKeyTraffic:
    def __init__(self, stats: StatsReader, routes: Callable[[str], dict[str, set[str]]]) -> None:
        self._stats = stats
        self._routes = routes

    def clusters(self) -> list[str]:
        return self._stats.clusters()

    def traffic(self, cluster_id: str, start: int, end: int) -> KeyTraffic:
        return KeyTraffic(
            self._stats.workload_totals(cluster_id, start, end),
            self._stats.ingress_totals(cluster_id, start, end),
            self._routes(cluster_id),
        )
