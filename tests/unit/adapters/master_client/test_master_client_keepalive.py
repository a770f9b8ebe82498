"""HttpMasterClient against a real HTTP server that gives up idle keep-alive connections.

The master (uvicorn) closes a keep-alive connection that has been idle for its
timeout. A request sent on that connection just as it closes gets no answer: the
client sees the connection drop (RemoteProtocolError or a reset). The server here
reproduces exactly that moment: a request arriving on a connection idle for longer
than ``idle_timeout`` is read and then the connection is closed without an answer.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from tests.http_stub import StubHandler
from tests.unit.application.agent.delivery_fakes import make_snapshot

from adapters.master_client.http_client import KEEPALIVE_EXPIRY, HttpMasterClient, RetryPolicy
from adapters.master_client.spool import DiskSpool
from application.agent.send import SendUseCase
from application.ports.agent import DeliveryError

# One attempt: a dropped reused connection must not use it up.
ONE_ATTEMPT = RetryPolicy(max_attempts=1, initial_backoff=0.01, max_backoff=0.01, jitter=0.0, deadline=10)
IDLE_TIMEOUT = 0.2


class ForgetfulMaster(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, idle_timeout: float, answer_only_first: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.idle_timeout = idle_timeout
        self.answer_only_first = answer_only_first  # then drop every request, on any connection
        self.lock = threading.Lock()
        self.connections = 0
        self.dropped = 0
        self.delivered: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(StubHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: ForgetfulMaster

    def setup(self) -> None:
        super().setup()
        self.answered_at: float | None = None
        with self.server.lock:
            self.server.connections += 1

    def do_POST(self) -> None:
        body = self.read_body()
        server = self.server
        stale = self.answered_at is not None and time.monotonic() - self.answered_at > server.idle_timeout
        with server.lock:
            if stale or (server.answer_only_first and server.delivered):
                server.dropped += 1
                self.close_connection = True  # closed without a word, the request unanswered
                return
            server.delivered.append(json.loads(body)["slo_data"]["timestamp"])
        self.send_json(200, {"status": "stored"})
        self.wfile.flush()
        self.answered_at = time.monotonic()


@contextlib.contextmanager
def serving(master: ForgetfulMaster) -> Iterator[ForgetfulMaster]:
    thread = threading.Thread(target=master.serve_forever, daemon=True)
    thread.start()
    try:
        yield master
    finally:
        master.shutdown()
        master.server_close()
        thread.join(5)


@pytest.fixture
def master() -> Iterator[ForgetfulMaster]:
    with serving(ForgetfulMaster(IDLE_TIMEOUT)) as running:
        yield running


def client_for(master: ForgetfulMaster, sleeps: list[float], **kwargs: float) -> HttpMasterClient:
    return HttpMasterClient(master.url, None, timeout=5.0, policy=ONE_ATTEMPT, sleep=sleeps.append, **kwargs)


def test_a_reused_connection_the_master_dropped_costs_no_failure(
    master: ForgetfulMaster, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    client = client_for(master, sleeps)
    sender = SendUseCase(client, DiskSpool(tmp_path / "spool", max_items=10))
    try:
        sender.deliver(make_snapshot(1_764_000_030))
        time.sleep(IDLE_TIMEOUT * 2.5)  # idle past the server's timeout, within the client's expiry
        sender.deliver(make_snapshot(1_764_000_060))
    finally:
        client.close()
    assert master.dropped == 1  # the request on the reused connection did meet a closing one
    assert master.delivered == [1_764_000_030, 1_764_000_060]
    assert sender.counters.failed == 0 and sender.counters.sent == 2 and sender.backlog == 0
    assert sleeps == []  # retried at once, not after a backoff


def test_the_at_once_retry_happens_once_and_a_fresh_connection_failing_counts() -> None:
    with serving(ForgetfulMaster(IDLE_TIMEOUT, answer_only_first=True)) as master:
        sleeps: list[float] = []
        client = client_for(master, sleeps)
        try:
            client.send(make_snapshot(1_764_000_030))
            time.sleep(IDLE_TIMEOUT * 2.5)
            with pytest.raises(DeliveryError) as caught:
                client.send(make_snapshot(1_764_000_060))
            assert caught.value.retryable is True
            # The reused connection, then one fresh one: a drop there is a real failure.
            assert master.dropped == 2 and master.connections == 2
            with pytest.raises(DeliveryError):
                client.send(make_snapshot(1_764_000_090))  # on a fresh connection: no extra try
            assert master.dropped == 3
        finally:
            client.close()


def test_idle_connections_expire_in_the_client_before_the_master_closes_them() -> None:
    # The master runs uvicorn with its default keep-alive timeout (master_cmd sets none).
    assert uvicorn.Config(app="app").timeout_keep_alive > KEEPALIVE_EXPIRY
    with serving(ForgetfulMaster(idle_timeout=60.0)) as master:
        client = client_for(master, [], keepalive_expiry=0.5)
        try:
            client.send(make_snapshot(1_764_000_030))
            client.send(make_snapshot(1_764_000_060))
            assert master.connections == 1  # kept alive while fresh
            time.sleep(0.8)
            client.send(make_snapshot(1_764_000_090))
        finally:
            client.close()
        assert master.connections == 2 and master.dropped == 0
        assert master.delivered == [1_764_000_030, 1_764_000_060, 1_764_000_090]
