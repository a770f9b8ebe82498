"""The query use cases behind the REST API (SPEC §6).

Every number is derived from stitched totals with ``domain.slo`` and
``domain.histogram``: rates over the covered seconds of the cluster, quantiles
from merged buckets, never averaged percentiles.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from application.ports.query import ClusterInfo, QueryStore, RouteInfo
from application.ports.targets import StatusHistoryRepository, TargetRepository
from application.query.errors import ClusterRequired, InvalidInput, NoClusters, NotFound, UnknownCluster
from application.query.history import history_plan
from application.query.views import (
    DomainDetailView,
    DomainHistoryPointView,
    DomainHistoryView,
    DomainServiceView,
    DomainsGlobalSummaryView,
    DomainSummaryView,
    DomainsView,
    DomainView,
    EdgeView,
    IngressMetricsView,
    LatencyBucketView,
    MethodView,
    NodeView,
    ServiceDetailView,
    ServiceHistoryPointView,
    StatusCodeView,
    StatusCountsView,
    TargetView,
    TopologyView,
)
from domain import histogram, slo
from domain.targets import TARGET_TYPES, TARGET_WINDOWS, StatusChange, TargetRecord, service_key
from domain.totals import METHODS, STATUS_CLASSES, EdgeTotals, IngressTotals, WorkloadTotals

# A target set for a short window says most about "now": prefer it.
_WINDOW_PREFERENCE = ("1d", "7d", "30d")


@dataclass(frozen=True, slots=True)
class Defaults:
    availability: float = 95.0
    p95_ms: float = 300.0


def finite(value: float | None) -> float | None:
    """NaN and infinities have no JSON spelling: they become ``None``."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return value


class _Targets:
    """The targets of one cluster, resolved by preference order of window."""

    def __init__(self, records: Iterable[TargetRecord], defaults: Defaults) -> None:
        self._defaults = defaults
        self._best: dict[tuple[str, str], TargetRecord] = {}
        rank = {w: i for i, w in enumerate(_WINDOW_PREFERENCE)}
        for record in records:
            slot = (record.target_type, record.key)
            current = self._best.get(slot)
            if current is None or rank.get(record.window, 99) < rank.get(current.window, 99):
                self._best[slot] = record

    def find(self, target_type: str, *keys: str) -> TargetView:
        for key in keys:
            record = self._best.get((target_type, key))
            if record is not None:
                return TargetView(record.availability_target, record.p95_target_ms, record.window, "target")
        return TargetView(self._defaults.availability, self._defaults.p95_ms, None, "default")


def _judge(
    target: TargetView, availability: float | None, p95: float | None, error_rate: float | None
) -> tuple[str, float | None]:
    """Status and error budget remaining against a target."""
    status = slo.status(availability, p95, error_rate, slo.Target(target.availability, target.p95_ms))
    budget = slo.error_budget_remaining(availability, target.availability)
    return status.value, finite(budget)


def _distribution(buckets: dict[str, float]) -> list[LatencyBucketView]:
    return [LatencyBucketView(le, count) for le, count in histogram.distribution(buckets)]


def _status_codes(classes: dict[str, int]) -> list[StatusCodeView]:
    total = sum(classes.get(c, 0) for c in STATUS_CLASSES)
    return [
        StatusCodeView(c, classes.get(c, 0), finite(slo.error_rate(total, classes.get(c, 0))))
        for c in STATUS_CLASSES
    ]


def _methods(methods: dict[str, list[int]]) -> list[MethodView]:
    return [
        MethodView(m, methods[m][0], methods[m][1], finite(slo.error_rate(methods[m][0], methods[m][1])))
        for m in METHODS
        if m in methods
    ]


def _percentiles(buckets: dict[str, float]) -> tuple[float | None, float | None, float | None]:
    """p50, p95, p99 from the merged buckets (sorted once)."""
    p50, p95, p99 = histogram.quantiles((0.5, 0.95, 0.99), buckets)
    return finite(p50), finite(p95), finite(p99)


def _ingress_metrics(totals: IngressTotals, covered: float) -> IngressMetricsView:
    p50, p95, p99 = _percentiles(totals.buckets)
    return IngressMetricsView(
        rps=slo.rate_per_second(totals.requests, covered),
        total_requests=totals.requests,
        errors=totals.errors,
        availability=finite(totals.availability),
        error_rate=finite(totals.error_rate),
        avg_latency=finite(totals.avg_latency),
        p50_latency=p50,
        p95_latency=p95,
        p99_latency=p99,
    )


def _sum_ingress(parts: Iterable[IngressTotals]) -> IngressTotals:
    total = IngressTotals()
    for part in parts:
        total.add(part)
    return total


class SloQueryService:
    """Implements ``QueryService`` over a ``QueryStore`` and the target / status repositories."""

    def __init__(
        self,
        store: QueryStore,
        targets: TargetRepository,
        status_history: StatusHistoryRepository,
        defaults: Defaults | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._targets = targets
        self._status_history = status_history
        self._defaults = defaults or Defaults()
        self._clock = clock

    # -- clusters ---------------------------------------------------------------

    def clusters(self) -> list[ClusterInfo]:
        return self._store.cluster_infos()

    def resolve_cluster(self, cluster_id: str | None) -> str:
        known = [info.cluster_id for info in self._store.cluster_infos()]
        if cluster_id is None:
            if not known:
                raise NoClusters()
            if len(known) > 1:
                raise ClusterRequired(known)
            return known[0]
        if cluster_id not in known:
            raise UnknownCluster(cluster_id, known)
        return cluster_id

    def _cluster_targets(self, cluster_id: str) -> _Targets:
        return _Targets(self._targets.list(cluster_id=cluster_id), self._defaults)

    # -- service mesh -----------------------------------------------------------

    def topology(self, cluster_id: str | None, start: int, end: int) -> TopologyView:
        cluster = self.resolve_cluster(cluster_id)
        covered = self._store.covered_seconds(cluster, start, end)
        workloads = self._store.workload_totals(cluster, start, end)
        edges = self._store.edge_totals(cluster, start, end)
        targets = self._cluster_targets(cluster)
        keys = set(workloads)
        for src_ns, src_name, dst_ns, dst_name in edges:
            keys.add((src_ns, src_name))
            keys.add((dst_ns, dst_name))
        nodes = [
            self._node(key, workloads.get(key) or WorkloadTotals(), covered, targets) for key in sorted(keys)
        ]
        edge_views = [self._edge(key, totals, covered) for key, totals in sorted(edges.items())]
        return TopologyView(cluster, start, end, covered, nodes, edge_views)

    def service_detail(
        self, cluster_id: str | None, start: int, end: int, namespace: str, name: str
    ) -> ServiceDetailView:
        cluster = self.resolve_cluster(cluster_id)
        key = (namespace, name)
        covered = self._store.covered_seconds(cluster, start, end)
        totals = self._store.workload_totals(cluster, start, end, keys=[key]).get(key)
        edges = self._store.edge_totals(cluster, start, end)
        upstreams = [self._edge(k, t, covered) for k, t in sorted(edges.items()) if (k[2], k[3]) == key]
        downstreams = [self._edge(k, t, covered) for k, t in sorted(edges.items()) if (k[0], k[1]) == key]
        if totals is None and not upstreams and not downstreams:
            raise NotFound(f"workload {service_key(namespace, name)} has no data in cluster {cluster!r} "
                           "for this range")
        totals = totals or WorkloadTotals()
        targets = self._cluster_targets(cluster)
        node = self._node(key, totals, covered, targets)
        target = targets.find("service", node.id)
        _, budget = _judge(target, node.availability, node.p95_latency, node.error_rate)
        plan = history_plan(end - start)
        history = [
            ServiceHistoryPointView(
                timestamp=interval.end,
                rps=slo.rate_per_second(interval.totals.requests, interval.covered_seconds),
                p95=finite(interval.totals.p95),
                error_rate=finite(interval.totals.error_rate),
                availability=finite(interval.totals.availability),
                mtls_percent=finite(interval.totals.mtls_percent),
                total_requests=interval.totals.requests,
                avg_latency=finite(interval.totals.avg_latency),
            )
            for interval in self._store.workload_history(cluster, start, end, plan.step, key, plan.hourly)
        ]
        return ServiceDetailView(
            cluster, start, end, covered,
            node=node,
            targets=target,
            error_budget=budget,
            step_seconds=plan.step,
            history=history,
            upstreams=upstreams,
            downstreams=downstreams,
            status_codes=_status_codes(totals.status_classes),
            latency_buckets=_distribution(totals.buckets),
        )

    def _node(
        self, key: tuple[str, str], totals: WorkloadTotals, covered: float, targets: _Targets
    ) -> NodeView:
        namespace, name = key
        node_id = service_key(namespace, name)
        p50, p95, p99 = _percentiles(totals.buckets)
        availability, error_rate = finite(totals.availability), finite(totals.error_rate)
        status, _ = _judge(targets.find("service", node_id), availability, p95, error_rate)
        return NodeView(
            id=node_id,
            name=name,
            namespace=namespace,
            rps=slo.rate_per_second(totals.requests, covered),
            avg_latency=finite(totals.avg_latency),
            p50_latency=p50,
            p95_latency=p95,
            p99_latency=p99,
            error_rate=error_rate,
            availability=availability,
            mtls_percent=finite(totals.mtls_percent),
            total_requests=totals.requests,
            errors=totals.errors,
            status=status,
        )

    @staticmethod
    def _edge(key: tuple[str, str, str, str], totals: EdgeTotals, covered: float) -> EdgeView:
        src_ns, src_name, dst_ns, dst_name = key
        return EdgeView(
            source=service_key(src_ns, src_name),
            target=service_key(dst_ns, dst_name),
            rps=slo.rate_per_second(totals.requests, covered),
            avg_latency=finite(totals.avg_latency),
            error_rate=finite(totals.error_rate),
            total_requests=totals.requests,
            failures=totals.failures,
        )

    # -- ingress domains ----------------------------------------------------------

    def domains(self, cluster_id: str | None, start: int, end: int) -> DomainsView:
        cluster = self.resolve_cluster(cluster_id)
        routes = self._store.routes(cluster)
        by_domain = _routes_by_domain(routes)
        views, covered, current = self._domain_views(cluster, start, end, by_domain, None)
        counts: dict[str, int] = defaultdict(int)
        for view in views:
            counts[view.status] += 1
        routed = {route.service_key for route in routes}
        everything = _sum_ingress(current.values())
        summary = DomainsGlobalSummaryView(
            total_domains=len(views),
            status_counts=StatusCountsView(
                healthy=counts["healthy"], warning=counts["warning"],
                critical=counts["critical"], unknown=counts["unknown"],
            ),
            total_requests=everything.requests,
            errors=everything.errors,
            rps=slo.rate_per_second(everything.requests, covered),
            availability=finite(everything.availability),
            error_rate=finite(everything.error_rate),
            unrouted_service_keys=sorted(key for key in current if key not in routed),
        )
        return DomainsView(cluster, start, end, covered, views, summary)

    def domain_detail(self, cluster_id: str | None, start: int, end: int, domain: str) -> DomainDetailView:
        cluster = self.resolve_cluster(cluster_id)
        by_domain = _routes_by_domain(self._store.routes(cluster))
        if domain not in by_domain:
            raise NotFound(f"no route for domain {domain!r} in cluster {cluster!r}")
        views, covered, _ = self._domain_views(cluster, start, end, {domain: by_domain[domain]}, domain)
        return DomainDetailView(cluster, start, end, covered, views[0])

    def domain_history(self, cluster_id: str | None, start: int, end: int, domain: str) -> DomainHistoryView:
        cluster = self.resolve_cluster(cluster_id)
        by_domain = _routes_by_domain(self._store.routes(cluster))
        if domain not in by_domain:
            raise NotFound(f"no route for domain {domain!r} in cluster {cluster!r}")
        keys = sorted({route.service_key for route in by_domain[domain]})
        covered = self._store.covered_seconds(cluster, start, end)
        plan = history_plan(end - start)
        points = [
            DomainHistoryPointView(
                timestamp=interval.end,
                rps=slo.rate_per_second(interval.totals.requests, interval.covered_seconds),
                total_requests=interval.totals.requests,
                errors=interval.totals.errors,
                availability=finite(interval.totals.availability),
                error_rate=finite(interval.totals.error_rate),
                avg_latency=finite(interval.totals.avg_latency),
                p50=finite(interval.totals.p50),
                p95=finite(interval.totals.p95),
                p99=finite(interval.totals.p99),
            )
            for interval in self._store.ingress_history(cluster, start, end, plan.step, keys, plan.hourly)
        ]
        return DomainHistoryView(cluster, start, end, covered, domain, plan.step, points)

    def _domain_views(
        self,
        cluster: str,
        start: int,
        end: int,
        by_domain: dict[str, list[RouteInfo]],
        only: str | None,
    ) -> tuple[list[DomainView], float, dict[str, IngressTotals]]:
        length = end - start
        wanted = None if only is None else {route.service_key for route in by_domain[only]}
        covered = self._store.covered_seconds(cluster, start, end)
        previous_covered = self._store.covered_seconds(cluster, start - length, start)
        current = self._store.ingress_totals(cluster, start, end, wanted)
        previous = self._store.ingress_totals(cluster, start - length, start, wanted)
        mesh = self._store.workload_keys(cluster, start, end)
        targets = self._cluster_targets(cluster)
        views = [
            self._domain(domain, routes, current, previous, covered, previous_covered, mesh, targets)
            for domain, routes in sorted(by_domain.items())
        ]
        return views, covered, current

    def _domain(
        self,
        domain: str,
        routes: list[RouteInfo],
        current: dict[str, IngressTotals],
        previous: dict[str, IngressTotals],
        covered: float,
        previous_covered: float,
        mesh: set[tuple[str, str]],
        targets: _Targets,
    ) -> DomainView:
        by_key: dict[str, list[RouteInfo]] = defaultdict(list)
        for route in routes:
            by_key[route.service_key].append(route)
        services: list[DomainServiceView] = []
        for key, key_routes in sorted(by_key.items()):
            first = key_routes[0]
            totals = current.get(key) or IngressTotals()
            metrics = _ingress_metrics(totals, covered)
            target = targets.find("ingress", key, domain)
            status, budget = _judge(target, metrics.availability, metrics.p95_latency, metrics.error_rate)
            backends = sorted(
                {
                    service_key(route.namespace, route.service_name)
                    for route in key_routes
                    if (route.namespace, route.service_name) in mesh
                }
            )
            services.append(
                DomainServiceView(
                    service_key=key,
                    service_name=first.service_name,
                    port=first.service_port,
                    namespace=first.namespace,
                    paths=sorted({route.path_prefix for route in key_routes}),
                    current=metrics,
                    previous=_ingress_metrics(previous.get(key) or IngressTotals(), previous_covered),
                    targets=target,
                    status=status,
                    error_budget=budget,
                    latency_distribution=_distribution(totals.buckets),
                    methods=_methods(totals.methods),
                    status_codes=_status_codes(totals.status_classes),
                    backend_service_ids=backends,
                )
            )
        merged = _sum_ingress(current[k] for k in by_key if k in current)
        merged_previous = _sum_ingress(previous[k] for k in by_key if k in previous)
        metrics = _ingress_metrics(merged, covered)
        target = targets.find("ingress", domain)
        status, budget = _judge(target, metrics.availability, metrics.p95_latency, metrics.error_rate)
        summary = DomainSummaryView(
            **{field: getattr(metrics, field) for field in IngressMetricsView.__dataclass_fields__},
            latency_distribution=_distribution(merged.buckets),
            methods=_methods(merged.methods),
            status_codes=_status_codes(merged.status_classes),
        )
        return DomainView(
            domain=domain,
            tls=any(route.tls for route in routes),
            services=services,
            summary=summary,
            previous_summary=_ingress_metrics(merged_previous, previous_covered),
            targets=target,
            status=status,
            error_budget=budget,
        )

    # -- targets and status history -------------------------------------------------

    def list_targets(self, cluster_id: str | None, target_type: str | None) -> list[TargetRecord]:
        if target_type is not None and target_type not in TARGET_TYPES:
            raise InvalidInput(f"target_type must be one of {', '.join(TARGET_TYPES)}, got {target_type!r}")
        cluster = None if cluster_id is None else self.resolve_cluster(cluster_id)
        return self._targets.list(cluster_id=cluster, target_type=target_type)

    def upsert_target(
        self,
        cluster_id: str | None,
        target_type: str,
        key: str,
        window: str,
        availability_target: float,
        p95_target_ms: float,
    ) -> TargetRecord:
        problems = validate_target(target_type, key, window, availability_target, p95_target_ms)
        if problems:
            raise InvalidInput("; ".join(problems))
        cluster = self.resolve_cluster(cluster_id)
        record = TargetRecord(
            cluster_id=cluster,
            target_type=target_type,
            key=key,
            window=window,
            availability_target=availability_target,
            p95_target_ms=p95_target_ms,
            updated_at=int(self._clock()),
        )
        return self._targets.upsert(record)

    def status_history(
        self,
        cluster_id: str | None,
        target_type: str | None,
        key: str | None,
        since: int | None,
        limit: int,
    ) -> list[StatusChange]:
        if target_type is not None and target_type not in TARGET_TYPES:
            raise InvalidInput(f"target_type must be one of {', '.join(TARGET_TYPES)}, got {target_type!r}")
        if not 1 <= limit <= 1000:
            raise InvalidInput(f"limit must be between 1 and 1000, got {limit}")
        cluster = None if cluster_id is None else self.resolve_cluster(cluster_id)
        return self._status_history.changes(
            cluster_id=cluster, target_type=target_type, key=key, since=since, limit=limit
        )


def validate_target(
    target_type: str, key: str, window: str, availability_target: float, p95_target_ms: float
) -> list[str]:
    """Every problem with a target, for one clear 422 message."""
    problems: list[str] = []
    if target_type not in TARGET_TYPES:
        problems.append(f"target_type must be one of {', '.join(TARGET_TYPES)}, got {target_type!r}")
    if not key.strip():
        problems.append("key must not be empty")
    elif target_type == "service" and (key.count("/") != 1 or not all(key.split("/"))):
        problems.append(f"a service target key is 'namespace/name', got {key!r}")
    if window not in TARGET_WINDOWS:
        problems.append(f"window must be one of {', '.join(TARGET_WINDOWS)}, got {window!r}")
    if not (math.isfinite(availability_target) and 0 < availability_target < 100):
        problems.append(
            f"availability_target must be above 0 and below 100 (percent), got {availability_target}"
        )
    if not (math.isfinite(p95_target_ms) and p95_target_ms > 0):
        problems.append(f"p95_target_ms must be a positive number of milliseconds, got {p95_target_ms}")
    return problems


def _routes_by_domain(routes: Iterable[RouteInfo]) -> dict[str, list[RouteInfo]]:
    out: dict[str, list[RouteInfo]] = defaultdict(list)
    for route in routes:
        out[route.domain].append(route)
    return dict(out)
