"""The base of the tests' stand-in HTTP servers (a fake master, metrics endpoint, Kubernetes API)."""

from __future__ import annotations

import gzip
import json
from http.server import BaseHTTPRequestHandler
from typing import Any


class StubHandler(BaseHTTPRequestHandler):
    """Sends whole bodies with their length, and keeps the access log out of the test output."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_body(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, document: Any) -> None:
        self.send_body(status, json.dumps(document).encode())

    def read_body(self) -> bytes:
        """The request body, inflated when it came gzipped (as the agent's snapshots do)."""
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding", "").strip().lower() == "gzip":
            return gzip.decompress(body)
        return body
