"""``POST /agent/snapshot`` over HTTP (FastAPI TestClient), on SQLite and PostgreSQL.

Every rejected snapshot must answer the right status with a message naming the
problem, and leave every table empty.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.storage.snapshot_builders import DELETE, stored_rows, with_change
from tests.storage.snapshot_builders import snapshot as build_snapshot

from adapters.api.app import create_app
from entrypoints.master_container import MasterContainer
from entrypoints.master_settings import MasterSettings

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY = 64 * 1024
# Recent snapshots: the master's background jobs run during these tests, and its
# cleaner would remove raw rows older than the raw retention.
NOW = int(time.time())


def snapshot(**kwargs: Any) -> dict[str, Any]:
    return build_snapshot(**{"timestamp": NOW, **kwargs})


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = MasterSettings(
        database_url=database_url,
        ingest_token=TOKEN,
        allowed_clusters=["prod-eu-1", "prod-us-1"],
        max_body=MAX_BODY,
    )
    with TestClient(create_app(MasterContainer(settings=settings))) as test_client:
        yield test_client


def post(client: TestClient, document: Any, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return client.post("/agent/snapshot", content=body,
                       headers={"Content-Type": "application/json", **(AUTH if headers is None else headers)})


def test_good_snapshot_is_stored_once(client: TestClient, database_url: str) -> None:
    first = post(client, snapshot())
    again = post(client, snapshot())
    assert (first.status_code, first.json()) == (200, {"status": "stored"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    counts = stored_rows(database_url)
    assert counts["snapshot_log"] == counts["service_raw"] == counts["edge_raw"] == counts["ingress_raw"] == 1
    metrics = client.get("/metrics").text
    assert 'meshslo_master_ingest_snapshots_total{result="stored"} 1.0' in metrics
    assert 'meshslo_master_ingest_snapshots_total{result="duplicate"} 1.0' in metrics
    assert "meshslo_master_ingest_seconds_count 2.0" in metrics
    assert newest_snapshot_gauge(metrics, "prod-eu-1") == NOW
    # A late snapshot is stored but does not move the newest-snapshot gauge back.
    assert post(client, snapshot(timestamp=NOW - 600)).json() == {"status": "stored"}
    assert newest_snapshot_gauge(client.get("/metrics").text, "prod-eu-1") == NOW


def newest_snapshot_gauge(metrics: str, cluster_id: str) -> float:
    prefix = f'meshslo_master_last_snapshot_timestamp_seconds{{cluster_id="{cluster_id}"}} '
    [line] = [line for line in metrics.splitlines() if line.startswith(prefix)]
    return float(line.removeprefix(prefix))


BAD_SNAPSHOTS = [
    pytest.param(["slo_data", "services", 0, "requests", 1, "delta"], "2",
                 "slo_data.services[0].requests[1].delta: Input should be a valid integer", id="wrong-type"),
    pytest.param(["slo_data", "services", 0, "requests", 1, "delta"], -1,
                 "slo_data.services[0].requests[1].delta: Input should be greater than or equal to 0",
                 id="negative-delta"),
    pytest.param(["slo_data", "edges", 0, "failure_delta"], -3,
                 "slo_data.edges[0].failure_delta: Input should be greater than or equal to 0",
                 id="negative-edge-delta"),
    pytest.param(["slo_data", "ingress", 0, "latency_buckets"], {"fast": 1, "+Inf": 2},
                 "slo_data.ingress[0].latency_buckets: Value error, bucket key 'fast' is neither a number",
                 id="bad-bucket-key"),
    pytest.param(["slo_data", "services", 0, "latency_buckets"], {"NaN": 1},
                 "slo_data.services[0].latency_buckets: Value error, bucket key 'NaN'", id="nan-bucket-key"),
    pytest.param(["slo_data", "services", 0, "latency_buckets"], {" 5 ": 1},
                 "bucket key ' 5 ' is neither a number", id="padded-bucket-key"),
    pytest.param(["slo_data", "services", 0, "latency_buckets"], {"1_000": 1},
                 "bucket key '1_000' is neither a number", id="underscore-bucket-key"),
    pytest.param(["slo_data", "ingress", 0, "latency_buckets"], {"\uff15": 1},
                 "slo_data.ingress[0].latency_buckets: Value error, bucket key", id="non-ascii-digit"),
    pytest.param(["slo_data", "window_start"], NOW,
                 f"slo_data: Value error, window_start ({NOW}) must be before timestamp ({NOW})",
                 id="window-start-equals-timestamp"),
    pytest.param(["slo_data", "window_start"], NOW + 60,
                 "must be before timestamp", id="window-start-after-timestamp"),
    pytest.param(["cluster_id"], DELETE, "cluster_id: Field required", id="missing-cluster-id"),
    pytest.param(["cluster_id"], "bad cluster!", "cluster_id: String should match pattern",
                 id="malformed-cluster-id"),
    pytest.param(["slo_data", "services", 0, "latency_sum"], "NaN",
                 "slo_data.services[0].latency_sum: Input should be a valid number", id="string-nan-sum"),
    pytest.param(["slo_data", "routes", 0, "service_port"], 70000,
                 "slo_data.routes[0].service_port: Input should be less than or equal to 65535",
                 id="port-out-of-range"),
    pytest.param(["slo_data", "services"], {"namespace": "x"},
                 "slo_data.services: Input should be a valid array", id="object-instead-of-list"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_SNAPSHOTS)
def test_invalid_snapshot_is_refused_naming_the_field(
    client: TestClient, database_url: str, path: list, value: Any, message: str
) -> None:
    response = post(client, with_change(snapshot(), path, value))
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert set(stored_rows(database_url).values()) == {0}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(snapshot(edges=[{"src_ns": "a", "src_name": "b", "dst_ns": "c", "dst_name": "d",
                                      "request_delta": 2**64}]),
                     "slo_data.edges[0].request_delta: Input should be less than or equal to 1000000000000",
                     id="huge-delta"),
        pytest.param(snapshot(timestamp=2**70), "slo_data.timestamp", id="huge-timestamp"),
        pytest.param(with_change(snapshot(), ["slo_data", "services", 0, "namespace"], "shop\x00x"),
                     "slo_data.services[0].namespace: contains a NUL character", id="nul-in-name"),
        pytest.param(with_change(snapshot(), ["slo_data", "routes", 0, "path_prefix"], "/\x00"),
                     "slo_data.routes[0].path_prefix: contains a NUL character", id="nul-in-path"),
    ],
)
def test_numbers_the_database_cannot_hold_are_a_422(
    client: TestClient, database_url: str, document: dict, message: str
) -> None:
    response = post(client, document)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert set(stored_rows(database_url).values()) == {0}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b'{"cluster_id": "prod-eu-1", "slo_data": ', "body: Invalid JSON", id="truncated-json"),
        pytest.param(b"", "body: Invalid JSON", id="empty-body"),
        pytest.param(b"[1, 2]", "body: Input should be an object", id="json-array"),
        pytest.param(b"\xff\xfe\x00garbage", "body: Invalid JSON", id="binary-garbage"),
    ],
)
def test_unparseable_body_is_a_422_not_a_500(
    client: TestClient, database_url: str, body: bytes, message: str
) -> None:
    response = post(client, body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert set(stored_rows(database_url).values()) == {0}


def test_every_problem_of_a_snapshot_is_listed(client: TestClient) -> None:
    document = with_change(snapshot(), ["slo_data", "edges", 0, "request_delta"], -1)
    document = with_change(document, ["slo_data", "ingress", 0, "latency_count"], "many")
    detail = post(client, document).json()["detail"]
    assert "slo_data.edges[0].request_delta" in detail
    assert "slo_data.ingress[0].latency_count" in detail


def oversize_snapshot() -> bytes:
    services = [{"namespace": "shop", "name": f"workload-{i:05d}", "requests": []} for i in range(2000)]
    body = json.dumps(snapshot(services=services)).encode()
    assert len(body) > MAX_BODY
    return body


def test_oversize_body_is_refused_with_413(client: TestClient, database_url: str) -> None:
    response = post(client, oversize_snapshot())
    assert response.status_code == 413
    assert f"larger than the limit of {MAX_BODY} bytes" in response.json()["detail"]
    assert set(stored_rows(database_url).values()) == {0}


def test_oversize_chunked_body_without_content_length_is_refused_with_413(
    client: TestClient, database_url: str
) -> None:
    body = oversize_snapshot()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start:start + 4096]

    response = client.post("/agent/snapshot", content=chunks(), headers=AUTH)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert set(stored_rows(database_url).values()) == {0}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param({}, "missing bearer token", id="missing"),
        pytest.param({"Authorization": "Bearer wrong"}, "wrong bearer token", id="wrong"),
        pytest.param({"Authorization": f"Basic {TOKEN}"}, "missing bearer token", id="other-scheme"),
        pytest.param({"Authorization": f"Bearer {TOKEN}x"}, "wrong bearer token", id="longer"),
        pytest.param({"Authorization": "Bearer "}, "missing bearer token", id="empty"),
    ],
)
def test_missing_or_wrong_token_is_refused_with_401(
    client: TestClient, database_url: str, headers: dict[str, str], message: str
) -> None:
    response = post(client, snapshot(), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert message in response.json()["detail"]
    assert set(stored_rows(database_url).values()) == {0}


def test_token_is_checked_before_the_body_is_read(client: TestClient) -> None:
    """An unauthenticated client learns nothing about the contract (401, not 422)."""
    response = post(client, b"not json at all", headers={})
    assert response.status_code == 401


def test_cluster_outside_the_allow_list_is_refused_with_403(client: TestClient, database_url: str) -> None:
    response = post(client, snapshot(cluster_id="staging-1"))
    assert response.status_code == 403
    assert "'staging-1' is not in the allowed clusters" in response.json()["detail"]
    assert set(stored_rows(database_url).values()) == {0}
    metrics = client.get("/metrics").text
    assert 'meshslo_master_rejected_snapshots_total{reason="cluster_not_allowed"} 1.0' in metrics


def test_readiness_and_liveness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_unreachable_database_leaves_the_master_up_but_not_ready() -> None:
    # Nothing listens on port 9 of localhost: every connection is refused at once.
    settings = MasterSettings(database_url="postgresql://meshslo@127.0.0.1:9/none", ingest_token=TOKEN)
    with TestClient(create_app(MasterContainer(settings=settings))) as unready:
        assert unready.get("/healthz").status_code == 200
        ready = unready.get("/readyz")
        assert ready.status_code == 503
        assert "not migrated" in ready.json()["detail"]
        response = post(unready, snapshot())
        assert response.status_code == 503  # agents retry and spool on 5xx
        assert "retry" in response.json()["detail"]
        metrics = unready.get("/metrics").text
        assert 'meshslo_master_ingest_snapshots_total{result="failed"} 1.0' in metrics


def test_gzip_body_is_accepted(client: TestClient, database_url: str) -> None:
    body = gzip.compress(json.dumps(snapshot()).encode())
    response = client.post("/agent/snapshot", content=body,
                           headers={**AUTH, "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (200, {"status": "stored"})
    assert stored_rows(database_url)["service_raw"] == 1


@pytest.mark.parametrize(
    ("body", "encoding", "status_code", "message"),
    [
        # 10 MiB of spaces compress to a few KiB: the limit applies to what it inflates to.
        pytest.param(gzip.compress(b" " * (10 * 1024 * 1024)), "gzip", 413, "larger than the limit",
                     id="gzip-bomb"),
        pytest.param(b"definitely not gzip", "gzip", 422, "body: not valid gzip data", id="not-gzip"),
        pytest.param(gzip.compress(b'{"cluster_id": "prod-eu-1"}')[:-12], "gzip", 422,
                     "gzip stream ends early", id="truncated-gzip"),
        pytest.param(b"{}", "br", 415, "content encoding br is not supported", id="brotli"),
    ],
)
def test_bad_encoded_bodies_are_refused(
    client: TestClient, database_url: str, body: bytes, encoding: str, status_code: int, message: str
) -> None:
    response = client.post("/agent/snapshot", content=body, headers={**AUTH, "Content-Encoding": encoding})
    assert response.status_code == status_code
    assert message in response.json()["detail"]
    assert set(stored_rows(database_url).values()) == {0}


def test_client_leaving_mid_body_stores_nothing_and_raises_nothing(
    client: TestClient, database_url: str
) -> None:
    body = json.dumps(snapshot()).encode()
    messages = iter([
        {"type": "http.request", "body": body[: len(body) // 2], "more_body": True},
        {"type": "http.disconnect"},
    ])
    sent: list[dict] = []

    async def receive() -> dict:
        return next(messages)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/agent/snapshot", "raw_path": b"/agent/snapshot", "query_string": b"", "root_path": "",
        "headers": [(b"authorization", f"Bearer {TOKEN}".encode())],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080), "app": client.app,
    }
    client.portal.call(client.app, scope, receive, send)  # type: ignore[union-attr]
    assert sent[0]["status"] == 400
    assert set(stored_rows(database_url).values()) == {0}


def test_openapi_documents_the_snapshot_body(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    body = document["paths"]["/agent/snapshot"]["post"]["requestBody"]["content"]["application/json"]
    schemas = document["components"]["schemas"]
    snapshot_schema = schemas[body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(snapshot_schema["required"]) == {"cluster_id", "slo_data"}

    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield from [value] if key == "$ref" else refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    assert [ref for ref in refs(document) if ref.rsplit("/", 1)[1] not in schemas] == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_limit_is_exact(client: TestClient, chunked: bool) -> None:
    compact = json.dumps(snapshot()).encode()
    at_limit = compact + b" " * (MAX_BODY - len(compact))  # whitespace after JSON is still valid JSON
    over_limit = at_limit + b" "

    def send(body: bytes):  # type: ignore[no-untyped-def]
        content = iter([body[:1000], body[1000:]]) if chunked else body
        return client.post("/agent/snapshot", content=content, headers=AUTH)

    assert len(at_limit) == MAX_BODY
    assert send(over_limit).status_code == 413
    assert send(at_limit).json() == {"status": "stored"}
