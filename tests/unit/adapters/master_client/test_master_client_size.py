"""HttpMasterClient: gzip bodies compressed once per send, the snapshot size limit, and 413."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import httpx
import pytest
from tests.unit.adapters.master_client.test_master_client_http import FAST, Script

from adapters.master_client.http_client import DEFAULT_MAX_SNAPSHOT_BYTES, HttpMasterClient
from adapters.master_client.snapshot_json import snapshot_json
from application.ports.agent import SnapshotTooLarge
from domain.contract import ServiceMetrics, ServiceRequests, SLOData, SLOSnapshot


def big_snapshot(services: int, timestamp: int = 1_764_000_030) -> SLOSnapshot:
    """A snapshot of ``services`` workloads: about 300 bytes of JSON each."""
    return SLOSnapshot(
        cluster_id="c1", agent_version="test",
        slo_data=SLOData(timestamp=timestamp, window_start=timestamp - 30, services=[
            ServiceMetrics(namespace="shop", name=f"checkout-{i}", total_request_delta=5,
                           requests=[ServiceRequests(status_code="200", classification="success", delta=5)])
            for i in range(services)
        ]),
    )


def client_for(script: Script, max_snapshot_bytes: int = DEFAULT_MAX_SNAPSHOT_BYTES) -> HttpMasterClient:
    return HttpMasterClient("http://master.example:8080", "tok", timeout=1.0, policy=FAST,
                            transport=httpx.MockTransport(script), sleep=lambda _: None,
                            max_snapshot_bytes=max_snapshot_bytes)


def test_the_body_is_gzip_of_the_snapshot_json_and_much_smaller() -> None:
    script = Script(200)
    snapshot = big_snapshot(500)
    client_for(script).send(snapshot)
    [request] = script.requests
    assert request.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(request.content) == snapshot_json(snapshot)
    assert len(request.content) < len(snapshot_json(snapshot)) / 5


def test_retries_send_the_same_body_compressed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    compressions: list[int] = []
    real_compress: Callable[..., bytes] = gzip.compress

    def counting_compress(data: bytes, *args: object, **kwargs: object) -> bytes:
        compressions.append(len(data))
        return real_compress(data, *args, **kwargs)

    monkeypatch.setattr(gzip, "compress", counting_compress)
    script = Script(503, httpx.ConnectError("refused"), 200)
    client_for(script).send(big_snapshot(50))
    assert len(script.requests) == 3
    assert len({request.content for request in script.requests}) == 1
    assert len(compressions) == 1


def test_a_snapshot_over_the_limit_is_never_posted_and_the_error_names_size_limit_and_flags() -> None:
    script = Script(200)
    snapshot = big_snapshot(100)
    size = len(snapshot_json(snapshot))
    client = client_for(script, max_snapshot_bytes=size - 1)
    with pytest.raises(SnapshotTooLarge) as caught:
        client.check_size(snapshot)
    with pytest.raises(SnapshotTooLarge):
        client.send(snapshot)
    assert script.requests == []
    message = str(caught.value)
    assert caught.value.retryable is False
    assert f"{size:,} bytes" in message and f"{size - 1:,} bytes" in message
    assert "--max-snapshot-bytes" in message and "MESHSLO_MAX_SNAPSHOT_BYTES" in message
    assert "--max-body" in message
    client_for(script, max_snapshot_bytes=size).send(snapshot)  # the limit itself is allowed
    assert len(script.requests) == 1


def test_a_413_is_too_large_at_once_not_retried_naming_the_masters_limit() -> None:
    detail = {"detail": "snapshot body is larger than the limit of 4096 bytes"}
    script = Script((413, json.dumps(detail)))
    snapshot = big_snapshot(100)
    with pytest.raises(SnapshotTooLarge) as caught:
        client_for(script).send(snapshot)
    assert len(script.requests) == 1
    assert caught.value.retryable is False
    message = str(caught.value)
    assert "HTTP 413" in message and "limit of 4096 bytes" in message and "--max-body" in message
    assert f"{len(snapshot_json(snapshot)):,} bytes" in message


def test_a_limit_below_one_byte_is_refused() -> None:
    with pytest.raises(ValueError, match="max_snapshot_bytes must be at least 1"):
        client_for(Script(200), max_snapshot_bytes=0)
