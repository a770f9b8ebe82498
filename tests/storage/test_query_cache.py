"""The reader's cache never changes an answer.

One long-lived reader (whose cache sees every step) and a fresh reader each
time must agree while snapshots arrive, late snapshots land in cached and in
rolled-up hours, the aggregator runs, and the window slides into a new hour.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Engine, delete, func, select
from tests.storage.query_dataset import aggregate, assert_close, ingest, plain, random_snapshot
from tests.storage.stores import open_store

from adapters.storage import schema
from adapters.storage.read_cache import HourRun, PartCache, run_delta
from adapters.storage.row_sums import RowSums
from adapters.storage.stats_reader import SqlStatsReader

H0 = 1_764_306_000
CLUSTER = "prod-eu-1"
STEP = 300


def _fill(engine: Engine, rng: random.Random, first: int, last: int, held_back: int | None = None) -> int:
    """Contiguous intervals from ``first`` to ``last``, but for the one ending at ``held_back``
    (which arrives late, as from an agent's spool)."""
    for ts in range(first, last + 1, STEP):
        if ts != held_back:
            ingest(engine, random_snapshot(rng, CLUSTER, ts, STEP))
    return last


def _read(reader: SqlStatsReader, start: int, end: int) -> dict[str, Any]:
    return plain({
        "covered": reader.covered_seconds(CLUSTER, start, end),
        "workloads": sorted(reader.workload_totals(CLUSTER, start, end).items()),
        "one workload": sorted(reader.workload_totals(CLUSTER, start, end, keys=[("shop", "cart")]).items()),
        "edges": sorted(reader.edge_totals(CLUSTER, start, end).items()),
        "ingress": sorted(reader.ingress_totals(CLUSTER, start, end).items()),
    })


def _agree(engine: Engine, shared: SqlStatsReader, now: int) -> None:
    for start in (now - 3600, now - 900, now - 4 * 3600 - 700, H0 - 3600):
        fresh = open_store(engine).stats
        assert_close(_read(shared, start, now), _read(fresh, start, now), f"({start}, {now}]")


def test_a_long_lived_reader_agrees_with_a_fresh_one_through_changes(engine: Engine) -> None:
    rng = random.Random(11)
    shared = open_store(engine).stats
    late_in_rolled_up_hour = H0 + 2 * 3600 + 1050
    now = _fill(engine, rng, H0 + 150, H0 + 4 * 3600 + 1350, held_back=late_in_rolled_up_hour)
    aggregate(engine, now + 1)
    _agree(engine, shared, now)

    # New snapshots in the current hour: cached prefixes are extended.
    late_in_current_hour = now + STEP
    now = _fill(engine, rng, now + STEP, now + 2 * STEP, held_back=late_in_current_hour)
    _agree(engine, shared, now)

    # A late snapshot between two cached ones of the current hour.
    ingest(engine, random_snapshot(rng, CLUSTER, late_in_current_hour, STEP))
    _agree(engine, shared, now)

    # A late snapshot into an hour already rolled up: that hour turns stale.
    ingest(engine, random_snapshot(rng, CLUSTER, late_in_rolled_up_hour, STEP))
    _agree(engine, shared, now)
    aggregate(engine, now + 1)
    _agree(engine, shared, now)

    # The window slides into the next hour; the aggregator catches up later.
    now = _fill(engine, rng, now + STEP, H0 + 5 * 3600 + 900)
    _agree(engine, shared, now)
    aggregate(engine, now + 1)
    _agree(engine, shared, now)
    now = _fill(engine, rng, now + STEP, H0 + 6 * 3600 + 600)
    aggregate(engine, now + 1)
    _agree(engine, shared, now)


def test_run_delta_adds_and_removes_only_unchanged_hours() -> None:
    cached = {0: (0, 1, 1), 3600: (3600, 2, 2), 7200: None}
    assert run_delta(cached, {3600: (3600, 2, 2), 7200: None, 10800: (10800, 1, 1)}) == ([10800], [0])
    assert run_delta(cached, {3600: (3600, 3, 2)}) is None  # changed since: its old rows are gone
    assert run_delta(cached, dict(cached)) == ([], [])


def test_cache_is_bounded_and_prefers_the_largest_usable_prefix() -> None:
    cache: PartCache[str] = PartCache(max_entries=4)
    cache.put_prefix("hour", frozenset({30}), "one")
    cache.put_prefix("hour", frozenset({30, 60}), "two")
    cache.put_prefix("hour", frozenset({30, 60, 90, 120}), "four")
    assert cache.best_prefix("hour", frozenset({30, 60, 90})) == (frozenset({30, 60}), "two")
    assert cache.best_prefix("hour", frozenset({60, 90})) is None  # snapshot 30 is gone
    for i in range(10):
        cache.put(("entry", i), str(i))
        cache.put_run(("run", i), HourRun(0, 3600, ((0, None),), str(i)))
    assert cache.get(("entry", 0)) is None
    assert cache.get(("entry", 9)) == "9"
    assert sum(1 for i in range(10) if cache.runs(("run", i))) <= 4


def test_row_sums_merge_keeps_absent_bounds_absent_and_never_edits_cached_sums() -> None:
    linkerd = RowSums(2)
    linkerd.add_sums("a", (10, 1.5), 1, 1)
    linkerd.add_buckets("a", '{"10": 4, "+Inf": 10}', 1)
    nginx = RowSums(2)
    nginx.add_sums("b", (3, 0.5), 2, 1)
    nginx.add_buckets("b", '{"5": 1, "250": 3, "+Inf": 3}', 1)
    nginx.add_buckets("a", '{"5": 2, "+Inf": 2}', 1)

    total = linkerd.copy()
    total.merge(nginx, 1)
    assert total.bucket_dict("a") == {"10": 4, "+Inf": 12, "5": 2}
    assert total.bucket_dict("b") == {"5": 1, "250": 3, "+Inf": 3}  # no "10": it never came
    assert (total.sums["b"], total.rows["b"]) == ([3.0, 0.5], 2)
    total.merge(nginx, -1)
    assert total.bucket_dict("a") == {"10": 4, "+Inf": 10, "5": 0}
    assert total.present() == ["a"]  # nothing stands behind "b" any more
    # The merged-from sums are untouched.
    assert linkerd.bucket_dict("a") == {"10": 4, "+Inf": 10} and linkerd.sums["a"] == [10.0, 1.5]
    assert nginx.bucket_dict("a") == {"5": 2, "+Inf": 2}


def test_a_cached_prefix_is_not_used_once_its_snapshots_are_removed(engine: Engine) -> None:
    rng = random.Random(5)
    shared = open_store(engine).stats
    now = _fill(engine, rng, H0 + 150, H0 + 3600 + 1650)
    start = H0 + 1000  # a partial first hour, read as prefixes and cached
    assert_close(_read(shared, start, now), _read(open_store(engine).stats, start, now))
    # Retention removes the oldest snapshots of that hour (rows and log alike).
    with engine.begin() as connection:
        for table in (schema.snapshot_log, schema.service_raw, schema.edge_raw, schema.ingress_raw):
            connection.execute(delete(table).where(table.c.ts <= H0 + 1200))
    after = _read(shared, start, now)
    assert_close(after, _read(open_store(engine).stats, start, now))
    assert after["covered"] < 3600 + 1650 - 1000


def test_one_read_sees_one_moment_while_snapshots_arrive(engine: Engine) -> None:
    """Every statement of a read sees the same data, even when a snapshot is stored in between."""
    rng = random.Random(3)
    _fill(engine, rng, H0 + 150, H0 + 450)
    reader = open_store(engine).stats
    count = select(func.count()).select_from(schema.snapshot_log)
    with reader._reading() as connection:
        before = connection.execute(count).scalar_one()
        ingest(engine, random_snapshot(rng, CLUSTER, H0 + 750, STEP))  # another connection, committed
        assert connection.execute(count).scalar_one() == before
    with reader._reading() as connection:
        assert connection.execute(count).scalar_one() == before + 1
