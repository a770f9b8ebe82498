"""Slow senders against a real ``meshslo master`` process, over raw sockets.

A client that sends its body a byte every 2 s must not hold a connection (and a
handler) for ever: past ``--body-timeout`` it gets 408 and the connection is
closed, on every route that takes a body, while normal requests go on. Paths that
name nothing servable (NUL bytes, ``../``) answer 404 when sent raw, as no client
library would normalise them first.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.processes import free_port, local_url, meshslo, serving
from tests.storage.snapshot_builders import snapshot

pytestmark = pytest.mark.e2e

BODY_TIMEOUT = 3.0
INGEST, READ, ADMIN = "slow-ingest", "slow-read", "slow-admin"
SLOW_CONNECTIONS = 60
TRICKLE_EVERY = 2.0


def _serve(directory: Path, *extra: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    args = ["master", "--listen", f"127.0.0.1:{port}", "--database-url", f"sqlite:///{directory / 'm.db'}",
            "--ingest-token", INGEST, "--read-token", READ, "--admin-token", ADMIN,
            "--body-timeout", f"{BODY_TIMEOUT:g}s", *extra]
    with serving(meshslo("master", args, directory / "master.log"), f"{local_url(port)}/readyz"):
        yield local_url(port), port


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    yield from _serve(tmp_path_factory.mktemp("slow"))


def _request_head(method: str, path: str, token: str, length: int) -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


class SlowSender(threading.Thread):
    """Sends ``first`` at once, then one byte every ``TRICKLE_EVERY`` s until the server answers or
    closes; records what came back and how long the connection lived (from after ``first``)."""

    def __init__(self, port: int, method: str, path: str, token: str, first: bytes | None = None) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.first = _request_head(method, path, token, 10_000) if first is None else first
        self.answer = b""
        self.closed_after: float | None = None

    def run(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(self.first)
            started = time.monotonic()
            sock.settimeout(TRICKLE_EVERY)
            while time.monotonic() - started < 30:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    try:
                        sock.sendall(b"x")
                    except OSError:  # the server closed while we were waiting
                        break
                    continue
                except OSError:
                    break
                if not chunk:  # closed by the server
                    break
                self.answer += chunk
        self.closed_after = time.monotonic() - started


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


ROUTES = [("POST", "/agent/snapshot", INGEST), ("PUT", "/api/v2/slo/targets", ADMIN)]


def test_slow_bodies_are_cut_at_the_deadline_and_normal_requests_go_on(master: tuple[str, int]) -> None:
    url, port = master
    senders = [SlowSender(port, *ROUTES[index % len(ROUTES)]) for index in range(SLOW_CONNECTIONS)]
    for sender in senders:
        sender.start()
    time.sleep(1)
    # While they trickle, an agent's snapshot and a reader go through at once.
    started = time.monotonic()
    stored = httpx.post(f"{url}/agent/snapshot", json=snapshot(timestamp=int(time.time())),
                        headers={"Authorization": f"Bearer {INGEST}"}, timeout=10)
    read = httpx.get(f"{url}/api/v2/clusters", headers={"Authorization": f"Bearer {READ}"}, timeout=10)
    assert (stored.status_code, read.status_code) == (200, 200), stored.text
    assert time.monotonic() - started < BODY_TIMEOUT
    for sender in senders:
        sender.join(40)
    lifetimes = sorted(sender.closed_after or 99.0 for sender in senders)
    statuses = {_status(sender.answer) for sender in senders}
    assert statuses == {408}, [sender.answer[:200] for sender in senders if _status(sender.answer) != 408]
    # Cut at the deadline (counted from the end of the headers), not held for as long as bytes come.
    assert lifetimes[-1] < BODY_TIMEOUT + TRICKLE_EVERY + 2, lifetimes
    assert lifetimes[0] >= BODY_TIMEOUT - 0.5, lifetimes
    for sender in senders:
        head, _, body = sender.answer.partition(b"\r\n\r\n")
        assert b"connection: close" in head.lower()
        assert "--body-timeout" in json.loads(body)["detail"]


def test_a_large_body_over_a_thin_link_gets_time_in_proportion_to_its_length(master: tuple[str, int]) -> None:
    """A 1 MiB body at 256 KiB/s takes 4 s, past the 3 s deadline but within its extension for
    the declared length (1 s per 128 KiB): it is read whole and answered on its merits (invalid JSON)."""
    _url, port = master
    size, piece = 1024 * 1024, 64 * 1024
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(_request_head("POST", "/agent/snapshot", INGEST, size))
        started = time.monotonic()
        for _ in range(size // piece):
            sock.sendall(b"x" * piece)
            time.sleep(0.25)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
    assert time.monotonic() - started > BODY_TIMEOUT
    assert _status(answer) == 422, answer[:300]


def test_a_route_that_does_not_read_its_body_answers_and_closes(master: tuple[str, int]) -> None:
    """A refused token (before the body is read) or a GET with a body: answered at once, then closed,
    so the unread body cannot keep the connection."""
    _url, port = master
    for method, path, token, code in (("POST", "/agent/snapshot", "wrong", 401),
                                      ("GET", "/api/v2/clusters", READ, 200)):
        sender = SlowSender(port, method, path, token)
        sender.start()
        sender.join(20)
        assert _status(sender.answer) == code, sender.answer[:300]
        assert sender.closed_after is not None and sender.closed_after < 1.5


def test_headers_that_never_end_are_cut_at_the_deadline_too(master: tuple[str, int]) -> None:
    """uvicorn alone waits for headers as long as bytes come: a new connection and a kept-alive one
    whose next request's headers trickle are both answered 408 and closed."""
    url, port = master
    fresh = SlowSender(port, "", "", "", first=b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    answered = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    kept_alive = SlowSender(port, "", "", "", first=answered + b"GET /healthz HTTP/1.1\r\nX-Slow: ")
    for sender in (fresh, kept_alive):
        sender.start()
    for sender in (fresh, kept_alive):
        sender.join(30)
        assert sender.closed_after is not None and sender.closed_after < BODY_TIMEOUT + TRICKLE_EVERY + 2
        assert sender.closed_after >= BODY_TIMEOUT - 0.5
    assert _status(fresh.answer) == 408, fresh.answer
    first, _, rest = kept_alive.answer.partition(b"HTTP/1.1 408")
    assert _status(first) == 200 and rest, kept_alive.answer
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200


def test_with_several_server_processes_both_deadlines_hold(tmp_path: Path) -> None:
    for _url, port in _serve(tmp_path, "--workers", "2"):
        senders = [SlowSender(port, "POST", "/agent/snapshot", INGEST),
                   SlowSender(port, "", "", "", first=b"GET /healthz HTTP/1.1\r\nX-Slow: ")]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(30)
            assert _status(sender.answer) == 408, sender.answer
            assert sender.closed_after is not None and sender.closed_after < BODY_TIMEOUT + TRICKLE_EVERY + 2


def _raw_get(port: int, raw_path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {raw_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("raw_path", [
    "/static/%00", "/static/index.html%00.js", "/static/js/app.js%00", "/static/../web/routes.py",
    "/static/../../adapters/api/auth.py", "/static/%2e%2e/routes.py", "/static/..%2f..%2fapi%2fauth.py",
    "/static/js/../../routes.py",
])
def test_static_paths_with_nul_or_traversal_are_not_found(master: tuple[str, int], raw_path: str) -> None:
    answer = _raw_get(master[1], raw_path)
    assert _status(answer) == 404, answer[:300]
    assert b"import" not in answer
