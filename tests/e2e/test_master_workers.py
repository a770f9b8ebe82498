"""``meshslo master --workers 2``: two server processes on one port, the background jobs run once.

On SQLite and PostgreSQL: every snapshot posted (each twice, over new
connections, so both processes take posts) is stored exactly once, a read
through either process sees the snapshot stored just before through the
other, and each background job runs once per round (in the parent only).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.e2e.test_master_process import TOKEN, RunningMaster, start_master, stop_master
from tests.storage.snapshot_builders import service, snapshot

from adapters.storage import schema
from adapters.storage.engine import make_engine

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SNAPSHOTS = 12


@pytest.fixture
def workers(database_url: str, tmp_path: Path) -> Iterator[RunningMaster]:
    running = start_master(
        ["--database-url", database_url, "--ingest-token", TOKEN, "--workers", "2", "--log-level", "debug",
         # Long intervals: each job's first run (at start) is the only one during the test.
         "--aggregate-interval", "1h", "--status-interval", "1h", "--cleanup-interval", "1h"],
        tmp_path,
    )
    try:
        yield running
    finally:
        if running.process.poll() is None:
            stop_master(running)


def test_two_workers_store_once_read_fresh_and_run_each_job_once(
    workers: RunningMaster, database_url: str
) -> None:
    now = int(time.time())
    stamps = [now - 30 * k for k in range(SNAPSHOTS, 0, -1)]
    for n, ts in enumerate(stamps, start=1):
        document = snapshot(timestamp=ts, services=[service(requests=[
            {"status_code": "200", "classification": "success", "delta": 10},
        ])])
        results = [httpx.post(f"{workers.url}/agent/snapshot", json=document, headers=AUTH, timeout=10).json()
                   for _ in range(2)]
        assert results == [{"status": "stored"}, {"status": "duplicate"}]
        # Whichever process answers, the snapshot just stored is counted (10 requests each).
        assert _requests(workers.url) == (10 * n, 10 * n)

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            logged = connection.execute(select(schema.snapshot_log.c.ts).order_by(schema.snapshot_log.c.ts))
            assert list(logged.scalars()) == stamps
            rows = connection.execute(select(func.count()).select_from(schema.service_raw)).scalar_one()
            assert rows == SNAPSHOTS
    finally:
        engine.dispose()

    assert stop_master(workers)
    log = workers.output()
    assert log.count("Started server process") == 2, log
    for job in ("aggregator", "status_checker", "cleaner"):
        runs = re.findall(rf"background job {job} (?:done|failed)", log)
        assert len(runs) == 1, f"{job} ran {len(runs)} times:\n{log}"


def _requests(url: str) -> tuple[int, int]:
    """Requests of the last hour in the topology and in the workload's detail (each a new connection)."""
    window = {"time_range": "1h"}
    topology = httpx.get(f"{url}/api/v2/slo/mesh/topology", params=window, timeout=10)
    detail = httpx.get(f"{url}/api/v2/slo/mesh/service/detail",
                       params={**window, "namespace": "shop", "name": "checkout"}, timeout=10)
    assert (topology.status_code, detail.status_code) == (200, 200), (topology.text, detail.text)
    nodes = topology.json()["nodes"]
    return sum(node["total_requests"] for node in nodes), detail.json()["node"]["total_requests"]
