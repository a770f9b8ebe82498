"""Aggregator benchmark: one hour of a large cluster rolled up from raw rows.

Default size: 500 workloads, 2,000 edges and 200 ingress backends at a 30 s
interval (120 snapshots → 60,000 service rows, 240,000 edge rows, 24,000
ingress rows). Rows are bulk-inserted straight into the raw tables, then one
``Aggregator.rebuild_hour`` is timed (read + group + merge buckets + replace
hourly rows + compare-and-set), cold and then again (a re-run of the same hour).
The target is ≤ 5 s per hour.

Then the cleaner removes the hour's raw rows as it would 48 h later.

Prints: rows per table, insert time (setup only), seconds per rebuild, seconds
to delete the expired raw rows.

    .venv/bin/python benchmarks/master_aggregate.py [--database-url sqlite:///...|postgresql://...]
        [--workloads 500] [--edges 2000] [--backends 200] [--snapshots 120]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from adapters.storage import schema  # noqa: E402
from adapters.storage.engine import make_engine  # noqa: E402
from adapters.storage.migrate import upgrade_to_head  # noqa: E402
from adapters.storage.retention_repository import SqlRetentionRepository  # noqa: E402
from adapters.storage.rollup_repository import SqlRollupRepository  # noqa: E402
from application.master.aggregator import Aggregator  # noqa: E402
from application.master.cleaner import Cleaner, Retention  # noqa: E402

HOUR = 1_764_309_600
CLUSTER = "bench"
LINKERD_BOUNDS = ("1", "2", "3", "4", "5", "10", "20", "30", "40", "50", "100", "200", "300", "400", "500",
                  "1000", "2000", "3000", "4000", "5000", "10000", "20000", "30000", "40000", "50000")
INGRESS_BOUNDS = ("100", "300", "1200", "5000")


def cumulative(rng: random.Random, bounds: tuple[str, ...]) -> tuple[dict[str, int], int]:
    running = 0
    out: dict[str, int] = {}
    for bound in (*bounds, "+Inf"):
        running += rng.randint(0, 6)
        out[bound] = running
    return out, running


def fill(engine: Engine, workloads: int, edges: int, backends: int, snapshots: int) -> float:
    rng = random.Random(1)
    started = time.perf_counter()
    interval = 3600 // snapshots
    names = [(f"ns{i % 20}", f"workload-{i}") for i in range(workloads)]
    pairs = [(names[i % workloads], names[(i * 7 + 1) % workloads]) for i in range(edges)]
    with engine.begin() as connection:
        for n in range(snapshots):
            ts = HOUR + (n + 1) * interval
            keys = {"cluster_id": CLUSTER, "ts": ts, "window_seconds": float(interval)}
            connection.execute(insert(schema.snapshot_log).values(
                cluster_id=CLUSTER, ts=ts, window_start=ts - interval, window_seconds=float(interval),
                received_at=ts))
            service_rows = []
            for namespace, name in names:
                buckets, count = cumulative(rng, LINKERD_BOUNDS)
                errors = rng.randint(0, count // 20)
                service_rows.append({
                    **keys, "namespace": namespace, "name": name, "requests": count, "errors": errors,
                    "status_2xx": count - errors, "status_5xx": errors, "latency_sum": count * 12.5,
                    "latency_count": count, "buckets": json.dumps(buckets), "tls_requests": count,
                    "total_requests": count})
            connection.execute(insert(schema.service_raw), service_rows)
            connection.execute(insert(schema.edge_raw), [
                {**keys, "src_ns": a[0], "src_name": a[1], "dst_ns": b[0], "dst_name": f"{b[1]}-{i}",
                 "requests": 60, "failures": 1, "latency_sum": 600.0, "latency_count": 60}
                for i, (a, b) in enumerate(pairs)])
            ingress_rows = []
            for i in range(backends):
                buckets, count = cumulative(rng, INGRESS_BOUNDS)
                ingress_rows.append({
                    **keys, "service_key": f"ns{i % 20}-svc-{i}-80", "domain": f"d{i}.example.com",
                    "path": "/", "requests": count, "errors": 0, "status_2xx": count,
                    "latency_sum": count * 40.0, "latency_count": count, "buckets": json.dumps(buckets),
                    "get_requests": count})
            connection.execute(insert(schema.ingress_raw), ingress_rows)
        connection.execute(insert(schema.rollup_state).values(
            cluster_id=CLUSTER, hour=HOUR, version=snapshots, aggregated_version=-1))
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workloads", type=int, default=500)
    parser.add_argument("--edges", type=int, default=2000)
    parser.add_argument("--backends", type=int, default=200)
    parser.add_argument("--snapshots", type=int, default=120)
    args = parser.parse_args()

    workdir = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{workdir.name}/bench.db"
    engine = make_engine(url)
    upgrade_to_head(engine)
    if count(engine, schema.service_raw):
        sys.exit(f"{url} already holds raw rows: use an empty database")
    setup = fill(engine, args.workloads, args.edges, args.backends, args.snapshots)
    print(f"database: {engine.dialect.name}")
    for table in (schema.service_raw, schema.edge_raw, schema.ingress_raw):
        print(f"{table.name}: {count(engine, table):,} rows")
    print(f"setup insert: {setup:.1f} s")

    aggregator = Aggregator(SqlRollupRepository(engine), raw_retention_seconds=48 * 3600)
    for label in ("first rebuild", "re-run"):
        started = time.perf_counter()
        fresh = aggregator.rebuild_hour(CLUSTER, HOUR, HOUR + 7200)
        elapsed = time.perf_counter() - started
        print(f"{label}: {elapsed:.2f} s (marked fresh: {fresh}; target ≤ 5 s)")
    for table in (schema.service_hourly, schema.edge_hourly, schema.ingress_hourly):
        print(f"{table.name}: {count(engine, table):,} rows")

    # The same hour 48 h later: the cleaner removes every raw row, in batches.
    cleaner = Cleaner(SqlRetentionRepository(engine), Retention())
    started = time.perf_counter()
    report = cleaner.run(HOUR + 3600 + 48 * 3600 + 1)
    elapsed = time.perf_counter() - started
    print(f"cleanup of the expired hour: {report.total:,} rows in {elapsed:.2f} s")
    engine.dispose()
    workdir.cleanup()


if __name__ == "__main__":
    main()
