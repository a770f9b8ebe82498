"""Exact answers of the query service on a small hand-built data set (SQLite and PostgreSQL).

Cluster ``c1`` sends two 30 s snapshots ending at H+30 and H+60; cluster ``c2``
one more (to prove clusters never mix). Every expected number below is worked
out by hand from the snapshots in the comments, not copied from output. Each
test runs on the raw rows and again after the aggregator rolled the hour up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest import approx
from sqlalchemy import Engine
from tests.storage.query_dataset import aggregate, ingest, service_of
from tests.storage.stores import open_store

from adapters.storage.engine import make_engine
from adapters.storage.migrate import upgrade_to_head
from application.query.errors import ClusterRequired, NotFound, UnknownCluster
from application.query.service import SloQueryService
from domain.targets import TargetRecord

H = 1_764_306_000  # an hour boundary
TS1, TS2 = H + 30, H + 60
LINKERD = ("10", "100", "+Inf")
TRAEFIK = ("100", "300", "1200", "5000", "+Inf")


def _buckets(bounds: tuple[str, ...], counts: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(bounds, counts, strict=True))


def _svc(ns: str, name: str, requests: list[tuple[str, str, int]], buckets: tuple[int, ...],
         latency_sum: float, tls: int) -> dict[str, Any]:
    total = sum(r[2] for r in requests)
    return {
        "namespace": ns, "name": name,
        "requests": [{"status_code": c, "classification": k, "delta": d} for c, k, d in requests],
        "latency_buckets": _buckets(LINKERD, buckets) if total else {},
        "latency_sum": latency_sum, "latency_count": buckets[-1] if total else 0,
        "tls_request_delta": tls, "total_request_delta": total,
    }


def _edge(src: str, dst_ns: str, dst: str, requests: int, failures: int, latency_sum: float) -> dict:
    return {"src_ns": "shop", "src_name": src, "dst_ns": dst_ns, "dst_name": dst, "request_delta": requests,
            "failure_delta": failures, "latency_sum": latency_sum, "latency_count": requests}


def _ing(
    key: str, requests: list[tuple[str, str, int]], buckets: tuple[int, ...], latency_sum: float
) -> dict:
    return {"service_key": key,
            "requests": [{"code": c, "method": m, "delta": d} for c, m, d in requests],
            "latency_buckets": _buckets(TRAEFIK, buckets), "latency_sum": latency_sum,
            "latency_count": buckets[-1]}


def _route(path: str, key: str, service: str, port: int, tls: bool) -> dict:
    return {"name": "shop", "namespace": "shop", "domain": "shop.example.com", "path_prefix": path,
            "service_key": key, "service_name": service, "service_port": port, "tls": tls}


ROUTES = [
    _route("/", "shop-frontend-80", "frontend", 80, True),
    _route("/api", "shop-api-8080", "api", 8080, False),
    _route("/v2/api", "shop-api-8080", "api", 8080, False),
]


def _doc(cluster: str, ts: int, window: int, services: list, edges: list, ingress: list) -> dict:
    return {"cluster_id": cluster, "agent_version": "1.2.3", "slo_data": {
        "timestamp": ts, "window_start": ts - window, "services": services, "edges": edges,
        "ingress": ingress, "routes": ROUTES}}


SNAPSHOTS = [
    _doc("c1", TS1, 30,
         services=[
             # frontend: 100 requests, 10 failures; 50 <= 10 ms, 90 <= 100 ms; 80 over mTLS
             _svc("shop", "frontend", [("200", "success", 90), ("500", "failure", 10)],
                  (50, 90, 100), 3000, 80),
             # a workload that reported and carried no traffic
             _svc("shop", "idle", [], (0, 0, 0), 0.0, 0),
         ],
         edges=[
             _edge("frontend", "pay", "api", 30, 3, 600),
             _edge("frontend", "shop", "legacy", 12, 12, 120),  # legacy sends no inbound data
         ],
         ingress=[
             _ing("shop-frontend-80", [("200", "GET", 100), ("503", "POST", 5), ("404", "GET", 5)],
                  (80, 100, 110, 110, 110), 22000),
             _ing("shop-api-8080", [("200", "PATCH", 20), ("500", "DELETE", 20)], (0, 20, 40, 40, 40), 20000),
         ]),
    _doc("c1", TS2, 30,
         services=[
             _svc("shop", "frontend", [("200", "success", 100)], (100, 100, 100), 500, 100),
             _svc("pay", "api", [("200", "success", 40), ("404", "success", 10)], (0, 50, 50), 2500, 50),
         ],
         edges=[
             _edge("frontend", "pay", "api", 20, 0, 200),
             _edge("loadgen", "shop", "frontend", 60, 0, 60),  # loadgen has no inbound data
         ],
         ingress=[
             _ing("shop-frontend-80", [("200", "GET", 90)], (90, 90, 90, 90, 90), 4500),
             _ing("shop-orphan-80", [("200", "GET", 10)], (10, 10, 10, 10, 10), 100),  # no route
         ]),
    _doc("c2", TS2, 60,
         services=[_svc("shop", "frontend", [("200", "success", 1000)], (1000, 1000, 1000), 1000, 0)],
         edges=[], ingress=[_ing("shop-frontend-80", [("200", "GET", 7)], (7, 7, 7, 7, 7), 7)]),
]


@pytest.fixture(params=["raw rows", "hourly rollups"])
def service(request: pytest.FixtureRequest, database_url: str) -> Iterator[SloQueryService]:
    engine: Engine = make_engine(database_url)
    upgrade_to_head(engine)
    for document in SNAPSHOTS:
        ingest(engine, document)
    targets = open_store(engine).targets
    for key, window, availability, p95 in (
        ("shop/frontend", "30d", 90.0, 50.0),  # 7d wins over 30d
        ("shop/frontend", "7d", 99.0, 500.0),
    ):
        targets.upsert(TargetRecord("c1", "service", key, window, availability, p95, 1))
    for key, window, availability, p95 in (
        ("shop-frontend-80", "30d", 50.0, 5000.0),
        ("shop-frontend-80", "1d", 99.0, 250.0),  # 1d wins
        ("shop.example.com", "7d", 75.0, 2000.0),  # the domain, and shop-api-8080 falls back to it
    ):
        targets.upsert(TargetRecord("c1", "ingress", key, window, availability, p95, 1))
    targets.upsert(TargetRecord("c2", "service", "shop/frontend", "1d", 99.99, 1.0, 1))
    if request.param == "hourly rollups":
        aggregate(engine, now=TS2 + 3600)
    yield service_of(engine)
    engine.dispose()


def _by(items: list[Any], attribute: str) -> dict[str, Any]:
    return {getattr(item, attribute): item for item in items}


def test_topology(service: SloQueryService) -> None:
    view = service.topology("c1", H, TS2)
    assert view.covered_seconds == 60
    nodes = _by(view.nodes, "id")
    assert list(nodes) == ["pay/api", "shop/frontend", "shop/idle", "shop/legacy", "shop/loadgen"]

    front = nodes["shop/frontend"]
    assert (front.name, front.namespace, front.total_requests, front.errors) == ("frontend", "shop", 200, 10)
    assert front.rps == approx(200 / 60)
    assert front.availability == approx(95.0)
    assert front.error_rate == approx(5.0)
    assert front.mtls_percent == approx(90.0)  # (80 + 100) / 200
    assert front.avg_latency == approx(17.5)  # (3000 + 500) / 200
    # merged buckets {10: 150, 100: 190, +Inf: 200}
    assert front.p50_latency == approx(10 * 100 / 150)
    assert front.p95_latency == approx(100.0)  # rank 190 ends exactly at the 100 ms bucket
    assert front.p99_latency == approx(100.0)  # rank in +Inf → highest finite bound
    assert front.status == "critical"  # 95 % < the 7d target of 99 %

    api = nodes["pay/api"]
    assert (api.total_requests, api.errors, api.availability, api.mtls_percent) == (50, 0, 100.0, 100.0)
    assert api.p50_latency == approx(10 + 90 * 25 / 50)
    assert api.p95_latency == approx(10 + 90 * 47.5 / 50)
    assert api.status == "healthy"  # default 95 % / 300 ms

    for silent in ("shop/idle", "shop/legacy", "shop/loadgen"):
        node = nodes[silent]
        assert (node.rps, node.total_requests, node.availability, node.p95_latency, node.status) == (
            0.0, 0, None, None, "unknown")

    edges = {(e.source, e.target): e for e in view.edges}
    assert list(edges) == [("shop/frontend", "pay/api"), ("shop/frontend", "shop/legacy"),
                           ("shop/loadgen", "shop/frontend")]
    to_api = edges[("shop/frontend", "pay/api")]
    assert (to_api.total_requests, to_api.failures) == (50, 3)
    assert to_api.rps == approx(50 / 60)
    assert to_api.error_rate == approx(6.0)
    assert to_api.avg_latency == approx(16.0)  # 800 / 50
    assert edges[("shop/frontend", "shop/legacy")].error_rate == approx(100.0)
    assert edges[("shop/loadgen", "shop/frontend")].rps == approx(1.0)


def test_clusters_never_mix(service: SloQueryService) -> None:
    view = service.topology("c2", H, TS2)
    assert [n.id for n in view.nodes] == ["shop/frontend"]
    node = view.nodes[0]
    assert (node.total_requests, node.rps, view.covered_seconds) == (1000, approx(1000 / 60), 60)
    assert node.status == "warning"  # p95 10 ms above c2's 1 ms target; c1's targets do not apply
    assert [c.cluster_id for c in service.clusters()] == ["c1", "c2"]
    assert service.clusters()[0].last_snapshot == TS2


def test_cluster_is_required_when_several_report(service: SloQueryService) -> None:
    with pytest.raises(ClusterRequired, match="c1, c2"):
        service.topology(None, H, TS2)
    with pytest.raises(UnknownCluster, match="'nope'"):
        service.topology("nope", H, TS2)


def test_service_detail(service: SloQueryService) -> None:
    view = service.service_detail("c1", H, TS2, "shop", "frontend")
    assert view.node.id == "shop/frontend"
    assert (view.targets.availability, view.targets.window, view.targets.source) == (99.0, "7d", "target")
    assert view.error_budget == approx((1 - 5) / 1 * 100)
    assert [(e.source, e.target) for e in view.upstreams] == [("shop/loadgen", "shop/frontend")]
    assert [(e.source, e.target) for e in view.downstreams] == [
        ("shop/frontend", "pay/api"), ("shop/frontend", "shop/legacy")]
    assert [(s.code, s.count) for s in view.status_codes] == [
        ("2xx", 190), ("3xx", 0), ("4xx", 0), ("5xx", 10)]
    assert view.status_codes[3].percent == approx(5.0)
    assert [(b.le, b.count) for b in view.latency_buckets] == [("10", 150), ("100", 40), ("+Inf", 10)]

    assert view.step_seconds == 30
    history = view.history
    assert [p.timestamp for p in history] == [TS1, TS2]
    assert [p.total_requests for p in history] == [100, 100]
    assert history[0].rps == approx(100 / 30)
    assert history[0].p95 == approx(100.0)  # rank 95 of {10: 50, 100: 90, +Inf: 100} is in +Inf
    assert history[1].p95 == approx(9.5)  # rank 95 of {10: 100, ...}
    assert (history[0].availability, history[1].availability) == (approx(90.0), approx(100.0))
    assert (history[0].mtls_percent, history[1].mtls_percent) == (approx(80.0), approx(100.0))


def test_service_detail_of_a_callee_without_inbound_data(service: SloQueryService) -> None:
    view = service.service_detail("c1", H, TS2, "shop", "legacy")
    assert (view.node.total_requests, view.node.status) == (0, "unknown")
    assert [(e.source, e.target, e.total_requests) for e in view.upstreams] == [
        ("shop/frontend", "shop/legacy", 12)]
    assert view.latency_buckets == []
    with pytest.raises(NotFound):
        service.service_detail("c1", H, TS2, "shop", "nobody")


def test_domains(service: SloQueryService) -> None:
    view = service.domains("c1", H, TS2)
    assert [d.domain for d in view.domains] == ["shop.example.com"]
    domain = view.domains[0]
    assert domain.tls is True
    services = _by(domain.services, "service_key")
    assert list(services) == ["shop-api-8080", "shop-frontend-80"]

    api = services["shop-api-8080"]
    assert (api.service_name, api.port, api.namespace) == ("api", 8080, "shop")
    assert api.paths == ["/api", "/v2/api"]
    assert api.backend_service_ids == []  # pay/api is in another namespace
    assert (api.current.total_requests, api.current.errors) == (40, 20)
    assert api.current.availability == approx(50.0)
    # {100: 0, 300: 20, 1200: 40, ...}
    assert api.current.p50_latency == approx(300.0)
    assert api.current.p95_latency == approx(300 + 900 * 18 / 20)
    assert api.current.avg_latency == approx(500.0)
    assert [(m.method, m.requests, m.errors) for m in api.methods] == [("DELETE", 20, 20), ("PATCH", 20, 0)]
    assert (api.targets.availability, api.targets.source) == (75.0, "target")  # the domain's target
    assert api.status == "critical"
    assert api.error_budget == approx((25 - 50) / 25 * 100)
    assert (api.previous.total_requests, api.previous.rps, api.previous.availability) == (0, 0.0, None)

    front = services["shop-frontend-80"]
    assert front.backend_service_ids == ["shop/frontend"]
    assert (front.current.total_requests, front.current.errors) == (200, 5)
    assert front.current.rps == approx(200 / 60)
    assert front.current.availability == approx(97.5)
    assert front.current.p95_latency == approx(300.0)  # rank 190 of {100: 170, 300: 190, ...}
    assert front.current.p99_latency == approx(300 + 900 * 8 / 10)
    assert [(m.method, m.requests, m.errors) for m in front.methods] == [("GET", 195, 0), ("POST", 5, 5)]
    assert [(s.code, s.count) for s in front.status_codes] == [
        ("2xx", 190), ("3xx", 0), ("4xx", 5), ("5xx", 5)]
    assert [(b.le, b.count) for b in front.latency_distribution] == [
        ("100", 170), ("300", 20), ("1200", 10), ("5000", 0), ("+Inf", 0)]
    assert (front.targets.availability, front.targets.window) == (99.0, "1d")
    assert front.status == "critical"
    assert front.error_budget == approx((1 - 2.5) / 1 * 100)

    summary = domain.summary
    assert (summary.total_requests, summary.errors) == (240, 25)
    assert summary.rps == approx(4.0)
    assert summary.availability == approx(215 / 240 * 100)
    # merged, not averaged: {100: 170, 300: 210, 1200: 240, ...}; rank 228 → 300 + 900 * 18 / 30
    assert summary.p95_latency == approx(840.0)
    assert summary.avg_latency == approx(46500 / 240)
    assert [(m.method, m.requests) for m in summary.methods] == [
        ("GET", 195), ("POST", 5), ("DELETE", 20), ("PATCH", 20)]
    assert domain.status == "healthy"  # above 75 %, p95 under 2 s (a 10 % error rate alone no longer warns)
    assert domain.error_budget == approx((25 - 25 / 240 * 100) / 25 * 100)

    totals = view.summary
    assert (totals.total_domains, totals.status_counts.healthy, totals.status_counts.critical) == (1, 1, 0)
    assert (totals.total_requests, totals.errors) == (250, 25)  # the unrouted backend counts too
    assert totals.rps == approx(250 / 60)
    assert totals.unrouted_service_keys == ["shop-orphan-80"]


def test_previous_period_is_the_same_length_right_before(service: SloQueryService) -> None:
    view = service.domain_detail("c1", TS1, TS2, "shop.example.com")
    front = _by(view.domain.services, "service_key")["shop-frontend-80"]
    assert (front.current.total_requests, front.current.rps) == (90, approx(3.0))
    assert (front.previous.total_requests, front.previous.errors) == (110, 5)
    assert front.previous.rps == approx(110 / 30)
    assert front.previous.availability == approx(105 / 110 * 100)
    assert view.domain.previous_summary.total_requests == 150  # 110 + 40


def test_domain_history(service: SloQueryService) -> None:
    view = service.domain_history("c1", H, TS2, "shop.example.com")
    assert view.step_seconds == 30
    assert [(p.timestamp, p.total_requests, p.errors) for p in view.points] == [(TS1, 150, 25), (TS2, 90, 0)]
    assert view.points[0].rps == approx(5.0)
    assert view.points[1].p95 == approx(100 * 85.5 / 90)
    with pytest.raises(NotFound):
        service.domain_history("c1", H, TS2, "unknown.example.com")


def test_history_has_empty_intervals(service: SloQueryService) -> None:
    view = service.service_detail("c1", H - 600, TS2 + 300, "shop", "frontend")  # 960 s → 30 s steps
    assert view.step_seconds == 30
    stamps = [p.timestamp for p in view.history]
    assert stamps == list(range(H - 570, TS2 + 301, 30))
    filled = {p.timestamp: p.total_requests for p in view.history if p.total_requests}
    assert filled == {TS1: 100, TS2: 100}
    empty = next(p for p in view.history if p.timestamp == H)
    assert (empty.rps, empty.p95, empty.availability) == (None, None, None)  # no snapshot: no data


def test_ranges_without_data_answer_empty_not_errors(service: SloQueryService) -> None:
    for start, end in ((H - 7200, H), (TS2 + 3600, TS2 + 7200), (H - 86400 * 7, H - 86400)):
        topology = service.topology("c1", start, end)
        assert (topology.nodes, topology.edges, topology.covered_seconds) == ([], [], 0)
        domains = service.domains("c1", start, end)
        (domain,) = domains.domains  # routes are still known
        assert (domain.status, domain.summary.rps, domain.summary.availability) == ("unknown", 0.0, None)
        assert domain.error_budget is None
        assert all(s.status == "unknown" and s.latency_distribution == [] for s in domain.services)
        assert domains.summary.status_counts.unknown == 1 and domains.summary.total_requests == 0
        history = service.domain_history("c1", start, end, "shop.example.com")
        assert history.points and all(p.total_requests == 0 and p.p95 is None for p in history.points)
