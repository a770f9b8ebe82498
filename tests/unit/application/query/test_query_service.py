"""The query service over fake stores: cluster rules, targets, previous period, history, validation."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

import pytest
from tests.unit.application.master.job_fakes import FakeTargets as StoredTargets

from application.ports.query import ClusterInfo, Interval, RouteInfo
from application.ports.stats import EdgeKey, WorkloadKey
from application.query.errors import ClusterRequired, InvalidInput, NoClusters, NotFound, UnknownCluster
from application.query.history import RAW_HISTORY_MAX_SECONDS, history_plan
from application.query.service import SloQueryService
from application.query.shaping import finite
from domain.slo import Target
from domain.target_rules import InvalidTarget, validate_target
from domain.targets import StatusChange, TargetRecord
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals


def _workload(requests: int, errors: int, buckets: dict[str, float]) -> WorkloadTotals:
    return WorkloadTotals(latency_sum=10.0 * requests, latency_count=requests, buckets=buckets,
                          requests=requests, errors=errors, tls_requests=requests, total_requests=requests)


def _ingress(requests: int, errors: int) -> IngressTotals:
    return IngressTotals(latency_sum=5.0 * requests, latency_count=requests,
                         buckets={"100": requests, "+Inf": requests}, requests=requests, errors=errors,
                         methods={"GET": [requests, errors]})


@dataclass
class FakeStore:
    clusters_known: list[str] = field(default_factory=lambda: ["c1"])
    workloads: dict[WorkloadKey, WorkloadTotals] = field(default_factory=dict)
    edges: dict[EdgeKey, EdgeTotals] = field(default_factory=dict)
    ingress: dict[tuple[int, int], dict[str, IngressTotals]] = field(default_factory=dict)
    route_list: list[RouteInfo] = field(default_factory=list)
    covered: float = 100.0
    calls: list[tuple] = field(default_factory=list)

    def clusters(self) -> list[str]:
        return self.clusters_known

    def cluster_infos(self) -> list[ClusterInfo]:
        return [ClusterInfo(c, 1, 2, 3, "v") for c in self.clusters_known]

    def routes(self, cluster_id: str) -> list[RouteInfo]:
        return self.route_list

    def covered_seconds(self, cluster_id: str, start: int, end: int) -> float:
        self.calls.append(("covered", cluster_id, start, end))
        return self.covered

    def workload_totals(self, cluster_id: str, start: int, end: int,
                        keys: Collection[WorkloadKey] | None = None) -> dict[WorkloadKey, WorkloadTotals]:
        return {k: v for k, v in self.workloads.items() if keys is None or k in keys}

    def workload_keys(self, cluster_id: str, start: int, end: int) -> set[WorkloadKey]:
        return set(self.workloads)

    def edge_totals(self, cluster_id: str, start: int, end: int) -> dict[EdgeKey, EdgeTotals]:
        return self.edges

    def ingress_totals(self, cluster_id: str, start: int, end: int,
                       service_keys: Collection[str] | None = None) -> dict[str, IngressTotals]:
        self.calls.append(("ingress", cluster_id, start, end))
        found = self.ingress.get((start, end), {})
        return {k: v for k, v in found.items() if service_keys is None or k in service_keys}

    def workload_reported(self, cluster_id: str, key: WorkloadKey) -> bool:
        return key in self.workloads or any(key in (e[:2], e[2:]) for e in self.edges)

    def backend_reported(self, cluster_id: str, service_key: str) -> bool:
        return any(service_key in found for found in self.ingress.values())

    def workload_history(self, cluster_id: str, start: int, end: int, step: int, key: WorkloadKey,
                         hourly: bool) -> list[Interval[WorkloadTotals]]:
        self.calls.append(("history", start, end, step, hourly))
        return [Interval(end, 10.0, _workload(20, 0, {"5": 20, "+Inf": 20})), Interval(end + step, 0.0,
                                                                                        WorkloadTotals())]

    def ingress_history(self, cluster_id: str, start: int, end: int, step: int,
                        service_keys: Collection[str], hourly: bool) -> list[Interval[IngressTotals]]:
        return []


class FakeTargets(StoredTargets):
    """Stores what the targets API would accept, and nothing else."""

    def upsert(self, target: TargetRecord) -> TargetRecord:
        self.records.append(validate_target(target))
        return target


@dataclass
class FakeHistory:
    asked: list[dict] = field(default_factory=list)

    def changes(self, cluster_id=None, target_type=None, key=None, since=None,  # type: ignore[no-untyped-def]
                limit=100, until=None) -> list[StatusChange]:
        self.asked.append({"cluster_id": cluster_id, "target_type": target_type, "key": key, "since": since,
                           "limit": limit})
        return []


def _service(store: FakeStore, targets: FakeTargets | None = None, defaults: Target | None = None,
             history: FakeHistory | None = None) -> SloQueryService:
    return SloQueryService(
        store, targets or FakeTargets(), history or FakeHistory(), defaults, clock=lambda: 42.9
    )


def _route(domain: str, path: str, key: str, namespace: str, name: str, tls: bool = False) -> RouteInfo:
    return RouteInfo(domain, path, key, "r", namespace, name, 80, tls, 0)


def test_cluster_rules() -> None:
    with pytest.raises(NoClusters):
        _service(FakeStore(clusters_known=[])).topology(None, 0, 100)
    assert _service(FakeStore()).topology(None, 0, 100).cluster_id == "c1"
    with pytest.raises(ClusterRequired) as several:
        _service(FakeStore(clusters_known=["a", "b"])).topology(None, 0, 100)
    assert several.value.known == ["a", "b"]
    with pytest.raises(UnknownCluster, match="'zz'; known: a, b"):
        _service(FakeStore(clusters_known=["a", "b"])).topology("zz", 0, 100)


def test_targets_prefer_the_shortest_window_then_fall_back_to_defaults() -> None:
    store = FakeStore(workloads={("ns", "a"): _workload(100, 2, {"50": 100, "+Inf": 100}),
                                 ("ns", "b"): _workload(100, 2, {"50": 100, "+Inf": 100})})
    targets = FakeTargets([
        TargetRecord("c1", "service", "ns/a", "30d", 90.0, 1000.0),
        TargetRecord("c1", "service", "ns/a", "7d", 99.0, 1000.0),
        TargetRecord("other", "service", "ns/b", "1d", 99.9, 1.0),  # another cluster's target
    ])
    nodes = {n.id: n for n in _service(store, targets, Target(97.0, 40.0)).topology(None, 0, 100).nodes}
    assert nodes["ns/a"].status == "critical"  # 98 % < 7d target 99 % (30d's 90 % ignored)
    assert nodes["ns/b"].status == "warning"  # defaults: 98 % >= 97 %, but p95 47.5 ms > 40 ms


def test_service_detail_history_and_budget() -> None:
    store = FakeStore(workloads={("ns", "a"): _workload(200, 2, {"10": 150, "+Inf": 200})})
    targets = FakeTargets([TargetRecord("c1", "service", "ns/a", "1d", 98.0, 500.0)])
    view = _service(store, targets).service_detail(None, 1000, 1000 + 7200, "ns", "a")
    assert ("history", 1000, 8200, 120, False) in store.calls  # 2 h: raw rows, 2-minute points
    assert view.error_budget == pytest.approx((2 - 1) / 2 * 100)
    assert [p.rps for p in view.history] == [2.0, None]  # 20 requests over 10 covered s; no snapshot
    assert view.history[1].p95 is None and view.history[1].availability is None
    with pytest.raises(NotFound):
        _service(store).service_detail(None, 0, 10, "ns", "missing")


def test_previous_period_is_read_for_the_same_length_before_start() -> None:
    store = FakeStore(route_list=[_route("d.example", "/", "ns-web-80", "ns", "web", tls=True)],
                      ingress={(500, 800): {"ns-web-80": _ingress(30, 3)},
                               (200, 500): {"ns-web-80": _ingress(10, 0)}},
                      workloads={("ns", "web"): _workload(1, 0, {}), ("other", "web"): _workload(1, 0, {})})
    view = _service(store).domains(None, 500, 800)
    assert ("ingress", "c1", 200, 500) in store.calls and ("covered", "c1", 200, 500) in store.calls
    (domain,) = view.domains
    (backend,) = domain.services
    assert (backend.current.total_requests, backend.previous.total_requests) == (30, 10)
    assert backend.backend_service_ids == ["ns/web"]  # same namespace only
    assert domain.tls is True and domain.summary.total_requests == 30


def test_status_history_and_target_validation_messages() -> None:
    history = FakeHistory()
    routed = FakeStore(route_list=[_route("d.example", "/", "ns-web-80", "ns", "web")])  # the key is reported
    service = _service(routed, history=history)
    service.status_history("c1", "ingress", "d.example", 100, 5)
    assert history.asked == [{"cluster_id": "c1", "target_type": "ingress", "key": "d.example", "since": 100,
                              "limit": 5}]
    with pytest.raises(InvalidInput, match="limit"):
        service.status_history(None, None, None, None, 0)
    with pytest.raises(InvalidInput, match="target_type"):
        service.status_history(None, "pods", None, None, 10)
    stored = service.upsert_target(None, "ingress", "d.example", "7d", 99.5, 250.0)
    assert (stored.cluster_id, stored.updated_at) == ("c1", 42)
    assert target_problems("service", "ns/a", "1d", 99.9, 1.0) == []
    problems = target_problems("svc", " ", "1w", math.nan, math.inf)
    assert len(problems) == 5
    assert target_problems("service", "a/b/c", "1d", 50, 1) == [
        "a service target key is 'namespace/name', got 'a/b/c'"]
    assert target_problems("ingress", "d", "1d", 100, 1)[0].startswith("availability_target must be above 0")


def target_problems(target_type: str, key: str, window: str, availability: float, p95: float) -> list[str]:
    """The sentences ``validate_target`` refuses a target with (none when it is valid)."""
    try:
        validate_target(TargetRecord("c1", target_type, key, window, availability, p95))
    except InvalidTarget as refused:
        return refused.problems
    return []


def test_history_plan_steps() -> None:
    assert history_plan(900) == history_plan(900).__class__(30, False)
    assert (history_plan(3600).step, history_plan(6 * 3600).step) == (60, 600)
    assert not history_plan(RAW_HISTORY_MAX_SECONDS).hourly
    assert (history_plan(86400).step, history_plan(86400).hourly) == (3600, True)
    assert history_plan(7 * 86400).step == 10800
    assert history_plan(30 * 86400).step == 43200
    for length in (60, 900, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400, 90 * 86400):
        plan = history_plan(length)
        assert -(-length // plan.step) <= 60
        assert not plan.hourly or plan.step % 3600 == 0


def test_finite() -> None:
    assert (finite(None), finite(math.nan), finite(math.inf), finite(-math.inf), finite(1.5)) == (
        None, None, None, None, 1.5)
