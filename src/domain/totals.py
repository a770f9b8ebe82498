"""Summable traffic totals: what raw rows, hourly rows and stitched reads add up to.

Every read path (aggregator, query service, status checker) sums rows into
these and derives rates and quantiles from them with ``domain.slo`` and
``domain.histogram``, so the maths lives in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain import histogram, slo

STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OTHER")


def method_bucket(method: str) -> str:
    upper = method.upper()
    return upper if upper in METHODS else "OTHER"


@dataclass(slots=True)
class LatencyTotals:
    latency_sum: float = 0.0
    latency_count: int = 0
    buckets: dict[str, float] = field(default_factory=dict)

    def add_latency(self, latency_sum: float, latency_count: int, buckets: Mapping[str, float]) -> None:
        self.latency_sum += latency_sum
        self.latency_count += latency_count
        histogram.add_buckets(self.buckets, buckets)

    @property
    def avg_latency(self) -> float | None:
        return slo.average(self.latency_sum, self.latency_count)

    def quantile(self, q: float) -> float | None:
        return histogram.quantile(q, self.buckets)

    def percentiles(self) -> tuple[float | None, float | None, float | None]:
        """p50, p95 and p99, sorting the buckets once."""
        p50, p95, p99 = histogram.quantiles((0.5, 0.95, 0.99), self.buckets)
        return p50, p95, p99

    @property
    def p50(self) -> float | None:
        return self.quantile(0.5)

    @property
    def p95(self) -> float | None:
        return self.quantile(0.95)

    @property
    def p99(self) -> float | None:
        return self.quantile(0.99)


@dataclass(slots=True)
class RequestTotals(LatencyTotals):
    """Requests, errors by status class and latency: what workloads and backends share."""

    requests: int = 0
    errors: int = 0
    status_classes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_CLASSES, 0))

    def add_requests(self, other: RequestTotals) -> None:
        self.add_latency(other.latency_sum, other.latency_count, other.buckets)
        self.requests += other.requests
        self.errors += other.errors
        for key, value in other.status_classes.items():
            self.status_classes[key] = self.status_classes.get(key, 0) + value

    @property
    def availability(self) -> float | None:
        return slo.availability(self.requests, self.errors)

    @property
    def error_rate(self) -> float | None:
        return slo.error_rate(self.requests, self.errors)


@dataclass(slots=True)
class WorkloadTotals(RequestTotals):
    tls_requests: int = 0
    total_requests: int = 0

    def add(self, other: WorkloadTotals) -> None:
        self.add_requests(other)
        self.tls_requests += other.tls_requests
        self.total_requests += other.total_requests

    @property
    def mtls_percent(self) -> float | None:
        return slo.mtls_percent(self.tls_requests, self.total_requests)


@dataclass(slots=True)
class EdgeTotals:
    requests: int = 0
    failures: int = 0
    latency_sum: float = 0.0
    latency_count: int = 0

    def add(self, other: EdgeTotals) -> None:
        self.requests += other.requests
        self.failures += other.failures
        self.latency_sum += other.latency_sum
        self.latency_count += other.latency_count

    @property
    def error_rate(self) -> float | None:
        return slo.error_rate(self.requests, self.failures)

    @property
    def avg_latency(self) -> float | None:
        return slo.average(self.latency_sum, self.latency_count)


@dataclass(slots=True)
class IngressTotals(RequestTotals):
    # method → [requests, errors]
    methods: dict[str, list[int]] = field(default_factory=dict)

    def add(self, other: IngressTotals) -> None:
        self.add_requests(other)
        for method, (requests, errors) in other.methods.items():
            mine = self.methods.setdefault(method, [0, 0])
            mine[0] += requests
            mine[1] += errors
