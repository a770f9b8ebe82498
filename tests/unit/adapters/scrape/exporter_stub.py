"""A metrics endpoint on 127.0.0.1 that gives prepared answers in order: good and hostile bodies."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Self

from tests.http_stub import StubHandler

# Every label a Linkerd inbound series has, so the agent's filter keeps it.
LINKERD = (
    'otel_response_total{{namespace="shop",deployment="web",pod="web-{pod}",direction="inbound",'
    'status_code="200",classification="success",tls="true",route_name="default",srv_port="8080"}} {value}\n'
)


def exposition(value: int, pods: int = 120) -> bytes:
    """``pods`` kept series, each at ``value``."""
    return ("# TYPE otel_response_total counter\n"
            + "".join(LINKERD.format(pod=pod, value=value) for pod in range(pods))).encode()


def gzip_of(lines: bytes, repeat: int) -> bytes:
    """``lines`` ``repeat`` times, gzip-compressed without holding the decompressed whole."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(lines) for _ in range(repeat)]
    parts.append(compressor.flush())
    return b"".join(parts)


@dataclass
class Answer:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    pause: float = 0.0  # between pieces of ``piece`` bytes: a body that trickles in
    piece: int = 1 << 16
    length: bool = True  # send Content-Length (else the body ends with the connection)

    @classmethod
    def gzipped(cls, body: bytes) -> Answer:
        return cls(gzip.compress(body), {"Content-Encoding": "gzip"})


class Exporter:
    """Each GET takes the next answer; the last one is repeated."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        exporter = self

        class Handler(StubHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                answer = exporter.next_answer()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.length:
                    self.send_header("Content-Length", str(len(answer.body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                try:
                    for start in range(0, len(answer.body), answer.piece):
                        self.wfile.write(answer.body[start : start + answer.piece])
                        self.wfile.flush()
                        if answer.pause:
                            time.sleep(answer.pause)
                except ConnectionError:  # the agent hung up on purpose (limits, deadline)
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/metrics"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._lock = threading.Lock()

    def next_answer(self) -> Answer:
        with self._lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
