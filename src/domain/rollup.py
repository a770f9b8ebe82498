"""Hourly rollups (SPEC §4): raw rows of one cluster-hour summed into one row per key.

Sums are plain additions (``domain.totals``); percentiles come from the merged
cumulative buckets with ``histogram.quantile`` — never from averaging the
percentiles of the raw rows. ``covered_seconds`` is the sum of the windows of
the rows that went into a key, ``sample_count`` the number of those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from domain.timewindow import HOUR
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals

WorkloadKey = tuple[str, str]  # (namespace, name)
EdgeKey = tuple[str, str, str, str]  # (src_ns, src_name, dst_ns, dst_name)

T = TypeVar("T", WorkloadTotals, EdgeTotals, IngressTotals)


@dataclass(slots=True)
class Coverage:
    """How much counting a row stands for: the rps denominator of hourly reads."""

    covered_seconds: float = 0.0
    sample_count: int = 0

    def add(self, window_seconds: float, samples: int = 1) -> None:
        self.covered_seconds += window_seconds
        self.sample_count += samples


@dataclass(slots=True)
class Rolled(Generic[T]):
    """The summed totals of one key over one hour and the coverage behind them."""

    totals: T
    coverage: Coverage = field(default_factory=Coverage)


@dataclass(slots=True)
class IngressRolled(Rolled[IngressTotals]):
    # Route of the backend as last seen in the hour (routes can change mid-hour).
    domain: str = ""
    path: str = ""


@dataclass(frozen=True, slots=True)
class LatencyFigures:
    p50: float | None
    p95: float | None
    p99: float | None
    avg_latency: float | None


@dataclass(frozen=True, slots=True)
class ServiceFigures(LatencyFigures):
    availability: float | None
    mtls_percent: float | None


@dataclass(frozen=True, slots=True)
class IngressFigures(LatencyFigures):
    availability: float | None


def service_figures(totals: WorkloadTotals) -> ServiceFigures:
    return ServiceFigures(*totals.percentiles(), totals.avg_latency, totals.availability, totals.mtls_percent)


def ingress_figures(totals: IngressTotals) -> IngressFigures:
    return IngressFigures(*totals.percentiles(), totals.avg_latency, totals.availability)


@dataclass(slots=True)
class HourRollup:
    """Everything the aggregator writes for one (cluster, hour)."""

    cluster_id: str
    hour: int
    services: dict[WorkloadKey, Rolled[WorkloadTotals]] = field(default_factory=dict)
    edges: dict[EdgeKey, Rolled[EdgeTotals]] = field(default_factory=dict)
    ingress: dict[str, IngressRolled] = field(default_factory=dict)
    # Of the cluster: Σ window_seconds and number of snapshots in the hour.
    coverage: Coverage = field(default_factory=Coverage)

    def __post_init__(self) -> None:
        if self.hour % HOUR:
            raise ValueError(f"hour {self.hour} is not the start of an hour")
