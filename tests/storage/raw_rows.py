"""Raw rows written straight with SQLAlchemy Core, for the background-job storage tests.

Writing rows directly (rather than through ingest) lets a test choose every
number, bucket layout and timestamp, and bump ``rollup_state`` exactly as
ingest does (``version + 1`` of the snapshot's hour).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select, update

from adapters.storage import schema
from domain.timewindow import hour_of

# Bucket layouts deliberately differ per workload so merges of unequal keys are exercised.
LAYOUTS = (("5", "10", "50", "250", "1000"), ("1", "2.5", "25", "100"), ("100", "300", "1200", "5000"))


@dataclass
class Snapshot:
    """One snapshot's raw rows; column names as in ``adapters.storage.schema``."""

    ts: int
    window_seconds: float = 30.0
    services: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    ingress: list[dict[str, Any]] = field(default_factory=list)


def cumulative(counts: list[int], keys: tuple[str, ...]) -> dict[str, int]:
    """Per-bucket counts → cumulative buckets with a ``+Inf`` bucket."""
    out: dict[str, int] = {}
    running = 0
    for key, count in zip((*keys, "+Inf"), counts, strict=True):
        running += count
        out[key] = running
    return out


def random_service(rng: random.Random, namespace: str, name: str, layout: tuple[str, ...]) -> dict[str, Any]:
    per_bucket = [rng.randint(0, 40) for _ in range(len(layout) + 1)]
    buckets = cumulative(per_bucket, layout)
    requests = buckets["+Inf"]
    errors = rng.randint(0, requests // 5) if requests else 0
    s2, s4 = requests - errors, 0
    if s2 >= 3:
        s4 = rng.randint(0, s2 // 3)
        s2 -= s4
    total = requests
    return {
        "namespace": namespace,
        "name": name,
        "requests": requests,
        "errors": errors,
        "status_2xx": s2,
        "status_3xx": 0,
        "status_4xx": s4,
        "status_5xx": errors,
        "latency_sum": round(rng.uniform(0, 50.0) * requests, 3),
        "latency_count": requests,
        "buckets": json.dumps(buckets),
        "tls_requests": rng.randint(0, total),
        "total_requests": total,
    }


def random_edge(rng: random.Random, src: str, dst: str) -> dict[str, Any]:
    requests = rng.randint(0, 500)
    return {
        "src_ns": "shop",
        "src_name": src,
        "dst_ns": "shop",
        "dst_name": dst,
        "requests": requests,
        "failures": rng.randint(0, requests // 10),
        "latency_sum": round(rng.uniform(0, 20.0) * requests, 3),
        "latency_count": requests,
    }


def random_ingress(rng: random.Random, key: str, domain: str, path: str) -> dict[str, Any]:
    layout = LAYOUTS[2]
    buckets = cumulative([rng.randint(0, 30) for _ in range(len(layout) + 1)], layout)
    requests = buckets["+Inf"]
    row: dict[str, Any] = {
        "service_key": key,
        "domain": domain,
        "path": path,
        "requests": requests,
        "latency_sum": round(rng.uniform(1, 400.0) * requests, 3),
        "latency_count": requests,
        "buckets": json.dumps(buckets),
    }
    remaining = requests
    errors = 0
    for method in ("get", "post", "put", "delete", "patch", "other"):
        count = rng.randint(0, remaining)
        remaining -= count
        method_errors = rng.randint(0, count // 4)
        errors += method_errors
        row[f"{method}_requests"] = count
        row[f"{method}_errors"] = method_errors
    row["get_requests"] += remaining
    row["errors"] = errors
    row["status_2xx"] = requests - errors
    row["status_3xx"] = row["status_4xx"] = 0
    row["status_5xx"] = errors
    return row


def random_snapshot(rng: random.Random, ts: int, window_seconds: float = 30.0) -> Snapshot:
    services = [
        random_service(rng, "shop", name, LAYOUTS[i % 2])
        for i, name in enumerate(("frontend", "checkout", "cart"))
        if rng.random() > 0.15  # workloads without traffic are absent from a snapshot
    ]
    edges = [random_edge(rng, src, dst) for src, dst in (("frontend", "checkout"), ("frontend", "cart"))]
    ingress = [random_ingress(rng, "shop-frontend-80", "shop.example.com", "/")]
    return Snapshot(ts=ts, window_seconds=window_seconds, services=services, edges=edges, ingress=ingress)


def write(engine: Engine, cluster_id: str, snapshot: Snapshot, bump: bool = True) -> None:
    """Store a snapshot's raw rows and log entry, and bump its hour's version as ingest does."""
    keys = {"cluster_id": cluster_id, "ts": snapshot.ts, "window_seconds": snapshot.window_seconds}
    with engine.begin() as connection:
        connection.execute(
            insert(schema.snapshot_log).values(
                cluster_id=cluster_id,
                ts=snapshot.ts,
                window_start=int(snapshot.ts - snapshot.window_seconds),
                window_seconds=snapshot.window_seconds,
                received_at=snapshot.ts + 1,
            )
        )
        for table, rows in (
            (schema.service_raw, snapshot.services),
            (schema.edge_raw, snapshot.edges),
            (schema.ingress_raw, snapshot.ingress),
        ):
            if rows:
                connection.execute(insert(table), [{**keys, **row} for row in rows])
        if bump:
            bump_version(connection, cluster_id, hour_of(snapshot.ts))


def bump_version(connection: Any, cluster_id: str, hour: int) -> None:
    state = schema.rollup_state
    found = connection.execute(
        update(state)
        .where(state.c.cluster_id == cluster_id, state.c.hour == hour)
        .values(version=state.c.version + 1)
    ).rowcount
    if not found:
        connection.execute(
            insert(state).values(cluster_id=cluster_id, hour=hour, version=1, aggregated_version=-1)
        )


def fetch(engine: Engine, table: Any, **where: Any) -> list[dict[str, Any]]:
    query = select(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def state_of(engine: Engine, cluster_id: str, hour: int) -> tuple[int, int] | None:
    rows = fetch(engine, schema.rollup_state, cluster_id=cluster_id, hour=hour)
    return None if not rows else (rows[0]["version"], rows[0]["aggregated_version"])
