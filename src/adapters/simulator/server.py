"""HTTP endpoint of the simulated cluster: ``/metrics``, ``/truth``, ``/routes``, ``/healthz``.

Every ``/metrics`` request advances the model one step, whether or not the
answer is a planned fault; the model is told a scrape was received only when
its whole body was written.
"""

from __future__ import annotations

import gzip
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from adapters.simulator.model import ClusterModel

log = logging.getLogger("meshslo.simulate")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], model: ClusterModel, faults: dict[int, str]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, SimulatorHandler)
        self.model = model
        self.faults = faults
        self.lock = threading.Lock()


class SimulatorHandler(BaseHTTPRequestHandler):
    server: SimulatorServer
    server_version = "meshslo-simulate"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/metrics":
            self._metrics()
        elif url.path == "/truth":
            self._truth(parse_qs(url.query))
        elif url.path == "/routes":
            self._json(200, {"routes": self.server.model.routes()})
        elif url.path in ("/healthz", "/"):
            self._send(200, b"ok\n", "text/plain")
        else:
            self._send(404, b"not found\n", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _metrics(self) -> None:
        model, server = self.server.model, self.server
        # One lock over advance, write and acknowledgement: a scrape is received
        # before the next one can move the model.
        with server.lock:
            step = model.advance()
            fault = server.faults.get(step)
            if fault == "500":
                log.info("step %d: answering 500 as planned", step)
                self._send(500, b"simulated failure\n", "text/plain")
                return
            body = model.render(garbage=fault == "garbage").encode()
            headers = {"X-Simulator-Step": str(step)}
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body, compresslevel=1)
                headers["Content-Encoding"] = "gzip"
            if fault == "truncate":
                log.info("step %d: cutting the body short as planned", step)
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            try:
                self._send(200, body, CONTENT_TYPE, headers)
                self.wfile.flush()
            except OSError:
                log.info("step %d: client went away before the whole body was written", step)
                return
            model.observed(step)
            if fault == "garbage":
                log.info("step %d: served with malformed lines mixed in as planned", step)

    def _truth(self, query: dict[str, list[str]]) -> None:
        try:
            bounds = {name: int(query[name][0]) if name in query else None
                      for name in ("from_step", "to_step")}
        except ValueError:
            self._json(400, {"detail": "from_step and to_step must be integers"})
            return
        with self.server.lock:
            model = self.server.model
            try:
                truth = model.truth(bounds["from_step"], bounds["to_step"])
            except ValueError as error:
                self._json(400, {"detail": str(error)})
                return
            payload = truth.to_json()
            payload["latest_step"] = model.step
            payload["first_observed_step"] = model.first_observed
            payload["last_observed_step"] = model.last_observed
            payload["restarts"] = model.restart_count
            payload["rollouts"] = model.rollout_count
        self._json(200, payload)
