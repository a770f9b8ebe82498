"""Service mesh queries (SPEC §6): the topology and one workload's detail."""

from __future__ import annotations

from application.query.base import QueryBase
from application.query.errors import NotFound
from application.query.history import history_plan, point_rate
from application.query.shaping import (
    distribution,
    finite,
    judge,
    objective_views,
    percentiles,
    status_codes,
    target_view,
)
from application.query.views import (
    EdgeView,
    NodeView,
    ServiceDetailView,
    ServiceHistoryPointView,
    TopologyView,
)
from domain import slo
from domain.rollup import EdgeKey, WorkloadKey
from domain.target_rules import TargetTable
from domain.targets import workload_id
from domain.totals import EdgeTotals, WorkloadTotals


class MeshQueries(QueryBase):
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
        nodes = [_node(key, workloads.get(key) or WorkloadTotals(), covered, targets) for key in sorted(keys)]
        edge_views = [_edge(key, totals, covered) for key, totals in sorted(edges.items())]
        return TopologyView(cluster, start, end, covered, nodes, edge_views)

    def service_detail(
        self, cluster_id: str | None, start: int, end: int, namespace: str, name: str
    ) -> ServiceDetailView:
        cluster = self.resolve_cluster(cluster_id)
        key = (namespace, name)
        covered = self._store.covered_seconds(cluster, start, end)
        totals = self._store.workload_totals(cluster, start, end, keys=[key]).get(key)
        edges = self._store.edge_totals(cluster, start, end)
        upstreams = [_edge(k, t, covered) for k, t in sorted(edges.items()) if (k[2], k[3]) == key]
        downstreams = [_edge(k, t, covered) for k, t in sorted(edges.items()) if (k[0], k[1]) == key]
        if totals is None and not upstreams and not downstreams:
            raise NotFound(f"workload {workload_id(namespace, name)} has no data in cluster {cluster!r} "
                           "for this range")
        totals = totals or WorkloadTotals()
        targets = self._cluster_targets(cluster)
        node = _node(key, totals, covered, targets)
        target = targets.find("service", node.id)
        _, budget = judge(target, [totals], node.p95_latency)
        window_start = target.window_start(end)
        over_window = self._store.workload_totals(cluster, window_start, end, keys=[key]).get(key)
        objectives = objective_views(target, [over_window] if over_window else [], window_start)
        plan = history_plan(end - start)
        history = [
            ServiceHistoryPointView(
                timestamp=interval.end,
                rps=point_rate(interval.totals.requests, interval.covered_seconds),
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
            targets=target_view(target),
            error_budget=budget,
            objectives=objectives,
            step_seconds=plan.step,
            history=history,
            upstreams=upstreams,
            downstreams=downstreams,
            status_codes=status_codes(totals.status_classes),
            latency_buckets=distribution(totals.buckets),
        )


def _node(key: WorkloadKey, totals: WorkloadTotals, covered: float, targets: TargetTable) -> NodeView:
    namespace, name = key
    node_id = workload_id(namespace, name)
    p50, p95, p99 = percentiles(totals.buckets)
    availability, error_rate = finite(totals.availability), finite(totals.error_rate)
    status, _ = judge(targets.find("service", node_id), [totals], p95)
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


def _edge(key: EdgeKey, totals: EdgeTotals, covered: float) -> EdgeView:
    src_ns, src_name, dst_ns, dst_name = key
    return EdgeView(
        source=workload_id(src_ns, src_name),
        target=workload_id(dst_ns, dst_name),
        rps=slo.rate_per_second(totals.requests, covered),
        avg_latency=finite(totals.avg_latency),
        error_rate=finite(totals.error_rate),
        total_requests=totals.requests,
        failures=totals.failures,
    )
