"""Retention boundaries against a real database: just inside kept, just outside removed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert
from tests.storage.raw_rows import fetch
from tests.storage.stores import open_store

from adapters.storage import schema
from application.master.cleaner import Cleaner, Retention

NOW = 1_764_311_400  # 06:30 UTC: not on an hour boundary
DAY = 86400
RETENTION = Retention(raw_seconds=48 * 3600, hourly_seconds=90 * DAY, status_seconds=180 * DAY)


def put(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(table), rows)


def raw_keys() -> dict[Any, dict[str, Any]]:
    return {
        schema.service_raw: {"namespace": "shop", "name": "cart"},
        schema.edge_raw: {"src_ns": "a", "src_name": "b", "dst_ns": "c", "dst_name": "d"},
        schema.ingress_raw: {"service_key": "shop-frontend-80"},
    }


def test_each_retention_boundary(engine: Engine) -> None:
    raw_cutoff = NOW - 48 * 3600
    for ts in (raw_cutoff - 1, raw_cutoff):
        for table, keys in raw_keys().items():
            put(engine, table, [{"cluster_id": "c", "ts": ts, "window_seconds": 30.0, **keys}])
        put(engine, schema.snapshot_log, [{"cluster_id": "c", "ts": ts, "window_start": ts - 30,
                                            "window_seconds": 30.0, "received_at": ts}])

    # now - 90 d is 06:30; the 05:00 hour ended before it, the 06:00 hour did not.
    hourly_cutoff = NOW - 90 * DAY
    ended_before = hourly_cutoff - 1800 - 3600
    still_open = hourly_cutoff - 1800
    for hour in (ended_before, still_open):
        put(engine, schema.service_hourly, [{"cluster_id": "c", "hour": hour, "namespace": "n", "name": "w"}])
        put(engine, schema.edge_hourly, [{"cluster_id": "c", "hour": hour, "src_ns": "a", "src_name": "b",
                                          "dst_ns": "c", "dst_name": "d"}])
        put(engine, schema.ingress_hourly, [{"cluster_id": "c", "hour": hour, "service_key": "k"}])
        put(engine, schema.cluster_hourly, [{"cluster_id": "c", "hour": hour}])
        put(engine, schema.rollup_state,
            [{"cluster_id": "c", "hour": hour, "version": 1, "aggregated_version": 1}])

    status_cutoff = NOW - 180 * DAY
    put(engine, schema.status_history, [
        {"cluster_id": "c", "target_type": "service", "key": "n/w", "old_status": "unknown",
         "new_status": "healthy", "changed_at": at}
        for at in (status_cutoff - 1, status_cutoff)
    ])
    route_cutoff = NOW - 7 * DAY
    put(engine, schema.route_mapping, [
        {"cluster_id": "c", "domain": f"d{i}.example.com", "path_prefix": "/", "service_key": "k",
         "last_seen": seen}
        for i, seen in enumerate((route_cutoff - 1, route_cutoff))
    ])
    put(engine, schema.targets, [{"cluster_id": "c", "target_type": "service", "key": "n/w", "window": "1d",
                                  "availability_target": 99.0, "p95_target_ms": 200.0, "updated_at": 0}])

    report = Cleaner(open_store(engine).retention, RETENTION).run(NOW)

    for table in (schema.service_raw, schema.edge_raw, schema.ingress_raw, schema.snapshot_log):
        assert [row["ts"] for row in fetch(engine, table)] == [raw_cutoff], table.name
        assert report.deleted[table.name] == 1
    for table in (schema.service_hourly, schema.edge_hourly, schema.ingress_hourly, schema.cluster_hourly,
                  schema.rollup_state):
        assert [row["hour"] for row in fetch(engine, table)] == [still_open], table.name
        assert report.deleted[table.name] == 1
    assert [row["changed_at"] for row in fetch(engine, schema.status_history)] == [status_cutoff]
    assert [row["last_seen"] for row in fetch(engine, schema.route_mapping)] == [route_cutoff]
    assert len(fetch(engine, schema.targets)) == 1  # targets are kept forever
    assert report.total == 11 and report.skipped_locked == []

    again = Cleaner(open_store(engine).retention, RETENTION).run(NOW)
    assert again.total == 0


def test_deletes_in_batches_until_nothing_is_left(engine: Engine) -> None:
    cutoff = NOW - 48 * 3600
    expired = [{"cluster_id": "c", "ts": cutoff - 100 - i, "namespace": "shop", "name": f"w{j}",
                "window_seconds": 30.0} for i in range(7) for j in range(2)]
    kept = [{"cluster_id": "c", "ts": cutoff + 5, "namespace": "shop", "name": "w0", "window_seconds": 30.0}]
    put(engine, schema.service_raw, expired + kept)
    put(engine, schema.clusters,
        [{"cluster_id": "c", "first_seen": 0, "last_snapshot": 0, "last_received": 0}])
    repository = open_store(engine).retention
    calls: list[int] = []

    class Counting:
        def clusters(self) -> list[str]:
            return repository.clusters()

        def delete_batch(self, rule, batch_size):  # type: ignore[no-untyped-def]
            deleted = repository.delete_batch(rule, batch_size)
            if rule.table == "service_raw":
                calls.append(deleted)
            return deleted

    report = Cleaner(Counting(), RETENTION, batch_size=3).run(NOW)

    assert report.deleted["service_raw"] == 14
    assert calls == [3, 3, 3, 3, 2]
    assert [row["ts"] for row in fetch(engine, schema.service_raw)] == [cutoff + 5]


def test_every_cluster_is_cleaned_whichever_table_names_it(engine: Engine) -> None:
    cutoff = NOW - 48 * 3600
    put(engine, schema.clusters,
        [{"cluster_id": "a", "first_seen": 0, "last_snapshot": 0, "last_received": 0}])
    put(engine, schema.rollup_state, [{"cluster_id": "b", "hour": NOW - 3600 - NOW % 3600, "version": 1,
                                       "aggregated_version": 1}])
    put(engine, schema.edge_raw, [
        {"cluster_id": cluster, "ts": ts, "src_ns": "s", "src_name": "x", "dst_ns": "d", "dst_name": "y",
         "window_seconds": 30.0}
        for cluster in ("a", "b") for ts in (cutoff - 30, cutoff + 30)
    ])

    report = Cleaner(open_store(engine).retention, RETENTION).run(NOW)

    assert sorted((r["cluster_id"], r["ts"]) for r in fetch(engine, schema.edge_raw)) == [
        ("a", cutoff + 30), ("b", cutoff + 30)]
    assert report.deleted["edge_raw"] == 2
