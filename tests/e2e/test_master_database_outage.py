"""A real ``meshslo master`` whose PostgreSQL database goes away and comes back.

Reads and ingest answer 503 with a JSON message naming the database (never a
500, never a password); the log holds one WARNING line when the outage starts
and one INFO line when it ends, not a traceback per request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import _postgres_admin_connect, fresh_postgres_database, postgres_url_of
from tests.e2e.test_master_process import RunningMaster, running_master
from tests.storage.snapshot_builders import snapshot

pytestmark = pytest.mark.e2e

INGEST = {"Authorization": "Bearer ingest-outage"}
READ = {"Authorization": "Bearer read-outage"}
READS = ("/api/v2/clusters", "/api/v2/slo/mesh/topology", "/api/v2/slo/domains/v2", "/api/v2/slo/targets",
         "/api/v2/slo/status-history")


@pytest.fixture
def database() -> Iterator[str]:
    """A PostgreSQL database of its own (it is renamed away during the test)."""
    with fresh_postgres_database("meshslo_outage") as name:
        try:
            yield name
        finally:
            with _postgres_admin_connect() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}_away" WITH (FORCE)')


@pytest.fixture
def master(database: str, tmp_path: Path) -> Iterator[RunningMaster]:
    tokens = ["--ingest-token", "ingest-outage", "--read-token", "read-outage"]
    # Jobs would log their own failures: out of the way for the length of the test.
    quiet = ["--aggregate-interval", "1h", "--status-interval", "1h", "--cleanup-interval", "1h"]
    with running_master(["--database-url", postgres_url_of(database), *tokens, *quiet], tmp_path) as running:
        yield running


def _take_away(database: str) -> None:
    with _postgres_admin_connect() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,)
        )
        admin.execute(f'ALTER DATABASE "{database}" RENAME TO "{database}_away"')


def _bring_back(database: str) -> None:
    with _postgres_admin_connect() as admin:
        admin.execute(f'ALTER DATABASE "{database}_away" RENAME TO "{database}"')


def test_reads_and_ingest_answer_503_and_the_log_says_so_once(master: RunningMaster, database: str) -> None:
    now = int(time.time())
    with httpx.Client(base_url=master.url, timeout=30) as client:
        assert client.post("/agent/snapshot", json=snapshot(timestamp=now - 30, window=30),
                           headers=INGEST).status_code == 200
        assert client.get("/api/v2/clusters", headers=READ).status_code == 200

        _take_away(database)
        expected = f"database unavailable: postgresql://127.0.0.1:5432/{database}"
        for _ in range(2):
            for path in READS:
                response = client.get(path, headers=READ)
                assert response.status_code == 503, (path, response.text)
                assert response.json() == {"detail": expected}, path
        stored = client.post("/agent/snapshot", json=snapshot(timestamp=now, window=30), headers=INGEST)
        assert stored.status_code == 503 and stored.json()["detail"].startswith(expected)

        _bring_back(database)
        assert client.get("/api/v2/clusters", headers=READ).status_code == 200
        assert client.post("/agent/snapshot", json=snapshot(timestamp=now, window=30),
                           headers=INGEST).status_code == 200
    log = master.output()
    assert "Traceback" not in log, log
    assert "password" not in log.lower()
    warnings = [line for line in log.splitlines() if " WARNING " in line and "database unavailable" in line]
    assert len(warnings) == 1 and expected in warnings[0], log
    recovered = [line for line in log.splitlines() if " INFO " in line and "database reachable again" in line]
    assert len(recovered) == 1, log
