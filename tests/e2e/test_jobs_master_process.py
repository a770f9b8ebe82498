"""A real ``meshslo master`` process runs its background jobs on its own.

Snapshots posted over HTTP become hourly rows and status history without any
call from the test, and the job metrics appear on ``/metrics``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tests.storage.raw_rows import fetch
from tests.storage.snapshot_builders import route, service, snapshot

from adapters.storage import schema
from adapters.storage.engine import make_engine

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; master log:\n{log.read_text()[-4000:]}")


def test_master_aggregates_and_records_statuses_by_itself(tmp_path: Path) -> None:
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'master.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESHSLO_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    log = tmp_path / "master.log"
    with log.open("wb") as handle:
        master = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "master", "--database-url", database_url,
             "--listen", f"127.0.0.1:{port}", "--aggregate-interval", "1s", "--status-interval", "1s",
             "--cleanup-interval", "1s"],
            stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=tmp_path, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200, 30, "the master", log)
        now = int(time.time())
        failing = service(name="checkout", requests=[
            {"status_code": "200", "classification": "success", "delta": 80},
            {"status_code": "503", "classification": "failure", "delta": 40},
        ])
        for ts in (now - 60, now - 30):
            document = snapshot(cluster_id="e2e", timestamp=ts, services=[service(name="cart"), failing],
                                edges=[], ingresses=[], routes=[route()])
            answer = httpx.post(f"{base}/agent/snapshot", json=document, timeout=10)
            assert answer.status_code < 300, answer.text

        engine = make_engine(database_url)
        try:

            def checkout_hourly_requests() -> int:
                rows = fetch(engine, schema.service_hourly, cluster_id="e2e", name="checkout")
                return sum(r["requests"] for r in rows)

            # Both snapshots, whichever hours they fell in: 2 × (80 + 40) requests.
            wait_until(lambda: checkout_hourly_requests() == 240, 30, "hourly rows", log)
            wait_until(lambda: len(fetch(engine, schema.status_history, cluster_id="e2e")) == 2, 30,
                       "status history", log)
            history = {r["key"]: r for r in fetch(engine, schema.status_history, cluster_id="e2e")}
        finally:
            engine.dispose()
        assert history["shop/checkout"]["new_status"] == "critical"  # 66.7 % < the default 95 %
        assert history["shop/checkout"]["old_status"] == "unknown"
        # 98.3 % meets the default 95 % with two thirds of its budget left: healthy (the old
        # "1.7 % errors > 1 % is a warning" rule is gone, SPEC §10).
        assert history["shop/cart"]["new_status"] == "healthy"

        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        for job in ("aggregator", "status_checker", "cleaner", "alert_evaluator"):
            line = next(x for x in metrics.splitlines()
                        if x.startswith(f'meshslo_master_job_runs_total{{job="{job}",result="ok"}}'))
            assert float(line.split()[-1]) >= 1, line
    finally:
        os.killpg(master.pid, signal.SIGTERM)
        try:
            master.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(master.pid, signal.SIGKILL)
            master.wait()
    # uvicorn finishes its shutdown (which stops the jobs), then re-raises the signal it caught.
    assert master.returncode in (0, -signal.SIGTERM), log.read_text()[-4000:]
    assert "Application shutdown complete" in log.read_text()
