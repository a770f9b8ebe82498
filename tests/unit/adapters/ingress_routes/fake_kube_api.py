"""A local stand-in for the Kubernetes API: canned answers per path, every request recorded."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.http_stub import StubHandler


@dataclass
class Recorded:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class FakeKubeApi:
    # path → list of (status, body) answered in turn (the last one repeats); body dict → JSON.
    answers: dict[str, list[tuple[int, object]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str, *responses: tuple[int, object]) -> None:
        self.answers[path] = list(responses)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


def list_body(items: list[object], continue_token: str = "") -> dict[str, object]:
    metadata = {"resourceVersion": "1"}
    if continue_token:
        metadata["continue"] = continue_token
    return {"kind": "List", "apiVersion": "v1", "metadata": metadata, "items": items}


def not_found(path: str) -> tuple[int, object]:
    return 404, {"kind": "Status", "status": "Failure", "message": f"the server could not find {path}",
                 "reason": "NotFound", "code": 404}


@contextmanager
def serve(api: FakeKubeApi, tls: ssl.SSLContext | None = None) -> Iterator[FakeKubeApi]:
    class Handler(StubHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            api.requests.append(Recorded(parts.path, parse_qs(parts.query), dict(self.headers.items())))
            queue = api.answers.get(parts.path)
            if not queue:
                status, body = not_found(parts.path)
            else:
                status, body = queue.pop(0) if len(queue) > 1 else queue[0]
            self.send_body(status, body if isinstance(body, bytes) else json.dumps(body).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    api.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
