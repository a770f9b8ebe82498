"""Ingress domain queries (SPEC §6): every domain, one domain, one domain's history.

A domain's numbers are the merged totals of its backends; each backend is
also shown against the period of the same length right before the range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from application.ports.query import QueryStore, RouteInfo
from application.query.base import QueryBase, stored_domain
from application.query.errors import NotFound
from application.query.history import history_plan, point_rate
from application.query.shaping import (
    distribution,
    finite,
    judge,
    methods,
    objective_views,
    percentiles,
    status_codes,
    target_view,
)
from application.query.views import (
    DomainDetailView,
    DomainHistoryPointView,
    DomainHistoryView,
    DomainServiceView,
    DomainsGlobalSummaryView,
    DomainSummaryView,
    DomainsView,
    DomainView,
    IngressMetricsView,
    ObjectiveView,
    StatusCountsView,
)
from domain import slo
from domain.target_rules import EffectiveTarget, TargetTable
from domain.targets import workload_id
from domain.totals import IngressTotals


class DomainQueries(QueryBase):
    def domains(self, cluster_id: str | None, start: int, end: int) -> DomainsView:
        cluster = self.resolve_cluster(cluster_id)
        routes = self._store.routes(cluster)
        views, covered, current = self._domain_views(cluster, start, end, _routes_by_domain(routes), None)
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
        cluster, domain, routes = self._domain_routes(cluster_id, domain)
        views, covered, _ = self._domain_views(cluster, start, end, {domain: routes}, domain)
        return DomainDetailView(cluster, start, end, covered, views[0])

    def domain_history(self, cluster_id: str | None, start: int, end: int, domain: str) -> DomainHistoryView:
        cluster, domain, routes = self._domain_routes(cluster_id, domain)
        keys = sorted({route.service_key for route in routes})
        covered = self._store.covered_seconds(cluster, start, end)
        plan = history_plan(end - start)
        points = [
            DomainHistoryPointView(
                timestamp=interval.end,
                rps=point_rate(interval.totals.requests, interval.covered_seconds),
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

    def _domain_routes(self, cluster_id: str | None, domain: str) -> tuple[str, str, list[RouteInfo]]:
        """The cluster, the domain as stored (host names ignore case) and its routes."""
        cluster = self.resolve_cluster(cluster_id)
        by_domain = _routes_by_domain(self._store.routes(cluster))
        stored = stored_domain(by_domain, domain)
        if stored is None:
            raise NotFound(f"no route for domain {domain!r} in cluster {cluster!r}")
        return cluster, stored, by_domain[stored]

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
        period = _Period(current, previous, covered, previous_covered)
        mesh = self._store.workload_keys(cluster, start, end)
        targets = self._cluster_targets(cluster)
        windows = _SloWindows(self._store, cluster, end, wanted)
        views = [
            _domain(domain, routes, period, mesh, targets, windows)
            for domain, routes in sorted(by_domain.items())
        ]
        return views, covered, current


class _SloWindows:
    """Backend totals over each SLO window in use, read once per window for all domains."""

    def __init__(self, store: QueryStore, cluster: str, end: int, wanted: set[str] | None) -> None:
        self._store = store
        self._cluster = cluster
        self._end = end
        self._wanted = wanted
        self._read: dict[int, dict[str, IngressTotals]] = {}

    def objectives(self, target: EffectiveTarget, backends: Iterable[str]) -> list[ObjectiveView]:
        start = target.window_start(self._end)
        if start not in self._read:
            self._read[start] = self._store.ingress_totals(self._cluster, start, self._end, self._wanted)
        totals = self._read[start]
        return objective_views(target, [totals[b] for b in sorted(set(backends)) if b in totals], start)


@dataclass(frozen=True, slots=True)
class _Period:
    """Backend totals of the range and of the same-length period before it."""

    current: dict[str, IngressTotals]
    previous: dict[str, IngressTotals]
    covered: float
    previous_covered: float


def _domain(
    domain: str,
    routes: list[RouteInfo],
    period: _Period,
    mesh: set[tuple[str, str]],
    targets: TargetTable,
    windows: _SloWindows,
) -> DomainView:
    by_key: dict[str, list[RouteInfo]] = defaultdict(list)
    for route in routes:
        by_key[route.service_key].append(route)
    services = [
        _backend(domain, key, key_routes, period, mesh, targets, windows)
        for key, key_routes in sorted(by_key.items())
    ]
    merged = _sum_ingress(period.current[k] for k in by_key if k in period.current)
    merged_previous = _sum_ingress(period.previous[k] for k in by_key if k in period.previous)
    metrics = _ingress_metrics(merged, period.covered)
    target = targets.find("ingress", domain)
    traffic = [period.current[k] for k in sorted(by_key) if k in period.current]
    status, budget = judge(target, traffic, metrics.p95_latency)
    summary = DomainSummaryView(
        **{field: getattr(metrics, field) for field in IngressMetricsView.__dataclass_fields__},
        latency_distribution=distribution(merged.buckets),
        methods=methods(merged.methods),
        status_codes=status_codes(merged.status_classes),
    )
    return DomainView(
        domain=domain,
        tls=any(route.tls for route in routes),
        services=services,
        summary=summary,
        previous_summary=_ingress_metrics(merged_previous, period.previous_covered),
        targets=target_view(target),
        status=status,
        error_budget=budget,
        objectives=windows.objectives(target, by_key),
    )


def _backend(
    domain: str,
    key: str,
    routes: list[RouteInfo],
    period: _Period,
    mesh: set[tuple[str, str]],
    targets: TargetTable,
    windows: _SloWindows,
) -> DomainServiceView:
    """One ingress backend of a domain; its target is its own, else the domain's."""
    first = routes[0]
    totals = period.current.get(key) or IngressTotals()
    metrics = _ingress_metrics(totals, period.covered)
    target = targets.find("ingress", key, domain)
    status, budget = judge(target, [totals], metrics.p95_latency)
    backends = sorted(
        {
            workload_id(route.namespace, route.service_name)
            for route in routes
            if (route.namespace, route.service_name) in mesh
        }
    )
    return DomainServiceView(
        service_key=key,
        service_name=first.service_name,
        port=first.service_port,
        namespace=first.namespace,
        paths=sorted({route.path_prefix for route in routes}),
        current=metrics,
        previous=_ingress_metrics(period.previous.get(key) or IngressTotals(), period.previous_covered),
        targets=target_view(target),
        status=status,
        error_budget=budget,
        objectives=windows.objectives(target, [key]),
        latency_distribution=distribution(totals.buckets),
        methods=methods(totals.methods),
        status_codes=status_codes(totals.status_classes),
        backend_service_ids=backends,
    )


def _ingress_metrics(totals: IngressTotals, covered: float) -> IngressMetricsView:
    p50, p95, p99 = percentiles(totals.buckets)
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


def _routes_by_domain(routes: Iterable[RouteInfo]) -> dict[str, list[RouteInfo]]:
    out: dict[str, list[RouteInfo]] = defaultdict(list)
    for route in routes:
        out[route.domain].append(route)
    return dict(out)
