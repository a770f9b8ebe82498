"""What the alerting end-to-end tests share: a real master process, snapshots over past hours,
a webhook receiver that records every POST, and a real Prometheus."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.alertmanager_process import free_port
from tests.storage.snapshot_builders import ingress, route, service, snapshot

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "e2e-alerts"
STEP = 300  # seconds between snapshots
HOURS = 6


def wait_until(check: Callable[[], Any], timeout: float, what: str, log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.25)
    tail = log.read_text()[-4000:] if log is not None and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}; master log:\n{tail}")


class Master:
    def __init__(self, directory: Path, database_url: str, *flags: str, name: str = "master") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MESHSLO_")}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", "master", "--database-url", database_url,
                 "--listen", f"127.0.0.1:{self.port}", "--status-interval", "1h", "--aggregate-interval",
                 "1h", *flags],
                stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=directory, start_new_session=True,
            )
        wait_until(lambda: httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200, 60,
                   f"{name} to be ready", self.log)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def metrics(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=10).text

    def put_target(self, target_type: str, key: str, **fields: Any) -> None:
        body = {"cluster_id": CLUSTER, "target_type": target_type, "key": key, "window": "30d", **fields}
        response = httpx.put(f"{self.url}/api/v2/slo/targets", json=body, timeout=10)
        assert response.status_code < 300, response.text

    def post(self, document: dict[str, Any]) -> None:
        response = httpx.post(f"{self.url}/agent/snapshot", json=document, timeout=10)
        assert response.status_code < 300, response.text


def _requests(good: int, bad: int) -> list[dict[str, Any]]:
    return [{"status_code": "200", "classification": "success", "delta": good},
            {"status_code": "503", "classification": "failure", "delta": bad}]


def _workload(name: str, good: int, bad: int, slow: int = 0) -> dict[str, Any]:
    total = good + bad
    return service(name=name, requests=_requests(good, bad), latency_count=total, latency_sum=20.0 * total,
                   latency_buckets={"50": total - slow, "100": total - slow, "1000": total, "+Inf": total},
                   total_request_delta=total, tls_request_delta=total)


# What each key is, and which tiers (at a 30 d window) must fire for it.
SCENARIO = {
    # 30 % errors at 99 %: 30x in every window.
    ("service", "shop/fast"): (1, 2, 3, 4),
    # 2 % errors at 99 %: 2x, only the slowest ticket (factor 1).
    ("service", "shop/slow"): (4,),
    # 10 % of requests above 100 ms at a 99 % latency objective: 10x, below tier 1's 14.4.
    ("service", "shop/laggy"): (2, 3, 4),
    # One failure in a quiet service: under --alert-min-bad-events.
    ("service", "shop/quiet"): (),
    ("service", "shop/healthy"): (),
    # The domain's backend fails 1 % at 99.9 %: 10x.
    ("ingress", "shop.example.com"): (2, 3, 4),
}


def history(now: int) -> Iterator[dict[str, Any]]:
    """Snapshots every 5 minutes over the past hours, the newest at ``now``."""
    count = HOURS * 3600 // STEP
    for index in range(count):
        ts = now - (count - 1 - index) * STEP
        services = [_workload("fast", 70, 30), _workload("slow", 98, 2), _workload("laggy", 100, 0, slow=10),
                    _workload("healthy", 100, 0)]
        if index == count - 1:
            services.append(_workload("quiet", 9, 1))
        backend = ingress("shop-web-80", requests=[{"code": "200", "method": "GET", "delta": 990},
                                                   {"code": "502", "method": "GET", "delta": 10}],
                          latency_buckets={"100": 1000, "+Inf": 1000}, latency_count=1000, latency_sum=5e4)
        yield snapshot(cluster_id=CLUSTER, timestamp=ts, window=STEP, services=services, edges=[],
                       ingresses=[backend], routes=[route("shop.example.com", "shop-web-80")])


def recovery(since: int, now: int) -> dict[str, Any]:
    """A flood of good requests for shop/fast: every short window drops far below its factor.

    Its window starts where the stored ones end (``since``): the master refuses overlapping windows."""
    timestamp = max(now, since + 1)
    return snapshot(cluster_id=CLUSTER, timestamp=timestamp, window=timestamp - since,
                    services=[_workload("fast", 2_000_000, 0)], edges=[], ingresses=[], routes=[])


def load_scenario(master: Master, now: int) -> None:
    for document in history(now):
        master.post(document)
    for target_type, key in SCENARIO:
        if key == "shop/laggy":
            master.put_target(target_type, key, availability_target=None, latency_threshold_ms=100,
                              latency_target=99.0)
        elif target_type == "ingress":
            master.put_target(target_type, key, availability_target=99.9)
        else:
            master.put_target(target_type, key, availability_target=99.0)


class Webhook:
    """Records each POST body; ``posts`` in arrival order."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                posts.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_prometheus(directory: Path, target: str) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("Prometheus is not installed (Debian package prometheus; "
                    "scripts/setup.sh --dev installs it)")
    port = free_port()
    config = directory / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"scrape_configs:\n  - job_name: meshslo\n    static_configs:\n      - targets: ['{target}']\n"
    )
    log = (directory / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
         f"--storage.tsdb.path={directory / 'tsdb'}", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{url}/-/ready", timeout=1).status_code == 200, 30, "prometheus")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def promql(url: str, query: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/v1/query", params={"query": query}, timeout=5)
    response.raise_for_status()
    return list(response.json()["data"]["result"])
