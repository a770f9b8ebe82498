"""The agent's HTTP server (``--listen``): /healthz and /metrics, in a daemon thread."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from application.agent.send import SendUseCase
from application.agent.status import AgentStatus

log = logging.getLogger(__name__)


class AgentHttpServer:
    def __init__(
        self,
        host: str,
        port: int,
        status: AgentStatus,
        sender: SendUseCase,
        registry: CollectorRegistry,
        stale_after: float,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._status = status
        self._sender = sender
        self._registry = registry
        self._stale_after = stale_after
        self._wall = wall_clock
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="agent-http", daemon=True
        )
        self._thread.start()
        log.info("serving /healthz and /metrics on %s:%d", *self._server.server_address[:2])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def health(self) -> tuple[int, dict[str, Any]]:
        ok, body = self._status.health(self._wall(), self._stale_after, stranded=self._sender.stranded)
        body["spool_depth"] = self._sender.backlog
        body["last_sent"] = self._sender.counters.last_sent_at
        return (200 if ok else 503), body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    code, body = server.health()
                    self._reply(code, "application/json", json.dumps(body).encode())
                elif path == "/metrics":
                    self._reply(200, CONTENT_TYPE_LATEST, generate_latest(server._registry))
                else:
                    self._reply(404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n")

            def _reply(self, code: int, content_type: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("%s %s", self.address_string(), format % args)

        return Handler
