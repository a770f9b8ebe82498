"""Two master processes running the background jobs at once on one PostgreSQL database.

They must produce exactly the hourly rows a single master produces, and each
status change must be written once, however their runs interleave.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text, update
from tests.storage.raw_rows import Snapshot as RawSnapshot
from tests.storage.raw_rows import fetch, random_edge, random_ingress, random_service, write

from adapters.storage import schema
from adapters.storage.engine import make_engine
from adapters.storage.migrate import upgrade_to_head
from adapters.storage.rollup_repository import SqlRollupRepository
from application.master.aggregator import Aggregator

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
H = 1_764_309_600
NOW = H + 3600 + 600
HOURS = 4
HOURLY = (schema.service_hourly, schema.edge_hourly, schema.ingress_hourly, schema.cluster_hourly)

# Each master: connect, say "ready", wait for "go", then aggregate and check statuses a few times.
MASTER = """
import json, sys, time
from adapters.storage.engine import make_engine
from adapters.storage.rollup_repository import SqlRollupRepository
from adapters.storage.stats_reader import SqlStatsReader
from adapters.storage.status_repository import SqlStatusRepository
from adapters.storage.target_repository import SqlTargetRepository
from application.master.aggregator import Aggregator
from application.master.status_checker import StatusChecker
from domain.slo import Target

url, now = sys.argv[1], int(sys.argv[2])
engine = make_engine(url)
aggregator = Aggregator(SqlRollupRepository(engine), raw_retention_seconds=48 * 3600)
statuses = SqlStatusRepository(engine)
checker = StatusChecker(SqlStatsReader(engine), SqlTargetRepository(engine), statuses, Target(95.0, 300.0))
engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()
rebuilt = skipped = changes = 0
for _ in range(5):
    report = aggregator.run(now)
    rebuilt += report.rebuilt
    skipped += report.skipped_locked
    changes += checker.run(now).changes
print(json.dumps({"rebuilt": rebuilt, "skipped": skipped, "changes": changes}))
"""


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()
    cleanup = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with cleanup.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    cleanup.dispose()


def fill(engine: Engine) -> None:
    rng = random.Random(2026)
    with engine.begin() as connection:  # the cluster as ingest records it: the status checker's list
        connection.execute(schema.clusters.insert().values(
            cluster_id="prod", first_seen=H, last_snapshot=NOW, last_received=NOW))
    names = [f"w{i:02d}" for i in range(40)]
    for hour in range(H - (HOURS - 2) * 3600, H + 2 * 3600, 3600):
        for ts in range(hour + 60, hour + 3601, 60):
            if ts > NOW:
                break
            write(engine, "prod", RawSnapshot(
                ts=ts, window_seconds=60.0,
                services=[random_service(rng, "shop", name, ("5", "10", "50", "250")) for name in names],
                edges=[random_edge(rng, a, b) for a, b in zip(names, names[1:] + names[:1], strict=True)],
                ingress=[random_ingress(rng, "shop-w00-80", "shop.example.com", "/")],
            ))


def hourly_rows(engine: Engine) -> dict[str, list[str]]:
    return {table.name: sorted(repr(sorted(row.items())) for row in fetch(engine, table)) for table in HOURLY}


def forget_rollups(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in HOURLY:
            connection.execute(table.delete())
        connection.execute(update(schema.rollup_state).values(aggregated_version=-1))


def test_two_masters_aggregate_and_check_statuses_at_once(engine: Engine, postgres_url: str) -> None:
    fill(engine)
    Aggregator(SqlRollupRepository(engine), raw_retention_seconds=48 * 3600).run(NOW)
    single = hourly_rows(engine)
    assert all(single.values())
    forget_rollups(engine)
    assert not any(hourly_rows(engine).values())

    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    masters = [
        subprocess.Popen([sys.executable, "-c", MASTER, postgres_url, str(NOW)], cwd=ROOT, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        for master in masters:  # both started and connected before either begins
            assert master.stdout is not None and master.stdout.readline().strip() == "ready"
        for master in masters:
            assert master.stdin is not None
            master.stdin.write("go\n")
            master.stdin.flush()
        outputs = [master.communicate(timeout=120) for master in masters]
    finally:
        for master in masters:
            if master.poll() is None:
                master.kill()
                master.wait()
    for master, (_, err) in zip(masters, outputs, strict=True):
        assert master.returncode == 0, err
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

    assert hourly_rows(engine) == single
    # Every run rebuilds the two latest hours unless the other master holds them.
    assert sum(r["rebuilt"] + r["skipped"] for r in reports) >= 2 * 5 * 2
    states = fetch(engine, schema.rollup_state)
    assert states and all(r["version"] == r["aggregated_version"] for r in states)
    # 40 workloads, each with a first known status: written once between the two masters.
    history = fetch(engine, schema.status_history)
    assert sum(r["changes"] for r in reports) == len(history) == 40
    assert len({row["key"] for row in history}) == 40
    assert len(fetch(engine, schema.status_current)) == 40
