"""A real ``meshslo master`` process runs its background jobs on its own.

Snapshots posted over HTTP become hourly rows and status history without any
call from the test, and the job metrics appear on ``/metrics``.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest
from tests.e2e.processes import free_port, local_url, meshslo, wait_until
from tests.storage.raw_rows import fetch
from tests.storage.snapshot_builders import route, service, snapshot

from adapters.storage import schema
from adapters.storage.engine import make_engine

pytestmark = pytest.mark.e2e

def test_master_aggregates_and_records_statuses_by_itself(tmp_path: Path) -> None:
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'master.db'}"
    args = ["master", "--database-url", database_url, "--listen", f"127.0.0.1:{port}",
            "--aggregate-interval", "1s", "--status-interval", "1s", "--cleanup-interval", "1s"]
    master = meshslo("master", args, tmp_path / "master.log", cwd=tmp_path).start()
    base = local_url(port)
    try:
        master.wait_ready(f"{base}/healthz")
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
            wait_until(lambda: checkout_hourly_requests() == 240, 30, "hourly rows", [master])
            wait_until(lambda: len(fetch(engine, schema.status_history, cluster_id="e2e")) == 2, 30,
                       "status history", [master])
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
        code = master.stop(signal.SIGTERM)
    # uvicorn finishes its shutdown (which stops the jobs), then re-raises the signal it caught.
    assert code in (0, -signal.SIGTERM), master.output()[-4000:]
    assert "Application shutdown complete" in master.output()
