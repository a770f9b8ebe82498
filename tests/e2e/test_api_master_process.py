"""The query API of a real ``meshslo master`` process, before and after its aggregator runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.e2e.test_master_process import RunningMaster, running_master
from tests.storage.snapshot_builders import snapshot

from adapters.storage import schema
from adapters.storage.engine import make_engine

pytestmark = pytest.mark.e2e

INGEST = "ingest-e2e"
READ = "read-e2e"
SNAPSHOTS = 15  # every 5 minutes: 70 minutes, across an hour boundary


@pytest.fixture
def master(database_url: str, tmp_path: Path) -> Iterator[RunningMaster]:
    args = ["--database-url", database_url, "--ingest-token", INGEST, "--read-token", READ,
            "--aggregate-interval", "1s", "--status-interval", "1s"]
    with running_master(args, tmp_path) as running:
        yield running


def _fresh_hours(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(schema.rollup_state)).all()
        return sum(1 for row in rows if row.version == row.aggregated_version)
    finally:
        engine.dispose()


def test_answers_are_exact_before_and_after_rollups(master: RunningMaster, database_url: str) -> None:
    now = int(time.time())
    stamps = [now - 300 * k for k in range(SNAPSHOTS)]
    read = {"Authorization": f"Bearer {READ}"}
    with httpx.Client(base_url=master.url, timeout=20) as client:
        for ts in stamps:
            posted = client.post("/agent/snapshot", json=snapshot(timestamp=ts, window=30),
                                 headers={"Authorization": f"Bearer {INGEST}"})
            assert posted.status_code == 200, posted.text
        window = f"start={now - 300 * SNAPSHOTS}&end={now}"

        def checkout() -> dict:
            response = client.get(f"/api/v2/slo/mesh/topology?{window}", headers=read)
            assert response.status_code == 200, response.text
            return {node["id"]: node for node in response.json()["nodes"]}["shop/checkout"]

        first = checkout()
        # Each snapshot: 118 successes + 2 failures over a 30 s window.
        assert (first["total_requests"], first["errors"]) == (120 * SNAPSHOTS, 2 * SNAPSHOTS)
        assert first["rps"] == pytest.approx(120 / 30)
        assert first["availability"] == pytest.approx(118 / 120 * 100)

        deadline = time.monotonic() + 30
        while _fresh_hours(database_url) < 2:
            assert time.monotonic() < deadline, f"the aggregator never caught up:\n{master.output()}"
            time.sleep(0.2)
        assert checkout() == first

        domains = client.get(f"/api/v2/slo/domains/v2?{window}", headers=read).json()
        (domain,) = domains["domains"]
        assert domain["summary"]["total_requests"] == 310 * SNAPSHOTS
        assert client.get(f"/api/v2/slo/domains/v2?{window}").status_code == 401
