"""Aggregation of per-series deltas into the contract's items (SPEC §2.4).

Deltas are summed per item and per bucket across every series that feeds it
(several series per status code, several controller replicas): each series'
delta was taken on its own counter first (§2.3). Integers are rounded only when
the contract items are built.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from domain.agent.keys import RouteIndex
from domain.agent.probes import compensate
from domain.agent.roles import (
    Backend,
    BackendLatency,
    BackendRequests,
    EdgeLatency,
    EdgeRequests,
    Part,
    PodKey,
    ProbeRequests,
    Role,
    WorkloadLatency,
    WorkloadRequests,
)
from domain.agent.units import seconds_to_ms
from domain.contract import (
    INF_KEY,
    MAX_BUCKETS,
    MAX_COUNT,
    MAX_LATENCY_SUM_MS,
    EdgeMetrics,
    IngressMetrics,
    IngressRequests,
    Route,
    ServiceMetrics,
    ServiceRequests,
    bucket_bound,
)
from domain.histogram import add_buckets
from domain.rollup import EdgeKey, WorkloadKey


@dataclass(slots=True)
class _Histogram:
    buckets: dict[str, float] = field(default_factory=dict)
    sum: float = 0.0
    count: float = 0.0

    def add(self, part: Part, le: str, delta: float) -> None:
        if part is Part.BUCKET:
            # histogram.add_buckets for a one-bound histogram, inlined: this runs once per series.
            self.buckets[le] = self.buckets.get(le, 0.0) + delta
        elif part is Part.SUM:
            self.sum += delta
        else:
            self.count += delta

    def merge(self, buckets: dict[str, float], total: float, count: float) -> None:
        add_buckets(self.buckets, buckets)
        self.sum += total
        self.count += count


@dataclass(slots=True)
class _Workload:
    requests: dict[tuple[str, str], float] = field(default_factory=dict)
    tls: float = 0.0
    latency: _Histogram = field(default_factory=_Histogram)


@dataclass(slots=True)
class _Edge:
    requests: float = 0.0
    failures: float = 0.0
    latency_sum: float = 0.0
    latency_count: float = 0.0


@dataclass(slots=True)
class _Ingress:
    requests: dict[tuple[str, str], float] = field(default_factory=dict)
    latency: _Histogram = field(default_factory=_Histogram)


@dataclass(frozen=True)
class Aggregate:
    services: list[ServiceMetrics]
    edges: list[EdgeMetrics]
    ingress: list[IngressMetrics]


def _count(value: float) -> int:
    # Round, never truncate (§2.3). Only absurd counters (near 1e308) can overflow a sum, and only
    # a broken exporter counts more than the contract's MAX_COUNT in one interval: such values are
    # sent as 0 and as the limit, because a model the contract refuses would fail this cycle and,
    # the state being kept for the next one, every later cycle too.
    return min(round(value), MAX_COUNT) if math.isfinite(value) else 0


def _finite_sum(value: float) -> float:
    # A sum that overflowed or went negative through float noise would be refused by the master.
    return min(value, MAX_LATENCY_SUM_MS) if math.isfinite(value) and value > 0 else 0.0


def _positive_counts(requests: dict[tuple[str, str], float]) -> list[tuple[tuple[str, str], int]]:
    """Request counts by (code, method or classification), in key order, without the zero ones.

    The master stores their sum as the item's requests, at most MAX_COUNT: entries of a broken
    exporter that add up to more are scaled down together, keeping their shares (and so the
    error rate), rather than have the whole snapshot refused every cycle."""
    counted = [(key, _count(delta)) for key, delta in sorted(requests.items())]
    total = sum(count for _, count in counted)
    if total > MAX_COUNT:
        counted = [(key, count * MAX_COUNT // total) for key, count in counted]
    return [(key, count) for key, count in counted if count > 0]


def _buckets(buckets: dict[str, float], count: float) -> dict[str, int]:
    """Cumulative counts in bound order, in the shape the master takes (``contract.check_buckets``).

    Bounds are already canonical (one key per bound). A histogram without ``+Inf`` (invalid
    exposition, but parsed) gets one: every observation is ``<= +Inf``, so it is the largest of
    the count and the other buckets. Beyond MAX_BUCKETS bounds (pods of one workload with
    different layouts), finite bounds are dropped evenly: a cumulative histogram stays right
    without some of its bounds, only coarser; refusing it would lose the whole snapshot.
    """
    ordered = sorted(buckets.items(), key=lambda item: bucket_bound(item[0]))
    if not ordered:
        return {}
    if ordered[-1][0] != INF_KEY:
        ordered.append((INF_KEY, max(count, *(value for _, value in ordered))))
    if len(ordered) > MAX_BUCKETS:
        finite, kept = ordered[:-1], MAX_BUCKETS - 1
        step = (len(finite) - 1) / (kept - 1)
        ordered = [finite[round(i * step)] for i in range(kept)] + ordered[-1:]
    return {le: _count(value) for le, value in ordered}


class IntervalAggregator:
    """Sums one cycle's deltas by item. Feed it with :meth:`add`, then :meth:`build`."""

    def __init__(self, routes: RouteIndex, probe_compensation: bool = True) -> None:
        self._routes = routes
        self._probe_compensation = probe_compensation
        self._workloads: dict[WorkloadKey, _Workload] = {}
        self._pods: dict[PodKey, _Histogram] = {}
        self._probes: dict[PodKey, float] = {}
        self._edges: dict[EdgeKey, _Edge] = {}
        self._ingress: dict[str, _Ingress] = {}
        self._backend_keys: dict[Backend, str] = {}

    def backend_key(self, backend: Backend) -> str:
        """The backend's key under the current routes (an ingress-nginx series may lack its port)."""
        if backend.key:
            return backend.key
        key = self._backend_keys.get(backend)
        if key is None:
            key = self._routes.nginx_key(backend.namespace, backend.service, "")
            self._backend_keys[backend] = key
        return key

    def _workload(self, key: WorkloadKey) -> _Workload:
        item = self._workloads.get(key)
        if item is None:
            item = self._workloads[key] = _Workload()
        return item

    def _edge(self, key: EdgeKey) -> _Edge:
        item = self._edges.get(key)
        if item is None:
            item = self._edges[key] = _Edge()
        return item

    def _ingress_item(self, backend: Backend) -> _Ingress:
        key = self.backend_key(backend)
        item = self._ingress.get(key)
        if item is None:
            item = self._ingress[key] = _Ingress()
        return item

    def add(self, role: Role, delta: float) -> None:
        if isinstance(role, WorkloadLatency):
            if self._probe_compensation and role.compensable:
                pod = self._pods.get(role.pod)
                if pod is None:
                    pod = self._pods[role.pod] = _Histogram()
                pod.add(role.part, role.le, delta)
            else:
                self._workload(role.workload).latency.add(role.part, role.le, delta)
        elif isinstance(role, WorkloadRequests):
            workload = self._workload(role.workload)
            status = (role.status_code, role.classification)
            workload.requests[status] = workload.requests.get(status, 0.0) + delta
            if role.tls:
                workload.tls += delta
        elif isinstance(role, EdgeLatency):
            edge = self._edge(role.edge)
            if role.part is Part.SUM:
                edge.latency_sum += delta
            else:
                edge.latency_count += delta
        elif isinstance(role, EdgeRequests):
            edge = self._edge(role.edge)
            edge.requests += delta
            if role.failure:
                edge.failures += delta
        elif isinstance(role, BackendLatency):
            self._ingress_item(role.backend).latency.add(role.part, role.le, delta)
        elif isinstance(role, BackendRequests):
            ingress = self._ingress_item(role.backend)
            request = (role.code, role.method)
            ingress.requests[request] = ingress.requests.get(request, 0.0) + delta
        elif isinstance(role, ProbeRequests):
            self._probes[role.pod] = self._probes.get(role.pod, 0.0) + delta

    def _apply_probe_compensation(self) -> None:
        for pod_key, pod in self._pods.items():
            buckets, count = compensate(pod.buckets, pod.count, self._probes.get(pod_key, 0.0))
            self._workload((pod_key[0], pod_key[1])).latency.merge(buckets, pod.sum, count)
        self._pods.clear()

    def build(self) -> Aggregate:
        self._apply_probe_compensation()
        return Aggregate(self._build_services(), self._build_edges(), self._build_ingress())

    def _build_services(self) -> list[ServiceMetrics]:
        services = []
        for (namespace, name), item in sorted(self._workloads.items()):
            total = _count(sum(item.requests.values()))
            service = ServiceMetrics(
                namespace=namespace,
                name=name,
                requests=[
                    ServiceRequests(status_code=code, classification=classification, delta=delta)
                    for (code, classification), delta in _positive_counts(item.requests)
                ],
                latency_buckets=_buckets(item.latency.buckets, item.latency.count),
                latency_sum=_finite_sum(item.latency.sum),
                latency_count=_count(item.latency.count),
                # A part of the total, summed in another order: float rounding must not put it above.
                tls_request_delta=min(_count(item.tls), total),
                total_request_delta=total,
            )
            if _has_data(service):
                services.append(service)
        return services

    def _build_edges(self) -> list[EdgeMetrics]:
        edges = []
        for (src_ns, src_name, dst_ns, dst_name), item in sorted(self._edges.items()):
            requests = _count(item.requests)
            edge = EdgeMetrics(
                src_ns=src_ns,
                src_name=src_name,
                dst_ns=dst_ns,
                dst_name=dst_name,
                request_delta=requests,
                failure_delta=min(_count(item.failures), requests),  # a part of the requests (contract)
                latency_sum=_finite_sum(item.latency_sum),
                latency_count=_count(item.latency_count),
            )
            if edge.request_delta or edge.failure_delta or edge.latency_sum or edge.latency_count:
                edges.append(edge)
        return edges

    def _build_ingress(self) -> list[IngressMetrics]:
        items = []
        for key, item in sorted(self._ingress.items()):
            ingress = IngressMetrics(
                service_key=key,
                requests=[
                    IngressRequests(code=code, method=method, delta=delta)
                    for (code, method), delta in _positive_counts(item.requests)
                ],
                latency_buckets=_buckets(item.latency.buckets, item.latency.count),
                latency_sum=_finite_sum(seconds_to_ms(item.latency.sum)),
                latency_count=_count(item.latency.count),
            )
            if _has_data(ingress):
                items.append(ingress)
        return items


def _has_data(item: ServiceMetrics | IngressMetrics) -> bool:
    return (
        bool(item.requests)
        or any(item.latency_buckets.values())
        or item.latency_sum > 0
        or item.latency_count > 0
    )


def infer_nginx_routes(
    backends: Iterable[Backend], aggregator: IntervalAggregator, routes: RouteIndex
) -> list[Route]:
    """Routes for ingress-nginx backends that no known route covers, from the series' own labels (§1.2)."""
    inferred: dict[tuple[str, str, str], Route] = {}
    for backend in backends:
        if not backend.host or not backend.namespace:
            continue
        key = aggregator.backend_key(backend)
        if routes.has_route(key):
            continue
        path = backend.path or "/"
        identity = (backend.host, path, key)
        if identity in inferred or len(backend.host) > 253 or len(path) > 2048:
            continue
        inferred[identity] = Route(
            name=backend.ingress[:253],
            namespace=backend.namespace,
            domain=backend.host,
            path_prefix=path,
            service_key=key,
            service_name=backend.service,
            service_port=0,
            tls=False,
        )
    return [inferred[identity] for identity in sorted(inferred)]
