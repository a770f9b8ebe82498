"""The aggregator against a real database (SQLite and PostgreSQL).

Expected hourly rows are computed here from the generated raw rows, not read
back from the implementation: sums by hand, buckets summed key by key and the
percentiles taken from those summed buckets.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests.storage.raw_rows import (
    Snapshot,
    bump_version,
    fetch,
    random_ingress,
    random_snapshot,
    state_of,
    write,
)
from tests.storage.stores import open_store

from adapters.storage import schema
from adapters.storage.rollup_repository import SqlHourRebuild, SqlRollupRepository
from application.master.aggregator import Aggregator, oldest_rebuildable_hour
from domain.histogram import quantile
from domain.rollup import HourRollup

CLUSTER = "prod-eu-1"
H = 1_764_309_600  # an hour start (06:00 UTC)
RAW_RETENTION = 48 * 3600
SERVICE_SUMS = (
    "requests", "errors", "status_2xx", "status_3xx", "status_4xx", "status_5xx",
    "latency_count", "tls_requests", "total_requests",
)
INGRESS_SUMS = (
    "requests", "errors", "status_2xx", "status_5xx", "latency_count",
    *(f"{m}_{kind}" for m in ("get", "post", "put", "delete", "patch", "other")
      for kind in ("requests", "errors")),
)


def aggregator(engine: Engine, repository: SqlRollupRepository | None = None) -> Aggregator:
    return Aggregator(repository or open_store(engine).rollups, raw_retention_seconds=RAW_RETENTION)


def in_hour(snapshots: list[Snapshot], hour: int) -> list[Snapshot]:
    return [s for s in snapshots if hour < s.ts <= hour + 3600]


def summed_buckets(rows: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for row in rows:
        for key, count in json.loads(row["buckets"]).items():
            out[key] += count
    return dict(out)


def expected_services(snapshots: list[Snapshot], hour: int) -> dict[tuple[str, str], dict[str, Any]]:
    grouped: dict[tuple[str, str], list[tuple[Snapshot, dict[str, Any]]]] = defaultdict(list)
    for snapshot in in_hour(snapshots, hour):
        for row in snapshot.services:
            grouped[(row["namespace"], row["name"])].append((snapshot, row))
    out = {}
    for key, items in grouped.items():
        rows = [row for _, row in items]
        sums = {column: sum(row[column] for row in rows) for column in SERVICE_SUMS}
        latency_sum = sum(row["latency_sum"] for row in rows)
        buckets = summed_buckets(rows)
        out[key] = {
            **sums,
            "latency_sum": latency_sum,
            "buckets": buckets,
            "p50": quantile(0.5, buckets),
            "p95": quantile(0.95, buckets),
            "p99": quantile(0.99, buckets),
            "avg_latency": latency_sum / sums["latency_count"] if sums["latency_count"] else None,
            "availability": (sums["requests"] - sums["errors"]) / sums["requests"] * 100
            if sums["requests"] else None,
            "mtls_percent": sums["tls_requests"] / sums["total_requests"] * 100
            if sums["total_requests"] else None,
            "covered_seconds": sum(s.window_seconds for s, _ in items),
            "sample_count": len(items),
        }
    return out


def assert_close(actual: Any, expected: Any, what: str) -> None:
    if expected is None or actual is None:
        assert actual == expected, what
    elif isinstance(expected, float):
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9), f"{what}: {actual} != {expected}"
    else:
        assert actual == expected, f"{what}: {actual} != {expected}"


def service_rows(engine: Engine, hour: int) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (row["namespace"], row["name"]): row
        for row in fetch(engine, schema.service_hourly, cluster_id=CLUSTER, hour=hour)
    }


def check_services(engine: Engine, snapshots: list[Snapshot], hour: int) -> None:
    expected = expected_services(snapshots, hour)
    actual = service_rows(engine, hour)
    assert set(actual) == set(expected)
    for key, want in expected.items():
        row = actual[key]
        for column, value in want.items():
            got = json.loads(row[column]) if column == "buckets" else row[column]
            assert_close(got, value, f"{key} {column}")


def test_hourly_rows_are_the_sums_of_their_raw_rows(engine: Engine) -> None:
    rng = random.Random(20261128)
    # 30 s snapshots from the hour before to the hour after, including both hour edges:
    # a snapshot ending exactly at H + 3600 belongs to H, one ending at H to the hour before.
    snapshots = [random_snapshot(rng, ts) for ts in range(H - 600, H + 3600 + 630, 30)]
    snapshots.append(random_snapshot(rng, H + 3600 - 7, window_seconds=12.5))  # a short window
    for snapshot in snapshots:
        write(engine, CLUSTER, snapshot)

    report = aggregator(engine).run(now=H + 3600 + 700)

    assert report.rebuilt >= 2 and report.skipped_locked == 0
    check_services(engine, snapshots, H)
    check_services(engine, snapshots, H + 3600)  # the current partial hour
    check_services(engine, snapshots, H - 3600)  # dirty, so rebuilt too

    hour_snapshots = in_hour(snapshots, H)
    assert len(hour_snapshots) == 121
    [cluster_row] = fetch(engine, schema.cluster_hourly, cluster_id=CLUSTER, hour=H)
    assert cluster_row["sample_count"] == len(hour_snapshots)
    assert_close(cluster_row["covered_seconds"], sum(s.window_seconds for s in hour_snapshots), "covered")

    edges: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for snapshot in hour_snapshots:
        for row in snapshot.edges:
            key = (row["src_ns"], row["src_name"], row["dst_ns"], row["dst_name"])
            for column in ("requests", "failures", "latency_sum", "latency_count"):
                edges[key][column] += row[column]
            edges[key]["covered_seconds"] += snapshot.window_seconds
            edges[key]["sample_count"] += 1
    edge_rows = fetch(engine, schema.edge_hourly, cluster_id=CLUSTER, hour=H)
    assert len(edge_rows) == len(edges) == 2
    for row in edge_rows:
        want = edges[(row["src_ns"], row["src_name"], row["dst_ns"], row["dst_name"])]
        for column, value in want.items():
            assert_close(float(row[column]), float(value), f"edge {column}")

    [ingress_row] = fetch(engine, schema.ingress_hourly, cluster_id=CLUSTER, hour=H)
    ingress_raw = [row for s in hour_snapshots for row in s.ingress]
    for column in INGRESS_SUMS:
        assert ingress_row[column] == sum(row[column] for row in ingress_raw), column
    buckets = summed_buckets(ingress_raw)
    assert json.loads(ingress_row["buckets"]) == buckets
    for q, column in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        assert_close(ingress_row[column], quantile(q, buckets), column)
    requests = sum(row["requests"] for row in ingress_raw)
    errors = sum(row["errors"] for row in ingress_raw)
    assert_close(ingress_row["availability"], (requests - errors) / requests * 100, "availability")
    assert (ingress_row["domain"], ingress_row["path"]) == ("shop.example.com", "/")
    assert state_of(engine, CLUSTER, H) == (len(hour_snapshots), len(hour_snapshots))


def test_percentiles_come_from_merged_buckets_not_averaged(engine: Engine) -> None:
    base = {"namespace": "shop", "name": "checkout", "errors": 0, "status_2xx": 20, "latency_sum": 500.0,
            "latency_count": 20, "tls_requests": 0, "total_requests": 20, "requests": 20}
    # Per snapshot p50s are 10 and 55 (mean 32.5); the merged histogram's p50 is 40:
    # rank 20 of 40 falls 10 of 30 into the (10, 100] bucket → 10 + 90 * 10 / 30.
    first = '{"10": 10, "100": 20, "+Inf": 20}'
    second = '{"10": 0, "100": 20, "+Inf": 20}'
    write(engine, CLUSTER, Snapshot(H + 30, services=[{**base, "buckets": first}]))
    write(engine, CLUSTER, Snapshot(H + 60, services=[{**base, "buckets": second}]))

    aggregator(engine).run(now=H + 3600 + 60)

    row = service_rows(engine, H)[("shop", "checkout")]
    assert row["p50"] == pytest.approx(40.0)
    assert row["p99"] == pytest.approx(10 + 90 * (39.6 - 10) / 30)
    assert json.loads(row["buckets"]) == {"10": 10, "100": 40, "+Inf": 40}
    assert row["avg_latency"] == pytest.approx(1000.0 / 40)


def test_rerunning_is_idempotent(engine: Engine) -> None:
    rng = random.Random(7)
    for ts in range(H + 30, H + 3601, 300):
        write(engine, CLUSTER, random_snapshot(rng, ts))
    now = H + 3600 + 100
    aggregator(engine).run(now)
    tables = (schema.service_hourly, schema.edge_hourly, schema.ingress_hourly, schema.cluster_hourly)
    first = [sorted(map(repr, fetch(engine, t))) for t in tables]
    aggregator(engine).run(now)
    aggregator(engine).run(now + 60)
    assert [sorted(map(repr, fetch(engine, t))) for t in tables] == first
    assert all(first)


def test_current_partial_hour_is_updated_on_each_run(engine: Engine) -> None:
    rng = random.Random(11)
    snapshots = [random_snapshot(rng, ts) for ts in range(H + 30, H + 901, 30)]
    for snapshot in snapshots:
        write(engine, CLUSTER, snapshot)
    aggregator(engine).run(now=H + 905)
    check_services(engine, snapshots, H)

    later = [random_snapshot(rng, ts) for ts in range(H + 930, H + 1801, 30)]
    for snapshot in later:
        write(engine, CLUSTER, snapshot)
    aggregator(engine).run(now=H + 1805)
    check_services(engine, snapshots + later, H)
    [cluster_row] = fetch(engine, schema.cluster_hourly, cluster_id=CLUSTER, hour=H)
    assert cluster_row["sample_count"] == len(snapshots) + len(later)


def test_late_snapshot_for_an_old_hour_is_picked_up(engine: Engine) -> None:
    rng = random.Random(5)
    old = H - 10 * 3600
    snapshots = [random_snapshot(rng, ts) for ts in range(old + 30, old + 3601, 600)]
    for snapshot in snapshots:
        write(engine, CLUSTER, snapshot)
    now = H + 120
    aggregator(engine).run(now)
    check_services(engine, snapshots, old)
    assert state_of(engine, CLUSTER, old) == (6, 6)

    late = random_snapshot(rng, old + 1234)  # spooled by an agent, delivered hours later
    write(engine, CLUSTER, late)
    assert state_of(engine, CLUSTER, old) == (7, 6)
    aggregator(engine).run(now + 300)
    check_services(engine, [*snapshots, late], old)
    assert state_of(engine, CLUSTER, old) == (7, 7)


def test_fresh_old_hours_are_left_alone(engine: Engine) -> None:
    rng = random.Random(3)
    old = H - 5 * 3600
    write(engine, CLUSTER, random_snapshot(rng, old + 60))
    aggregator(engine).run(H + 10)
    before = fetch(engine, schema.service_hourly, hour=old)
    # A raw row changed behind the aggregator's back without a version bump is not
    # noticed: only dirty hours and the two most recent are rebuilt.
    write(engine, CLUSTER, random_snapshot(rng, old + 90), bump=False)
    aggregator(engine).run(H + 400)
    assert fetch(engine, schema.service_hourly, hour=old) == before


class BumpDuringRead(SqlRollupRepository):
    """Stores a snapshot for the hour while the aggregator is reading its raw rows."""

    def __init__(self, engine: Engine, late: Snapshot) -> None:
        super().__init__(engine)
        self._engine_for_ingest = engine
        self._late: Snapshot | None = late

    def rebuild(self, cluster_id: str, hour: int):  # type: ignore[no-untyped-def]
        outer = super().rebuild(cluster_id, hour)
        repository = self

        class _Wrapped:
            def __enter__(self) -> SqlHourRebuild:
                work = outer.__enter__()
                original = work.read_raw

                def read_raw() -> HourRollup:
                    rollup = original()
                    late = repository._late
                    if late is not None and late.ts > hour >= late.ts - 3600:
                        write(repository._engine_for_ingest, cluster_id, late)
                        repository._late = None
                    return rollup

                work.read_raw = read_raw  # type: ignore[method-assign]
                return work

            def __exit__(self, *exc: Any) -> Any:
                return outer.__exit__(*exc)

        return _Wrapped()


def test_compare_and_set_keeps_an_hour_dirty_when_ingest_happens_mid_rebuild(engine: Engine) -> None:
    rng = random.Random(13)
    snapshots = [random_snapshot(rng, ts) for ts in (H + 100, H + 200)]
    for snapshot in snapshots:
        write(engine, CLUSTER, snapshot)
    late = random_snapshot(rng, H + 300)
    now = H + 3600 + 30
    report = aggregator(engine, BumpDuringRead(engine, late)).run(now)

    # The late snapshot arrived after the rows were read: the hour must stay dirty.
    assert state_of(engine, CLUSTER, H) == (3, -1)
    assert report.rebuilt >= 1 and report.marked < report.rebuilt
    check_services(engine, snapshots, H)

    aggregator(engine).run(now + 300)
    assert state_of(engine, CLUSTER, H) == (3, 3)
    check_services(engine, [*snapshots, late], H)


def test_hours_beyond_raw_retention_are_not_rebuilt_but_settled(engine: Engine) -> None:
    rng = random.Random(17)
    old = H - 60 * 3600
    kept = random_snapshot(rng, old + 30)
    write(engine, CLUSTER, kept)
    aggregator(engine).run(old + 3600 + 60)
    before = fetch(engine, schema.service_hourly, hour=old)
    assert before
    # The cleaner has removed the hour's raw rows; a very late snapshot arrives for it.
    with engine.begin() as connection:
        connection.execute(schema.service_raw.delete().where(schema.service_raw.c.ts == old + 30))
    write(engine, CLUSTER, random_snapshot(rng, old + 600))
    now = H + 30
    assert old < oldest_rebuildable_hour(now, RAW_RETENTION)

    report = aggregator(engine).run(now)

    assert fetch(engine, schema.service_hourly, hour=old) == before
    assert report.settled == 1
    version, aggregated = state_of(engine, CLUSTER, old)  # type: ignore[misc]
    assert version == aggregated == 2


def test_oldest_rebuildable_hour_keeps_a_margin_from_the_retention_boundary() -> None:
    now = H + 1800
    # Raw rows with ts >= now - 48h are kept; the first whole hour after that
    # boundary starts at H - 47h; one more hour of margin.
    assert oldest_rebuildable_hour(now, RAW_RETENTION) == H - 46 * 3600
    assert oldest_rebuildable_hour(H, RAW_RETENTION) == H - 47 * 3600


def test_each_cluster_is_rolled_up_separately(engine: Engine) -> None:
    rng = random.Random(19)
    a = [random_snapshot(rng, ts) for ts in (H + 30, H + 60)]
    b = [random_snapshot(rng, ts) for ts in (H + 30, H + 90, H + 120)]
    for snapshot in a:
        write(engine, "a", snapshot)
    for snapshot in b:
        write(engine, "b", snapshot)
    aggregator(engine).run(H + 3600 + 5)
    counts = {row["cluster_id"]: row["sample_count"] for row in fetch(engine, schema.cluster_hourly, hour=H)}
    assert counts == {"a": 2, "b": 3}


def test_a_hour_without_rollup_state_is_rebuilt_but_not_marked(engine: Engine) -> None:
    rng = random.Random(23)
    write(engine, CLUSTER, random_snapshot(rng, H + 30), bump=False)
    with engine.begin() as connection:
        bump_version(connection, CLUSTER, H - 3600)  # the cluster is known from another hour
    aggregator(engine).run(H + 600)
    assert service_rows(engine, H)  # current partial hour rebuilt from its raw rows
    assert state_of(engine, CLUSTER, H) is None


def test_bucket_texts_merge_across_layouts() -> None:
    from adapters.storage.rollup_repository import merge_bucket_texts

    texts = [
        '{"5": 1, "10": 3, "+Inf": 4}',
        "{}",
        "",
        '{"5": 2, "10": 2, "+Inf": 5}',
        '{"10": 7, "100": 9, "+Inf": 9}',  # another layout (a pod with other bounds)
        '{"+Inf": 1, "5": 1, "10": 1}',  # same keys, other order
    ]
    assert merge_bucket_texts(texts) == {"5": 4, "10": 13, "100": 9, "+Inf": 19}
    assert merge_bucket_texts([]) == {}


bucket_maps = st.dictionaries(
    st.sampled_from(["1", "2.5", "10", "100", "1000", "+Inf"]), st.integers(0, 10**12), max_size=6
)


@given(st.lists(bucket_maps, max_size=30))
def test_bucket_texts_merge_equals_key_by_key_sums(maps: list[dict[str, int]]) -> None:
    from adapters.storage.rollup_repository import merge_bucket_texts

    expected: dict[str, int] = defaultdict(int)
    for item in maps:
        for key, count in item.items():
            expected[key] += count
    assert merge_bucket_texts([json.dumps(item) for item in maps]) == dict(expected)


def test_large_counts_sum_exactly(engine: Engine) -> None:
    big = 10**17 + 1  # beyond the integers a float holds exactly: sums must stay integers
    row = {"namespace": "shop", "name": "huge", "requests": big, "errors": 1, "status_2xx": big - 1,
           "status_5xx": 1, "latency_sum": 1.5, "latency_count": big, "tls_requests": big,
           "total_requests": big, "buckets": json.dumps({"10": big, "+Inf": big})}
    write(engine, CLUSTER, Snapshot(H + 30, services=[row]))
    write(engine, CLUSTER, Snapshot(H + 60, services=[{**row, "requests": big + 2}]))
    aggregator(engine).run(H + 3600 + 30)
    hourly = service_rows(engine, H)[("shop", "huge")]
    assert hourly["requests"] == 2 * big + 2
    assert json.loads(hourly["buckets"]) == {"10": 2 * big, "+Inf": 2 * big}


def test_the_route_of_a_backend_is_the_newest_one_seen_in_the_hour(engine: Engine) -> None:
    rng = random.Random(29)
    for ts, domain, path in ((H + 30, "old.example.com", "/"), (H + 60, "new.example.com", "/v2"),
                             (H + 90, "", "")):
        snapshot = random_snapshot(rng, ts)
        snapshot.ingress = [random_ingress(rng, "shop-frontend-80", domain, path)]
        write(engine, CLUSTER, snapshot)
    aggregator(engine).run(H + 3600 + 30)
    [row] = fetch(engine, schema.ingress_hourly, cluster_id=CLUSTER, hour=H)
    assert (row["domain"], row["path"]) == ("new.example.com", "/v2")
