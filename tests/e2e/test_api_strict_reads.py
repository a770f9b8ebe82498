"""Query API answers that must not mislead: null for "no data", strict parameters, host names.

Same data set and app as ``test_api_query`` (pinned clock, jobs off).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.e2e.test_api_query import AUTH, _client
from tests.storage.test_query_exact import SNAPSHOTS, TS1, TS2

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
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for model in ("ServiceHistoryPoint", "DomainHistoryPoint"):
        for field in ("rps", "p95", "error_rate", "availability"):
            assert {"type": "null"} in schemas[model]["properties"][field]["anyOf"], (model, field)
