"""Local stand-ins for the agent's two peers: a metrics endpoint with known
increments, and a master that records the snapshots it takes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from typing import Any, Self

from tests.e2e.processes import free_port, local_url
from tests.http_stub import StubHandler

LINKERD = (
    'otel_response_total{namespace="shop",deployment="checkout",pod="checkout-1",direction="inbound",'
    'status_code="200",classification="success",tls="true",route_name="default",srv_port="8080"}'
)
TRAEFIK = 'otel_traefik_service_requests_total{service="shop-frontend-80@kubernetes",code="200",method="GET"}'


@dataclass
class Counter:
    """One served counter: ``step`` more per scrape, and a process restart at chosen scrapes."""

    step: int
    value: int = 0
    reset_at: set[int] = field(default_factory=set)
    served: list[int] = field(default_factory=list)

    def next(self) -> int:
        scrape = len(self.served) + 1
        self.value = 2 if scrape in self.reset_at else self.value + self.step
        self.served.append(self.value)
        return self.value

    def increments_after_first(self) -> int:
        """What Prometheus' increase() says happened between the first and the last scrape."""
        total = 0
        for before, after in pairwise(self.served):
            total += after - before if after >= before else after
        return total


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int | None = None) -> None:
        self.port = port or free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class MetricsEndpoint(_Server):
    """Each GET /metrics is one scrape: every counter moves on by its step."""

    def __init__(self, counters: dict[str, Counter]) -> None:
        self.counters = counters
        self.lock = threading.Lock()
        endpoint = self

        class Handler(StubHandler):
            def do_GET(self) -> None:
                if self.path != "/metrics":
                    self.send_error(404)
                    return
                with endpoint.lock:
                    lines = ["# TYPE otel_response_total counter",
                             "# TYPE otel_traefik_service_requests_total counter"]
                    lines += [f"{series} {counter.next()}" for series, counter in endpoint.counters.items()]
                self.send_body(200, ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4")

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return f"{local_url(self.port)}/metrics"


class FakeMaster(_Server):
    """Answers ``refuse(request_number)`` (an HTTP status) or 200, and keeps what it took."""

    def __init__(self, refuse: Callable[[int], int | None] = lambda n: None, port: int | None = None) -> None:
        self.refuse = refuse
        self.requests = 0
        self.taken: list[dict[str, Any]] = []
        self.encodings: list[str | None] = []  # each request's Content-Encoding
        self.lock = threading.Lock()
        master = self

        class Handler(StubHandler):
            def do_POST(self) -> None:
                body = self.read_body()
                with master.lock:
                    master.requests += 1
                    master.encodings.append(self.headers.get("Content-Encoding"))
                    status = master.refuse(master.requests) if self.path == "/agent/snapshot" else 404
                    if status is None:
                        master.taken.append(json.loads(body))
                        status = 200
                self.send_json(status, {"status": "stored"} if status == 200 else {"detail": "try later"})

        super().__init__(Handler, port)

    @property
    def url(self) -> str:
        return local_url(self.port)

    def timestamps(self) -> list[int]:
        return [snapshot["slo_data"]["timestamp"] for snapshot in self.taken]

    def service_total(self) -> int:
        return sum(s["total_request_delta"] for snap in self.taken for s in snap["slo_data"]["services"])

    def service_requests_total(self) -> int:
        services = [s for snap in self.taken for s in snap["slo_data"]["services"]]
        return sum(r["delta"] for s in services for r in s["requests"])

    def ingress_total(self) -> int:
        backends = [i for snap in self.taken for i in snap["slo_data"]["ingress"]]
        return sum(r["delta"] for i in backends for r in i["requests"])
