"""The agent's delivery (HttpMasterClient, SendUseCase, DiskSpool) against the real master app
on SQLite and PostgreSQL: gzip bodies are stored, and snapshots over either side's size limit
are dropped and counted, never spooled, while the next one goes through."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.storage.snapshot_builders import row_counts, service
from tests.storage.snapshot_builders import snapshot as build_snapshot

from adapters.api.app import create_app
from adapters.master_client.http_client import HttpMasterClient, RetryPolicy
from adapters.master_client.snapshot_json import snapshot_json
from adapters.master_client.spool import DiskSpool
from adapters.storage.engine import make_engine
from application.agent.send import Outcome, SendUseCase
from domain.contract import SLOSnapshot
from entrypoints.master_container import MasterContainer
from entrypoints.master_settings import MasterSettings

TOKEN = "agent-token"
CLUSTER = "prod-eu-1"
MASTER_MAX_BODY = 16 * 1024
NOW = int(time.time()) // 30 * 30
NO_RETRY_PAUSE = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0, jitter=0.0)


class MasterAppTransport(httpx.BaseTransport):
    """Hands each request the agent makes to the master app in-process, keeping a copy."""

    def __init__(self, app: TestClient) -> None:
        self._app = app
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self._app.send(request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.read())


class Delivery:
    """One agent's delivery side, spooling to a real directory, sending to the real master."""

    def __init__(self, app: TestClient, spool_dir: Path, max_snapshot_bytes: int) -> None:
        self.transport = MasterAppTransport(app)
        self.client = HttpMasterClient("http://master.test", TOKEN, timeout=5.0, policy=NO_RETRY_PAUSE,
                                       transport=self.transport, sleep=lambda _: None,
                                       max_snapshot_bytes=max_snapshot_bytes)
        self.spool = DiskSpool(spool_dir, max_items=10)
        self.sender = SendUseCase(self.client, self.spool)

    def close(self) -> None:
        self.client.close()
        self.spool.close()


@pytest.fixture
def master(database_url: str) -> Iterator[TestClient]:
    settings = MasterSettings(database_url=database_url, ingest_token=TOKEN, max_body=MASTER_MAX_BODY)
    with TestClient(create_app(MasterContainer(settings=settings))) as app:
        yield app


def agent(master: TestClient, tmp_path: Path, max_snapshot_bytes: int = 8 * 1024 * 1024) -> Delivery:
    return Delivery(master, tmp_path / "spool", max_snapshot_bytes)


def interval(end: int, workloads: int = 1) -> SLOSnapshot:
    """The snapshot of the interval ending at ``end``; each workload adds ~0.5 KiB of JSON."""
    services = [service(name=f"checkout-{i}") for i in range(workloads)]
    return SLOSnapshot.model_validate(build_snapshot(cluster_id=CLUSTER, timestamp=end, services=services))


def stored(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        counts = row_counts(engine)
    finally:
        engine.dispose()
    return {"snapshots": counts["snapshot_log"], "services": counts["service_raw"]}


def test_a_gzipped_snapshot_is_taken_and_stored_by_the_master(
    master: TestClient, database_url: str, tmp_path: Path
) -> None:
    delivery = agent(master, tmp_path)
    snapshot = interval(NOW, workloads=20)
    assert delivery.sender.deliver(snapshot) is Outcome.SENT
    [request] = delivery.transport.requests
    assert request.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(request.content) == snapshot_json(snapshot)
    assert len(request.content) < len(snapshot_json(snapshot)) / 4
    assert stored(database_url) == {"snapshots": 1, "services": 20}
    delivery.close()


def test_a_snapshot_over_the_agents_limit_is_dropped_unsent_and_unspooled_then_the_next_goes(
    master: TestClient, database_url: str, tmp_path: Path
) -> None:
    oversize = interval(NOW - 30, workloads=5)
    delivery = agent(master, tmp_path, max_snapshot_bytes=len(snapshot_json(oversize)) - 1)
    assert delivery.sender.deliver(oversize) is Outcome.TOO_LARGE
    assert delivery.transport.requests == [] and len(delivery.spool) == 0
    assert delivery.sender.deliver(interval(NOW)) is Outcome.SENT
    assert delivery.sender.counters.too_large == 1 and delivery.sender.counters.sent == 1
    assert stored(database_url) == {"snapshots": 1, "services": 1}
    delivery.close()


def test_a_413_from_the_master_is_dropped_as_too_large_not_retried_nor_spooled(
    master: TestClient, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The agent's limit (8 MiB) is above the master's --max-body (16 KiB): the master says 413.
    delivery = agent(master, tmp_path)
    oversize = interval(NOW - 30, workloads=60)
    assert len(snapshot_json(oversize)) > MASTER_MAX_BODY
    assert delivery.sender.deliver(oversize) is Outcome.TOO_LARGE
    assert len(delivery.transport.requests) == 1 and len(delivery.spool) == 0
    assert "larger than the limit of 16384 bytes" in caplog.text and "--max-body" in caplog.text

    assert delivery.sender.deliver(interval(NOW)) is Outcome.SENT
    assert delivery.sender.counters.too_large == 1 and delivery.sender.counters.rejected == 0
    assert stored(database_url) == {"snapshots": 1, "services": 1}
    delivery.close()


def test_a_413_for_a_spooled_snapshot_drops_it_and_the_queue_drains_behind_it(
    master: TestClient, database_url: str, tmp_path: Path
) -> None:
    delivery = agent(master, tmp_path)
    # Spooled while the master was away (by this agent, or one with a different limit).
    delivery.spool.append(interval(NOW - 60, workloads=60))
    delivery.spool.append(interval(NOW - 30))
    assert delivery.sender.deliver(interval(NOW)) is Outcome.SENT
    assert len(delivery.transport.requests) == 3 and len(delivery.spool) == 0
    assert delivery.sender.counters.too_large == 1 and delivery.sender.counters.sent == 2
    assert stored(database_url) == {"snapshots": 2, "services": 2}
    delivery.close()
