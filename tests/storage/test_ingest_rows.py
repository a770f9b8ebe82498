"""Snapshot → totals → raw rows: sums per key, error rules, status classes, methods, route placement."""

from __future__ import annotations

import json
import math

import pytest
from tests.storage.snapshot_builders import edge, ingress, route, service, snapshot

from adapters.storage.ingest_repository import MAX_STORED_COUNT, snapshot_rows
from application.master.snapshot_totals import snapshot_totals
from application.ports.ingest import SnapshotOutOfRange
from domain.contract import Route, SLOSnapshot


def rows(document: dict, stored: list[Route] | None = None):  # type: ignore[no-untyped-def]
    totals = snapshot_totals(SLOSnapshot.model_validate(document), received_at=99)
    return snapshot_rows(totals, stored_routes=stored or [])


def needs_stored_routes(snapshot: SLOSnapshot) -> bool:
    return snapshot_totals(snapshot, received_at=0).needs_stored_routes()


def test_snapshot_identity_and_window() -> None:
    result = rows(snapshot(cluster_id="c1", timestamp=1_000_090, window=45))
    assert (result.cluster_id, result.ts, result.window_start) == ("c1", 1_000_090, 1_000_045)
    assert result.window_seconds == 45.0
    assert (result.received_at, result.agent_version) == (99, "0.1.0")


def test_workload_errors_follow_classification_not_the_code() -> None:
    requests = [
        {"status_code": "200", "classification": "failure", "delta": 3},  # e.g. a gRPC error status
        {"status_code": "503", "classification": "success", "delta": 5},
        {"status_code": "302", "classification": "success", "delta": 7},
        {"status_code": "404", "classification": "success", "delta": 11},
        {"status_code": "", "classification": "failure", "delta": 13},  # no response: no class
    ]
    [row] = rows(snapshot(services=[service(requests=requests)])).services
    assert row["requests"] == 3 + 5 + 7 + 11 + 13
    assert row["errors"] == 3 + 13
    assert (row["status_2xx"], row["status_3xx"], row["status_4xx"], row["status_5xx"]) == (3, 7, 11, 5)
    assert (row["tls_requests"], row["total_requests"]) == (100, 120)


def test_the_same_workload_twice_is_summed() -> None:
    first = service(latency_buckets={"5": 1, "+Inf": 2}, latency_sum=10.0, latency_count=2,
                    tls_request_delta=1, total_request_delta=2,
                    requests=[{"status_code": "200", "classification": "success", "delta": 2}])
    second = service(latency_buckets={"5": 3, "10": 4, "+Inf": 4}, latency_sum=2.5, latency_count=4,
                     tls_request_delta=4, total_request_delta=4,
                     requests=[{"status_code": "500", "classification": "failure", "delta": 4}])
    other = service(name="payments")
    result = rows(snapshot(services=[first, other, second]))
    keys = [(r["namespace"], r["name"]) for r in result.services]
    assert keys == [("shop", "checkout"), ("shop", "payments")]
    row = result.services[0]
    assert (row["requests"], row["errors"], row["status_2xx"], row["status_5xx"]) == (6, 4, 2, 4)
    assert (row["latency_sum"], row["latency_count"]) == (12.5, 6)
    assert (row["tls_requests"], row["total_requests"]) == (5, 6)
    assert json.loads(row["buckets"]) == {"5": 4, "10": 4, "+Inf": 6}


def test_the_same_edge_twice_is_summed() -> None:
    result = rows(snapshot(edges=[edge(), edge(dst="payments"), edge(request_delta=5, failure_delta=2,
                                                                      latency_sum=1.5, latency_count=5)]))
    assert len(result.edges) == 2
    row = next(r for r in result.edges if r["dst_name"] == "checkout")
    assert (row["requests"], row["failures"], row["latency_sum"], row["latency_count"]) == (65, 3, 902.0, 65)


def test_ingress_errors_are_codes_of_500_and_above_with_per_method_counts() -> None:
    requests = [
        {"code": "200", "method": "GET", "delta": 10},
        {"code": "500", "method": "get", "delta": 1},
        {"code": "499", "method": "POST", "delta": 2},  # client closed: not a server error
        {"code": "504", "method": "PUT", "delta": 3},
        {"code": "204", "method": "DELETE", "delta": 4},
        {"code": "503", "method": "PATCH", "delta": 5},
        {"code": "301", "method": "OPTIONS", "delta": 6},
        {"code": "502", "method": "PROPFIND", "delta": 7},
    ]
    [row] = rows(snapshot(ingresses=[ingress(requests=requests)])).ingress
    assert row["requests"] == 38
    assert row["errors"] == 1 + 3 + 5 + 7
    assert (row["status_2xx"], row["status_3xx"], row["status_4xx"], row["status_5xx"]) == (14, 6, 2, 16)
    methods = {m: (row[f"{m}_requests"], row[f"{m}_errors"])
               for m in ("get", "post", "put", "delete", "patch", "other")}
    assert methods == {"get": (11, 1), "post": (2, 0), "put": (3, 3), "delete": (4, 0), "patch": (5, 5),
                       "other": (13, 7)}


def test_the_same_backend_twice_is_summed() -> None:
    a = ingress(requests=[{"code": "200", "method": "GET", "delta": 1}],
                latency_buckets={"100": 1, "+Inf": 1}, latency_sum=50.0, latency_count=1)
    b = ingress(requests=[{"code": "500", "method": "GET", "delta": 2}],
                latency_buckets={"100": 0, "+Inf": 2}, latency_sum=900.0, latency_count=2)
    [row] = rows(snapshot(ingresses=[a, b])).ingress
    assert (row["requests"], row["errors"], row["get_requests"], row["get_errors"]) == (3, 2, 3, 2)
    assert (row["latency_sum"], row["latency_count"]) == (950.0, 3)
    assert json.loads(row["buckets"]) == {"100": 1, "+Inf": 3}


def test_backend_domain_comes_from_the_snapshot_routes_first_by_domain_then_path() -> None:
    routes = [
        route(domain="www.example.com", path_prefix="/", service_key="k"),
        route(domain="api.example.com", path_prefix="/v2", service_key="k"),
        route(domain="api.example.com", path_prefix="/v1", service_key="k"),
    ]
    stored = [Route.model_validate(route(domain="aaa.example.com", service_key="k"))]
    [row] = rows(snapshot(ingresses=[ingress("k")], routes=routes), stored=stored).ingress
    assert (row["domain"], row["path"]) == ("api.example.com", "/v1")


def test_backend_without_a_route_in_the_snapshot_uses_the_stored_mapping() -> None:
    stored = [
        Route.model_validate(route(domain="z.example.com", service_key="k")),
        Route.model_validate(route(domain="m.example.com", path_prefix="/shop", service_key="k")),
        Route.model_validate(route(domain="a.example.com", service_key="other")),
    ]
    document = snapshot(ingresses=[ingress("k"), ingress("unrouted")], routes=[route(service_key="x")])
    placed = {r["service_key"]: (r["domain"], r["path"]) for r in rows(document, stored=stored).ingress}
    assert placed == {"k": ("m.example.com", "/shop"), "unrouted": ("", "")}


def test_repeated_routes_become_one_mapping_row() -> None:
    result = rows(snapshot(routes=[route(tls=False), route(service_key="b"), route(tls=True)]))
    assert [(r["service_key"], r["tls"]) for r in result.routes] == [("shop-frontend-80", True), ("b", True)]


def test_stored_routes_are_needed_only_for_backends_the_snapshot_does_not_route() -> None:
    routed = SLOSnapshot.model_validate(snapshot(ingresses=[ingress("a")], routes=[route(service_key="a")]))
    unrouted = SLOSnapshot.model_validate(snapshot(ingresses=[ingress("a"), ingress("b")],
                                                   routes=[route(service_key="a")]))
    no_ingress = SLOSnapshot.model_validate(snapshot(ingresses=[], routes=[]))
    assert needs_stored_routes(routed) is False
    assert needs_stored_routes(unrouted) is True
    assert needs_stored_routes(no_ingress) is False


def test_row_counts_beyond_the_stored_limit_are_refused_naming_the_item() -> None:
    # Each item's count is within the contract's limit; their sum in one row is not (the
    # overflow bound of every stored and queried sum rests on the row limit).
    assert MAX_STORED_COUNT == 10**12
    half = MAX_STORED_COUNT // 2 + 1
    request = {"status_code": "200", "classification": "success", "delta": half}
    twice = service(name="big", requests=[request, request])
    with pytest.raises(SnapshotOutOfRange, match=f"services shop/big: requests = {2 * half} exceeds"):
        rows(snapshot(services=[twice]))
    with pytest.raises(SnapshotOutOfRange, match="edges shop/a/shop/checkout: requests"):
        rows(snapshot(edges=[edge(src="a", request_delta=half), edge(src="a", request_delta=half)]))
    with pytest.raises(SnapshotOutOfRange, match="ingress k: latency_count"):
        rows(snapshot(ingresses=[ingress("k", latency_count=half), ingress("k", latency_count=half)]))
    # The largest storable count itself is fine.
    [row] = rows(snapshot(edges=[edge(request_delta=MAX_STORED_COUNT)])).edges
    assert row["requests"] == MAX_STORED_COUNT


def test_latency_sums_adding_up_to_infinity_are_refused() -> None:
    # The contract bounds each latency_sum (1e18 ms), so no body reaches infinity: the guard is
    # defence in depth, exercised here on totals built past the contract.
    totals = snapshot_totals(SLOSnapshot.model_validate(snapshot()), received_at=99)
    for item in totals.services.values():
        item.latency_sum = math.inf
    with pytest.raises(SnapshotOutOfRange, match="latency_sum adds up to infinity"):
        snapshot_rows(totals)


def test_timestamps_beyond_64_bits_are_refused() -> None:
    with pytest.raises(SnapshotOutOfRange, match=r"slo_data\.timestamp"):
        rows(snapshot(timestamp=2**63, window=30))
