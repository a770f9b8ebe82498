"""The query API over HTTP: the master app on a real database, snapshots posted to /agent/snapshot.

The clock is pinned so that ``time_range`` windows are reproducible; the
background jobs are off so that nothing changes under the requests (the
stitch equivalence suite proves rollups do not change answers).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from tests.e2e.master_app import running_app
from tests.storage.test_query_exact import SNAPSHOTS, TS1, TS2

from adapters.storage import schema
from adapters.storage.engine import make_engine

pytestmark = pytest.mark.e2e

READ = "read-token-1"
INGEST = "ingest-token-1"
AUTH = {"Authorization": f"Bearer {READ}"}
NOW = TS2 + 5

QUERY_ROUTES = [
    "/api/v2/slo/mesh/topology?cluster_id=c1",
    "/api/v2/slo/mesh/service/detail?cluster_id=c1&namespace=shop&name=frontend",
    "/api/v2/slo/domains/v2?cluster_id=c1",
    "/api/v2/slo/domains/detail?cluster_id=c1&domain=shop.example.com",
    "/api/v2/slo/domains/history?cluster_id=c1&domain=shop.example.com",
    "/api/v2/slo/targets",
    "/api/v2/slo/status-history",
    "/api/v2/clusters",
]


def _client(database_url: str, snapshots: list[dict[str, Any]]) -> Iterator[TestClient]:
    yield from running_app(database_url, snapshots, NOW, ingest_token=INGEST, read_token=READ)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    yield from _client(database_url, SNAPSHOTS)


@pytest.fixture
def one_cluster(tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    yield from _client(f"sqlite:///{tmp_path / 'one.db'}", [s for s in SNAPSHOTS if s["cluster_id"] == "c1"])


@pytest.mark.parametrize("path", QUERY_ROUTES)
def test_every_query_route_needs_the_read_token(client: TestClient, path: str) -> None:
    missing = client.get(path)
    wrong = client.get(path, headers={"Authorization": "Bearer nope"})
    ingest_token = client.get(path, headers={"Authorization": f"Bearer {INGEST}"})
    assert (missing.status_code, wrong.status_code, ingest_token.status_code) == (401, 401, 401)
    assert "missing" in missing.json()["detail"] and "wrong" in wrong.json()["detail"]
    assert client.get(path, headers=AUTH).status_code == 200


def test_put_targets_needs_the_read_token(client: TestClient) -> None:
    body = {"cluster_id": "c1", "target_type": "service", "key": "shop/frontend", "window": "1d",
            "availability_target": 99.5, "p95_target_ms": 200}
    assert client.put("/api/v2/slo/targets", json=body).status_code == 401


def test_topology_over_http(client: TestClient) -> None:
    response = client.get(f"/api/v2/slo/mesh/topology?cluster_id=c1&start={TS1 - 30}&end={TS2}", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert (body["cluster_id"], body["start"], body["end"]) == ("c1", TS1 - 30, TS2)
    assert body["covered_seconds"] == 60
    nodes = {node["id"]: node for node in body["nodes"]}
    assert nodes["shop/frontend"]["total_requests"] == 200
    assert nodes["shop/frontend"]["rps"] == pytest.approx(200 / 60)
    # No traffic: JSON null (never NaN), status unknown.
    assert nodes["shop/idle"]["availability"] is None and nodes["shop/idle"]["p95_latency"] is None
    assert nodes["shop/idle"]["status"] == "unknown"
    assert {(e["source"], e["target"]) for e in body["edges"]} == {
        ("shop/frontend", "pay/api"), ("shop/frontend", "shop/legacy"), ("shop/loadgen", "shop/frontend")}


def test_time_range_counts_back_from_now(client: TestClient) -> None:
    body = client.get("/api/v2/slo/mesh/topology?cluster_id=c1&time_range=15m", headers=AUTH).json()
    assert (body["start"], body["end"]) == (NOW - 900, NOW)
    default = client.get("/api/v2/slo/mesh/topology?cluster_id=c1", headers=AUTH).json()
    assert (default["start"], default["end"]) == (NOW - 3600, NOW)
    day = client.get("/api/v2/slo/mesh/topology?cluster_id=c1&time_range=1d", headers=AUTH).json()
    assert (day["start"], day["end"]) == (NOW - 86400, NOW)


def test_rfc3339_start_and_end(client: TestClient) -> None:
    # TS1 - 30 is 2025-11-28T05:00:00Z
    url = "/api/v2/slo/mesh/topology?cluster_id=c1&start=2025-11-28T05:00:00Z&end=2025-11-28T06:01:00%2B01:00"
    body = client.get(url, headers=AUTH).json()
    assert (body["start"], body["end"]) == (TS1 - 30, TS2)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("time_range=2h", "time_range must be one of 15m, 1h, 6h, 24h, 1d, 7d, 30d"),
        ("time_range=1h&start=1", "either time_range or start/end"),
        ("end=100", "end needs a start"),
        (f"start={TS2}&end={TS1}", "must be before end"),
        (f"start={TS2}&end={TS2}", "must be before end"),
        ("start=yesterday", "start must be unix seconds or an RFC 3339 time"),
        ("start=2025-11-28T05:00:00", "start needs a UTC offset"),
        ("start=-5", "non-negative"),
        ("start=nan", "non-negative"),
        ("start=1&end=99999999999", "at most 90 days"),
        ("cluster_id=", "cluster_id must not be empty"),
    ],
)
def test_invalid_parameters_are_422_with_a_message(client: TestClient, query: str, message: str) -> None:
    parameters = query if query.startswith("cluster_id") else f"cluster_id=c1&{query}"
    response = client.get(f"/api/v2/slo/mesh/topology?{parameters}", headers=AUTH)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]


def test_cluster_is_required_with_several_and_must_be_known(client: TestClient) -> None:
    several = client.get("/api/v2/slo/mesh/topology", headers=AUTH)
    assert several.status_code == 422
    assert "cluster_id is required" in several.json()["detail"] and "c1, c2" in several.json()["detail"]
    unknown = client.get("/api/v2/slo/domains/v2?cluster_id=mars", headers=AUTH)
    assert unknown.status_code == 404 and "unknown cluster_id 'mars'" in unknown.json()["detail"]


def test_cluster_may_be_omitted_while_only_one_reports(one_cluster: TestClient) -> None:
    only = one_cluster.get("/api/v2/slo/mesh/topology", headers=AUTH)
    assert only.status_code == 200 and only.json()["cluster_id"] == "c1"


def test_missing_and_unknown_names(client: TestClient) -> None:
    no_name = client.get("/api/v2/slo/mesh/service/detail?cluster_id=c1&namespace=shop", headers=AUTH)
    assert no_name.status_code == 422
    blank = client.get("/api/v2/slo/mesh/service/detail?cluster_id=c1&namespace=shop&name=%20", headers=AUTH)
    assert (blank.status_code, blank.json()["detail"]) == (422, "name must not be empty")
    ghost = client.get(
        f"/api/v2/slo/mesh/service/detail?cluster_id=c1&namespace=shop&name=ghost&start={H0}&end={TS2}",
        headers=AUTH,
    )
    assert ghost.status_code == 404 and "shop/ghost" in ghost.json()["detail"]
    domain = client.get("/api/v2/slo/domains/detail?cluster_id=c1&domain=nowhere.example", headers=AUTH)
    assert domain.status_code == 404 and "nowhere.example" in domain.json()["detail"]


H0 = TS1 - 30


def test_domains_over_http(client: TestClient) -> None:
    body = client.get(f"/api/v2/slo/domains/v2?cluster_id=c1&start={H0}&end={TS2}", headers=AUTH).json()
    (domain,) = body["domains"]
    assert domain["domain"] == "shop.example.com" and domain["tls"] is True
    services = {s["service_key"]: s for s in domain["services"]}
    assert services["shop-frontend-80"]["backend_service_ids"] == ["shop/frontend"]
    assert services["shop-api-8080"]["paths"] == ["/api", "/v2/api"]
    assert services["shop-api-8080"]["previous"]["availability"] is None
    assert domain["summary"]["total_requests"] == 240
    assert body["summary"]["unrouted_service_keys"] == ["shop-orphan-80"]
    url = f"/api/v2/slo/domains/history?cluster_id=c1&domain=shop.example.com&start={H0}&end={TS2}"
    history = client.get(url, headers=AUTH).json()
    assert [(p["timestamp"], p["total_requests"]) for p in history["points"]] == [(TS1, 150), (TS2, 90)]


def test_targets_round_trip_and_validation(client: TestClient) -> None:
    body = {"cluster_id": "c1", "target_type": "service", "key": "shop/frontend", "window": "1d",
            "availability_target": 99.5, "p95_target_ms": 200}
    stored = client.put("/api/v2/slo/targets", json=body, headers=AUTH)
    assert stored.status_code == 200, stored.text
    assert stored.json() == {**body, "p95_target_ms": 200.0, "updated_at": NOW, "latency_threshold_ms": None,
                             "latency_target": None, "alerting": True}
    again = client.put("/api/v2/slo/targets", json={**body, "availability_target": 99.9}, headers=AUTH)
    assert again.json()["availability_target"] == 99.9
    listed = client.get("/api/v2/slo/targets?cluster_id=c1&target_type=service", headers=AUTH).json()
    assert [(t["key"], t["window"], t["availability_target"]) for t in listed["targets"]] == [
        ("shop/frontend", "1d", 99.9)]
    assert client.get("/api/v2/slo/targets?target_type=ingress", headers=AUTH).json()["targets"] == []
    # The new target changes the node's status: 95 % < 99.9 %.
    url = f"/api/v2/slo/mesh/topology?cluster_id=c1&start={H0}&end={TS2}"
    topology = client.get(url, headers=AUTH).json()
    assert {n["id"]: n["status"] for n in topology["nodes"]}["shop/frontend"] == "critical"

    bad = {"target_type": "pod", "key": "x", "window": "2d", "availability_target": 100,
           "p95_target_ms": 0, "cluster_id": "c1"}
    refused = client.put("/api/v2/slo/targets", json=bad, headers=AUTH)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    for part in ("target_type must be one of service, ingress",
                 "window must be one of 1d, 7d, 28d, 30d, week, month",
                 "availability_target must be above 0 and below 100", "p95_target_ms must be a positive"):
        assert part in detail
    for field, value in (("availability_target", 0), ("availability_target", -3), ("p95_target_ms", -1)):
        assert client.put("/api/v2/slo/targets", json={**body, field: value}, headers=AUTH).status_code == 422
    bad_key = client.put("/api/v2/slo/targets", json={**body, "key": "frontend"}, headers=AUTH)
    assert bad_key.status_code == 422 and "namespace/name" in bad_key.json()["detail"]
    wrong_type = client.put("/api/v2/slo/targets", json={**body, "availability_target": "high"}, headers=AUTH)
    assert wrong_type.status_code == 422
    no_cluster = client.put("/api/v2/slo/targets", json={**body, "cluster_id": None}, headers=AUTH)
    assert no_cluster.status_code == 422 and "cluster_id is required" in no_cluster.json()["detail"]
    assert client.get("/api/v2/slo/targets?target_type=pod", headers=AUTH).status_code == 422


def test_status_history_newest_first_and_filtered(client: TestClient, database_url: str) -> None:
    engine = make_engine(database_url)
    rows = [
        {"cluster_id": "c1", "target_type": "service", "key": "shop/frontend", "old_status": "unknown",
         "new_status": "healthy", "availability": 99.0, "p95": 10.0, "error_budget": 80.0, "changed_at": 100},
        {"cluster_id": "c1", "target_type": "service", "key": "shop/frontend", "old_status": "healthy",
         "new_status": "critical", "availability": 90.0, "p95": 12.0, "error_budget": -100.0,
         "changed_at": 200},
        {"cluster_id": "c2", "target_type": "ingress", "key": "shop.example.com", "old_status": "unknown",
         "new_status": "warning", "availability": None, "p95": None, "error_budget": None, "changed_at": 150},
    ]
    with engine.begin() as connection:
        connection.execute(insert(schema.status_history), rows)
    engine.dispose()
    every = client.get("/api/v2/slo/status-history", headers=AUTH).json()["changes"]
    assert [c["changed_at"] for c in every] == [200, 150, 100]
    c1 = client.get("/api/v2/slo/status-history?cluster_id=c1&since=150", headers=AUTH).json()["changes"]
    assert [(c["old_status"], c["new_status"]) for c in c1] == [("healthy", "critical")]
    ingress = client.get("/api/v2/slo/status-history?target_type=ingress", headers=AUTH).json()["changes"]
    assert [c["key"] for c in ingress] == ["shop.example.com"] and ingress[0]["availability"] is None
    limited = client.get("/api/v2/slo/status-history?limit=1", headers=AUTH).json()["changes"]
    assert len(limited) == 1
    assert client.get("/api/v2/slo/status-history?limit=0", headers=AUTH).status_code == 422
    assert client.get("/api/v2/slo/status-history?since=soon", headers=AUTH).status_code == 422


def test_clusters(client: TestClient) -> None:
    body = client.get("/api/v2/clusters", headers=AUTH).json()
    assert [(c["cluster_id"], c["last_snapshot"], c["agent_version"]) for c in body["clusters"]] == [
        ("c1", TS2, "1.2.3"), ("c2", TS2, "1.2.3")]


def test_openapi_documents_the_query_api(client: TestClient) -> None:
    paths = client.get("/openapi.json", headers=AUTH).json()["paths"]
    for path in ("/api/v2/slo/mesh/topology", "/api/v2/slo/mesh/service/detail", "/api/v2/slo/domains/v2",
                 "/api/v2/slo/domains/detail", "/api/v2/slo/domains/history", "/api/v2/slo/targets",
                 "/api/v2/slo/status-history", "/api/v2/clusters"):
        assert path in paths
    topology = paths["/api/v2/slo/mesh/topology"]["get"]["responses"]["200"]["content"]["application/json"]
    assert topology["schema"]["$ref"].endswith("/TopologyResponse")
    assert "put" in paths["/api/v2/slo/targets"]
