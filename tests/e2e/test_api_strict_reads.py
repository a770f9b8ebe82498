"""Query API answers that must not mislead: null for "no data", strict parameters, host names.

Same data set and app as ``test_api_query`` (pinned clock, jobs off).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from tests.e2e.test_api_query import AUTH, NOW, _client
from tests.storage.test_query_exact import SNAPSHOTS, TS1, TS2

from adapters.storage import schema
from adapters.storage.engine import make_engine

pytestmark = pytest.mark.e2e


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    yield from _client(database_url, SNAPSHOTS)


def test_history_points_without_snapshots_are_null(client: TestClient) -> None:
    window = f"cluster_id=c1&start={TS1 - 300}&end={TS2 + 300}"
    detail = client.get(f"/api/v2/slo/mesh/service/detail?{window}&namespace=shop&name=idle", headers=AUTH)
    points = {p["timestamp"]: p for p in detail.json()["history"]}
    assert (points[TS1]["rps"], points[TS1]["availability"]) == (0.0, None)  # a snapshot, no requests
    assert points[TS2 + 300] == {
        "timestamp": TS2 + 300, "rps": None, "p95": None, "error_rate": None, "availability": None,
        "mtls_percent": None, "total_requests": 0, "avg_latency": None,
    }
    domain = client.get(f"/api/v2/slo/domains/history?{window}&domain=shop.example.com", headers=AUTH)
    by_time = {p["timestamp"]: p for p in domain.json()["points"]}
    assert by_time[TS1]["rps"] == pytest.approx(5.0)
    assert by_time[TS1 - 270]["rps"] is None and by_time[TS1 - 270]["availability"] is None


def test_openapi_says_history_rates_may_be_null(client: TestClient) -> None:
    schemas = client.get("/openapi.json", headers=AUTH).json()["components"]["schemas"]
    for model in ("ServiceHistoryPoint", "DomainHistoryPoint"):
        for field in ("rps", "p95", "error_rate", "availability"):
            assert {"type": "null"} in schemas[model]["properties"][field]["anyOf"], (model, field)


def _change(changed_at: int) -> dict[str, object]:
    return {"cluster_id": "c1", "target_type": "service", "key": "shop/frontend", "old_status": "unknown",
            "new_status": "healthy", "availability": 99.0, "p95": 10.0, "error_budget": 80.0,
            "changed_at": changed_at}


def test_status_history_honours_the_time_window(client: TestClient, database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(insert(schema.status_history), [_change(t) for t in (NOW - 7200, NOW - 600, NOW)])
    engine.dispose()

    def stamps(query: str) -> list[int]:
        response = client.get(f"/api/v2/slo/status-history?{query}", headers=AUTH)
        assert response.status_code == 200, response.text
        return [change["changed_at"] for change in response.json()["changes"]]

    assert stamps("") == [NOW, NOW - 600, NOW - 7200]  # no window: everything, as before
    assert stamps("time_range=15m") == [NOW, NOW - 600]
    assert stamps(f"start={NOW - 600}&end={NOW - 1}") == []  # (start, end] like every endpoint
    assert stamps(f"start={NOW - 601}&end={NOW - 1}") == [NOW - 600]
    for query, message in (("time_range=bogus", "time_range must be one of"),
                           ("end=5", "end needs a start"),
                           ("since=1&time_range=1h", "either since or time_range")):
        refused = client.get(f"/api/v2/slo/status-history?{query}", headers=AUTH)
        assert refused.status_code == 422 and message in refused.json()["detail"], refused.text


def test_targets_for_keys_never_reported_are_refused(client: TestClient) -> None:
    body = {"cluster_id": "c1", "target_type": "service", "key": "shop/ghost", "window": "1d",
            "availability_target": 99.5, "p95_target_ms": 200}
    refused = client.put("/api/v2/slo/targets", json=body, headers=AUTH)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("key 'shop/ghost': cluster 'c1' has never reported")
    # Reported only as callees or callers (call edges) still counts, as do routed domains in any case.
    for target_type, key in (("service", "shop/legacy"), ("service", "shop/loadgen"),
                             ("ingress", "shop-orphan-80")):
        accepted = client.put("/api/v2/slo/targets", json={**body, "target_type": target_type, "key": key},
                              headers=AUTH)
        assert accepted.status_code == 200, accepted.text
    domain = client.put("/api/v2/slo/targets", json={**body, "target_type": "ingress",
                                                      "key": "SHOP.Example.com"}, headers=AUTH)
    assert domain.status_code == 200 and domain.json()["key"] == "shop.example.com"
    ghost = client.put("/api/v2/slo/targets", json={**body, "target_type": "ingress", "key": "ghost.example"},
                       headers=AUTH)
    assert ghost.status_code == 422 and "'ghost.example'" in ghost.json()["detail"]


def test_domain_lookups_ignore_case_and_a_trailing_dot(client: TestClient) -> None:
    window = f"cluster_id=c1&start={TS1 - 30}&end={TS2}"
    for asked in ("SHOP.example.com", "shop.example.com."):
        detail = client.get(f"/api/v2/slo/domains/detail?{window}&domain={asked}", headers=AUTH)
        assert detail.status_code == 200, detail.text
        assert detail.json()["domain"]["domain"] == "shop.example.com"
        assert detail.json()["domain"]["summary"]["total_requests"] == 240
        history = client.get(f"/api/v2/slo/domains/history?{window}&domain={asked}", headers=AUTH)
        assert history.status_code == 200 and history.json()["domain"] == "shop.example.com"
