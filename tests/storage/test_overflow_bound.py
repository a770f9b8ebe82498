"""The overflow bound next to ``MAX_STORED_COUNT``, exercised on SQLite and PostgreSQL.

One hour of maximal snapshots (every count 10**12, 63 finite bounds and +Inf,
the shortest window of 1 s: 3,600 snapshots) is stored through the ingest use
case and rolled up by the aggregator. Its hourly rows (3.6e15 per count, far
above 2**53) are then repeated over the longest range a read may ask for
(90 d, 2,160 hours), as if every one of those hours had been ingested alike:
the SQL sums of a read reach 7.776e18, the largest the proof allows, and every
endpoint answers 200 with exact totals.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.storage.snapshot_builders import edge, ingress, route, service, snapshot

from adapters.api.app import create_app
from adapters.api.params import MAX_RANGE_SECONDS
from adapters.storage import schema
from domain.contract import MAX_BUCKETS, MAX_COUNT, MAX_LATENCY_SUM_MS, SLOSnapshot
from domain.timewindow import HOUR, hour_of
from entrypoints.master_container import MasterContainer
from entrypoints.master_settings import MasterSettings

CLUSTER = "prod-eu-1"
NOW = int(time.time())
LAST_HOUR = hour_of(NOW) - 2 * HOUR  # complete, and inside the raw retention
HOURS = MAX_RANGE_SECONDS // HOUR
START, END = LAST_HOUR - (HOURS - 1) * HOUR, LAST_HOUR + HOUR  # the read (START, END] spans 90 d
TOTAL = HOURS * HOUR * MAX_COUNT  # one snapshot a second, MAX_COUNT each
BUCKETS = {str(bound): MAX_COUNT for bound in range(1, MAX_BUCKETS)} | {"+Inf": MAX_COUNT}


def maximal_snapshot(timestamp: int) -> dict[str, Any]:
    """Every count of every item at the limit; each key's row sum too (one request line per item)."""

    def workload(name: str, code: str, classification: str) -> dict[str, Any]:
        return service(name=name, requests=[{"status_code": code, "classification": classification,
                                             "delta": MAX_COUNT}],
                       latency_buckets=BUCKETS, latency_sum=MAX_LATENCY_SUM_MS, latency_count=MAX_COUNT,
                       tls_request_delta=MAX_COUNT, total_request_delta=MAX_COUNT)

    edges = [edge(src=src, dst="ok", request_delta=MAX_COUNT, failure_delta=MAX_COUNT,
                  latency_sum=MAX_LATENCY_SUM_MS, latency_count=MAX_COUNT) for src in ("a", "b")]
    backend = ingress("shop-frontend-80", requests=[{"code": "200", "method": "GET", "delta": MAX_COUNT}],
                      latency_buckets=BUCKETS, latency_sum=MAX_LATENCY_SUM_MS, latency_count=MAX_COUNT)
    return snapshot(cluster_id=CLUSTER, timestamp=timestamp, window=1,
                    services=[workload("ok", "200", "success"), workload("down", "503", "failure")],
                    edges=edges, ingresses=[backend], routes=[route(service_key="shop-frontend-80")])


def repeat_hour(engine: Engine, source: int, hours: list[int]) -> None:
    """Copy the rollup of ``source`` (hourly rows and their fresh state) to each of ``hours``."""
    tables = (schema.service_hourly, schema.edge_hourly, schema.ingress_hourly, schema.cluster_hourly,
              schema.rollup_state)
    with engine.begin() as connection:
        for table in tables:
            rows = [dict(row._mapping) for row in connection.execute(
                select(table).where(table.c.cluster_id == CLUSTER, table.c.hour == source))]
            assert rows, table.name
            connection.execute(table.insert(), [{**row, "hour": hour} for hour in hours for row in rows])


@pytest.fixture
def client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    # Hourly rows are kept beyond the 90 d read so that the cleaner leaves the first hour alone.
    settings = MasterSettings(database_url=database_url, hourly_retention=100 * 86400)
    container = MasterContainer(settings=settings)
    use_case = container.ingest_use_case()
    for timestamp in range(LAST_HOUR + 1, LAST_HOUR + HOUR + 1):
        use_case.ingest(SLOSnapshot.model_validate(maximal_snapshot(timestamp)))
    container.aggregator().run(NOW)
    repeat_hour(engine, LAST_HOUR, [LAST_HOUR - k * HOUR for k in range(1, HOURS)])
    with TestClient(create_app(container)) as test_client:
        target = {"cluster_id": CLUSTER, "target_type": "service", "key": "shop/down", "window": "30d",
                  "availability_target": 99.0}
        assert test_client.put("/api/v2/slo/targets", json=target).status_code == 200
        container.status_checker().run(NOW)
        container.alert_evaluator().run(NOW)
        yield test_client


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params={"cluster_id": CLUSTER, **params})
    assert response.status_code == 200, (path, response.text)
    return response.json()


def test_maximal_snapshots_over_the_longest_read_sum_exactly(client: TestClient) -> None:
    assert HOUR * MAX_COUNT * 3 > 2**53 and TOTAL < 2**63
    window = {"start": str(START), "end": str(END)}
    # A maximal snapshot is accepted through the API as well (the next second, its own hour).
    assert client.post("/agent/snapshot", json=maximal_snapshot(END + 1)).json() == {"status": "stored"}

    topology = get(client, "/api/v2/slo/mesh/topology", **window)
    assert topology["covered_seconds"] == HOURS * HOUR
    nodes = {node["id"]: node for node in topology["nodes"]}
    assert (nodes["shop/ok"]["total_requests"], nodes["shop/ok"]["errors"]) == (TOTAL, 0)
    assert (nodes["shop/down"]["total_requests"], nodes["shop/down"]["errors"]) == (TOTAL, TOTAL)
    assert nodes["shop/ok"]["rps"] == MAX_COUNT
    assert nodes["shop/ok"]["mtls_percent"] == 100.0
    assert nodes["shop/ok"]["avg_latency"] == pytest.approx(MAX_LATENCY_SUM_MS / MAX_COUNT)  # float sums
    assert [(e["total_requests"], e["failures"]) for e in topology["edges"]] == [(TOTAL, TOTAL)] * 2

    detail = get(client, "/api/v2/slo/mesh/service/detail", namespace="shop", name="ok", **window)
    assert detail["node"]["total_requests"] == TOTAL
    assert detail["node"]["p99_latency"] is not None

    domains = get(client, "/api/v2/slo/domains/v2", **window)
    [domain] = domains["domains"]
    assert domains["summary"]["total_requests"] == domain["summary"]["total_requests"] == TOTAL
    domain_detail = get(client, "/api/v2/slo/domains/detail", domain="shop.example.com", **window)
    assert domain_detail["domain"]["summary"]["total_requests"] == TOTAL
    history = get(client, "/api/v2/slo/domains/history", domain="shop.example.com", **window)
    assert sum(point["total_requests"] for point in history["points"]) == TOTAL

    # The status checker and the alert evaluator ran over these rows (1 d to 30 d windows).
    assert (nodes["shop/ok"]["status"], nodes["shop/down"]["status"]) == ("healthy", "critical")
    [target] = get(client, "/api/v2/slo/targets")["targets"]
    assert (target["key"], target["window"]) == ("shop/down", "30d")
    changes = get(client, "/api/v2/slo/status-history", target_type="service", key="shop/down")["changes"]
    assert [change["new_status"] for change in changes] == ["critical"]
    get(client, "/api/v2/slo/alerts")
    budget = get(client, "/api/v2/slo/budget", target_type="service", key="shop/down", window="30d")
    assert budget
