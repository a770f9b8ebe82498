"""Sum one snapshot per key into domain totals (pure, no I/O).

Items that appear twice in one snapshot (the same workload, edge or backend)
are summed, not dropped: every increment the agent counted is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from application.ports.ingest import SnapshotTotals
from domain.contract import (
    EdgeMetrics,
    IngressMetrics,
    Route,
    ServiceMetrics,
    SLOSnapshot,
    first_route_by_key,
)
from domain.rollup import EdgeKey, WorkloadKey
from domain.slo import is_server_error, status_class
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals, method_bucket

# Codes and methods repeat thousands of times per snapshot: classify each once.
_status_class = lru_cache(maxsize=4096)(status_class)


@lru_cache(maxsize=4096)
def _ingress_request(code: str, method: str) -> tuple[str | None, str, bool]:
    """(status class, method bucket, is an error)."""
    return status_class(code), method_bucket(method), is_server_error(code)


def _workload(item: ServiceMetrics) -> WorkloadTotals:
    totals = WorkloadTotals(
        latency_sum=item.latency_sum,
        latency_count=item.latency_count,
        buckets=dict(item.latency_buckets),
        tls_requests=item.tls_request_delta,
        total_requests=item.total_request_delta,
    )
    classes = totals.status_classes
    for request in item.requests:
        totals.requests += request.delta
        if request.classification == "failure":
            totals.errors += request.delta
        cls = _status_class(request.status_code)
        if cls is not None:
            classes[cls] += request.delta
    return totals


def workload_totals(items: Iterable[ServiceMetrics]) -> dict[WorkloadKey, WorkloadTotals]:
    merged: dict[WorkloadKey, WorkloadTotals] = {}
    for item in items:
        totals = _workload(item)
        mine = merged.setdefault((item.namespace, item.name), totals)
        if mine is not totals:
            mine.add(totals)
    return merged


def edge_totals(items: Iterable[EdgeMetrics]) -> dict[EdgeKey, EdgeTotals]:
    merged: dict[EdgeKey, EdgeTotals] = {}
    for item in items:
        totals = EdgeTotals(
            requests=item.request_delta,
            failures=item.failure_delta,
            latency_sum=item.latency_sum,
            latency_count=item.latency_count,
        )
        mine = merged.setdefault((item.src_ns, item.src_name, item.dst_ns, item.dst_name), totals)
        if mine is not totals:
            mine.add(totals)
    return merged


def _ingress(item: IngressMetrics) -> IngressTotals:
    totals = IngressTotals(
        latency_sum=item.latency_sum,
        latency_count=item.latency_count,
        buckets=dict(item.latency_buckets),
    )
    classes, methods = totals.status_classes, totals.methods
    for request in item.requests:
        delta = request.delta
        cls, method, failed = _ingress_request(request.code, request.method)
        counts = methods.setdefault(method, [0, 0])
        totals.requests += delta
        counts[0] += delta
        if failed:
            totals.errors += delta
            counts[1] += delta
        if cls is not None:
            classes[cls] += delta
    return totals


def ingress_totals(items: Iterable[IngressMetrics]) -> dict[str, IngressTotals]:
    merged: dict[str, IngressTotals] = {}
    for item in items:
        totals = _ingress(item)
        mine = merged.setdefault(item.service_key, totals)
        if mine is not totals:
            mine.add(totals)
    return merged


def distinct_routes(routes: Iterable[Route]) -> list[Route]:
    """One route per (domain, path, backend); a repeated route keeps its last record."""
    return list({(route.domain, route.path_prefix, route.service_key): route for route in routes}.values())


def snapshot_totals(snapshot: SLOSnapshot, received_at: int) -> SnapshotTotals:
    data = snapshot.slo_data
    return SnapshotTotals(
        cluster_id=snapshot.cluster_id,
        ts=data.timestamp,
        window_start=data.window_start,
        window_seconds=float(data.window_seconds),
        received_at=received_at,
        agent_version=snapshot.agent_version,
        services=workload_totals(data.services),
        edges=edge_totals(data.edges),
        ingress=ingress_totals(data.ingress),
        backend_routes=first_route_by_key(data.routes),
        routes=distinct_routes(data.routes),
    )
