"""Hostile snapshots over HTTP (issue #12 rows 1, 2 and 10), on SQLite and PostgreSQL.

Each was accepted and stored before; each is now refused with the status and a
message naming the field and the limit, and leaves every table empty.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.storage.snapshot_builders import edge, service, stored_rows
from tests.storage.snapshot_builders import snapshot as build_snapshot

from adapters.api.app import create_app
from entrypoints.master_container import MasterContainer
from entrypoints.master_settings import MasterSettings

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Content-Type": "application/json"}
NOW = int(time.time())
READS = ("/api/v2/slo/mesh/topology", "/api/v2/slo/domains/v2")


def snapshot(**kwargs: Any) -> dict[str, Any]:
    return build_snapshot(**{"timestamp": NOW, **kwargs})


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    # A body limit above the 3.4 MB of 200,000 bucket keys, so that the bucket limit is what refuses them.
    settings = MasterSettings(database_url=database_url, ingest_token=TOKEN, max_body=8 * 1024 * 1024)
    with TestClient(create_app(MasterContainer(settings=settings))) as test_client:
        yield test_client


def post_body(  # type: ignore[no-untyped-def]
    client: TestClient, body: bytes, headers: dict[str, str] | None = None
):
    return client.post("/agent/snapshot", content=body, headers={**AUTH, **JSON, **(headers or {})})


def post(client: TestClient, document: Any):  # type: ignore[no-untyped-def]
    return post_body(client, json.dumps(document).encode())


def assert_refused(response: Any, status: int, message: str, database_url: str) -> None:
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert set(stored_rows(database_url).values()) == {0}


def test_a_count_near_2_to_the_63_is_refused_and_the_cluster_stays_readable(
    client: TestClient, database_url: str
) -> None:
    # Row 1: delta 2**63 - 1 then 5 for one workload made every read of the cluster a 500.
    huge = service(requests=[{"status_code": "200", "classification": "success", "delta": 2**63 - 1}],
                   total_request_delta=0, tls_request_delta=0)
    assert_refused(post(client, snapshot(services=[huge], timestamp=NOW - 30)), 422,
                   "slo_data.services[0].requests[0].delta: Input should be less than or equal to "
                   "1000000000000", database_url)
    small = service(requests=[{"status_code": "200", "classification": "success", "delta": 5}],
                    total_request_delta=5, tls_request_delta=5)
    assert post(client, snapshot(services=[small])).status_code == 200
    for path in READS:
        assert client.get(path, params={"cluster_id": "prod-eu-1"}).status_code == 200
    detail = client.get("/api/v2/slo/mesh/service/detail",
                        params={"cluster_id": "prod-eu-1", "namespace": "shop", "name": "checkout"})
    assert detail.status_code == 200


def test_200000_bucket_keys_are_refused(client: TestClient, database_url: str) -> None:
    # Row 2: 200,000 keys made every topology read take 6.6 s.
    buckets = {str(bound): bound for bound in range(1, 200_000)} | {"+Inf": 200_000}
    body = json.dumps(snapshot(services=[service(latency_buckets=buckets)])).encode()
    assert len(body) > 3_000_000
    assert_refused(post_body(client, body), 422,
                   "slo_data.services[0].latency_buckets: Value error, 200000 bucket keys, more than the "
                   "limit of 64", database_url)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(snapshot(services=[service(latency_buckets={"5": 1, "+Inf": 2**200})]),
                     "slo_data.services[0].latency_buckets.+Inf: Input should be less than or equal to "
                     "1000000000000", id="bucket-2**200"),
        pytest.param(snapshot(services=[service(latency_buckets={"10": 1, "10.0": 1, "1e1": 1, "+Inf": 2})]),
                     "bucket keys '10' and '10.0' are the same bound, given twice", id="repeated-bounds"),
        pytest.param(snapshot(timestamp=2**62), "slo_data.timestamp (4611686018427387904) is",
                     id="timestamp-2**62"),
        pytest.param(build_snapshot(timestamp=NOW, window=NOW),
                     f"slo_data.window_start (0): the window of {NOW} s is longer than the limit of 86400 s",
                     id="window-start-0"),
        pytest.param(snapshot(edges=[edge(request_delta=3, failure_delta=4)]),
                     "slo_data.edges[0]: Value error, failure_delta (4) must not exceed request_delta (3)",
                     id="failures-above-requests"),
        pytest.param(snapshot(timestamp=NOW - 49 * 3600), "is older than the raw retention of 172800 s",
                     id="older-than-raw-retention"),
    ],
)
def test_numbers_outside_the_limits_are_a_422(
    client: TestClient, database_url: str, document: dict, message: str
) -> None:
    assert_refused(post(client, document), 422, message, database_url)


def test_repeated_keys_are_a_422_naming_the_object(client: TestClient, database_url: str) -> None:
    # Last one won: this snapshot was stored for prod-us-1.
    text = json.dumps(snapshot(), separators=(",", ":"))
    twice = text.replace('"agent_version"', '"cluster_id":"prod-us-1","agent_version"', 1)
    assert_refused(post_body(client, twice.encode()), 422, "body: duplicate key 'cluster_id'", database_url)
    inner = text.replace('"latency_sum":1834.0', '"name":"other","latency_sum":1834.0', 1)
    assert_refused(post_body(client, inner.encode()), 422, "slo_data.services[0]: duplicate key 'name'",
                   database_url)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
def test_a_content_type_other_than_json_is_a_415(
    client: TestClient, database_url: str, content_type: str
) -> None:
    response = post_body(client, json.dumps(snapshot()).encode(), {"Content-Type": content_type})
    assert_refused(response, 415, f"Content-Type {content_type!r} is not supported: send application/json",
                   database_url)


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON", None])
def test_json_with_parameters_or_without_a_content_type_is_stored(
    client: TestClient, content_type: str | None
) -> None:
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    response = client.post("/agent/snapshot", content=json.dumps(snapshot()).encode(), headers=headers)
    assert (response.status_code, response.json()) == (200, {"status": "stored"})


@pytest.mark.parametrize(
    "trailer",
    [pytest.param(b"garbage", id="garbage"), pytest.param(gzip.compress(b"{}"), id="second-member")],
)
def test_data_after_the_gzip_stream_is_a_400(client: TestClient, database_url: str, trailer: bytes) -> None:
    body = gzip.compress(json.dumps(snapshot()).encode()) + trailer
    response = post_body(client, body, {"Content-Encoding": "gzip"})
    assert_refused(response, 400, "body: data after the end of the gzip stream", database_url)


def test_a_gzip_stream_that_inflates_to_nothing_is_a_413(client: TestClient, database_url: str) -> None:
    # Empty deflate blocks that are never the last, sent chunked (no Content-Length to refuse
    # up front): they inflate to nothing, so only a cap on the compressed bytes ends them.
    header, empty_block = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", b"\x00\x00\x00\xff\xff"

    def endless() -> Iterator[bytes]:
        yield header
        for _ in range(200):
            yield empty_block * 10_000  # 50 KB each, 10 MB in all: beyond the 8 MiB limit

    response = client.post("/agent/snapshot", content=endless(),
                           headers={**AUTH, **JSON, "Content-Encoding": "gzip"})
    assert_refused(response, 413, "snapshot body is larger than the limit", database_url)


def test_integral_floats_are_stored_as_their_integer(client: TestClient) -> None:
    text = json.dumps(snapshot(timestamp=NOW), separators=(",", ":"))
    text = text.replace(f'"timestamp":{NOW}', f'"timestamp":{NOW}.0').replace('"delta":118', '"delta":1.18e2')
    response = post_body(client, text.encode())
    assert (response.status_code, response.json()) == (200, {"status": "stored"})
    detail = client.get("/api/v2/slo/mesh/service/detail",
                        params={"cluster_id": "prod-eu-1", "namespace": "shop", "name": "checkout"}).json()
    assert detail["node"]["total_requests"] == 120
    # The same timestamp, given as an integer this time.
    assert post(client, snapshot(timestamp=NOW)).json() == {"status": "duplicate"}
