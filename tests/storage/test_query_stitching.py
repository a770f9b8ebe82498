"""Acceptance: the query answers are the same whether or not the aggregator has run.

The same snapshots (five hours, a snapshot every five minutes) go into two
stores; only the second one is aggregated. Every query endpoint must return
the same numbers from both, for ranges with partial hours at both ends, inside
one hour, across a boundary, and after a late snapshot dirtied a rolled-up hour.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, update
from tests.storage.query_dataset import aggregate, assert_close, ingest, plain, random_snapshot, service_of
from tests.storage.stores import open_store

from adapters.storage import schema
from adapters.storage.engine import make_engine
from adapters.storage.migrate import upgrade_to_head
from application.query.service import SloQueryService

H0 = 1_764_306_000  # an hour boundary (2025-11-28 05:00 UTC)
STEP = 300
CLUSTER = "prod-eu-1"
LAST_TS = H0 + 5 * 3600 - 120  # the newest snapshot: inside the sixth hour's lead-up
LATE_TS = H0 + 3600 + 1350  # an interval of hour H0+1 held back (in an agent's spool) until after the rollup

RANGES = {
    "partial hours at both ends": (H0 + 1000, H0 + 3 * 3600 + 1700),
    "inside one hour": (H0 + 3600 + 100, H0 + 3600 + 2000),
    "across one boundary": (H0 + 2 * 3600 - 900, H0 + 2 * 3600 + 1300),
    "end cut just before the hour ends": (H0 + 700, H0 + 4 * 3600 - 200),
    "start just after an hour began": (H0 + 3600 + 200, H0 + 5 * 3600),
    "aligned to hours": (H0, H0 + 4 * 3600),
    "up to now": (LAST_TS - 3600, LAST_TS),
    "long range (hourly history)": (H0 - 3 * 3600, LAST_TS),
}


def _snapshots() -> dict[int, dict[str, Any]]:
    rng = random.Random(20261128)
    return {ts: random_snapshot(rng, CLUSTER, ts, STEP) for ts in range(H0 + 150, LAST_TS + 1, STEP)}


@pytest.fixture
def stores(database_url: str, tmp_path) -> Iterator[tuple[Engine, Engine]]:  # type: ignore[no-untyped-def]
    # Store A (raw only) is always a SQLite file; store B (aggregated) is on the backend under test.
    raw_only = make_engine(f"sqlite:///{tmp_path / 'raw_only.db'}")
    aggregated = make_engine(database_url)
    for engine in (raw_only, aggregated):
        upgrade_to_head(engine)
    for ts, document in _snapshots().items():
        if ts == LATE_TS:
            continue
        ingest(raw_only, document)
        ingest(aggregated, document)
    aggregate(aggregated, now=LAST_TS + 1)
    yield raw_only, aggregated
    raw_only.dispose()
    aggregated.dispose()


def _answers(service: SloQueryService, start: int, end: int) -> dict[str, Any]:
    calls: dict[str, Callable[[], Any]] = {
        "topology": lambda: service.topology(None, start, end),
        "service detail": lambda: service.service_detail(None, start, end, "shop", "checkout"),
        "service detail of a callee without inbound data": lambda: service.service_detail(
            None, start, end, "shop", "ghost"
        ),
        "domains": lambda: service.domains(None, start, end),
        "domain detail": lambda: service.domain_detail(None, start, end, "shop.example.com"),
        "domain history": lambda: service.domain_history(None, start, end, "shop.example.com"),
    }
    return {name: plain(call()) for name, call in calls.items()}


def _fresh_hours(engine: Engine) -> int:
    with engine.connect() as connection:
        rows = connection.execute(schema.rollup_state.select()).all()
    return sum(1 for row in rows if row.version == row.aggregated_version)


@pytest.mark.parametrize("label", list(RANGES))
def test_every_endpoint_answers_the_same_with_and_without_rollups(
    stores: tuple[Engine, Engine], label: str
) -> None:
    raw_only, aggregated = stores
    assert _fresh_hours(raw_only) == 0
    assert _fresh_hours(aggregated) == 5  # hours H0 … H0+4
    start, end = RANGES[label]
    expected = _answers(service_of(raw_only), start, end)
    assert expected["topology"]["nodes"], "the data set must have traffic in every range"
    assert_close(_answers(service_of(aggregated), start, end), expected, label)


def test_a_late_snapshot_in_an_aggregated_hour_is_not_missed(stores: tuple[Engine, Engine]) -> None:
    raw_only, aggregated = stores
    late = _snapshots()[LATE_TS]
    ingest(raw_only, late, received_at=LAST_TS + 5)
    ingest(aggregated, late, received_at=LAST_TS + 5)  # hour H0+1 is now stale in the aggregated store
    for start, end in RANGES.values():
        assert_close(_answers(service_of(aggregated), start, end), _answers(service_of(raw_only), start, end))


def test_fresh_hourly_rows_are_what_complete_hours_are_read_from(stores: tuple[Engine, Engine]) -> None:
    """Control: the aggregated store really answers from hourly rows (else the equality above is vacuous)."""
    _, aggregated = stores
    start, end = RANGES["partial hours at both ends"]

    def checkout_requests() -> int:
        # A new reader each time: editing rows behind the rollup protocol's back would fool its cache.
        totals = open_store(aggregated).stats.workload_totals(CLUSTER, start, end)
        return totals[("shop", "checkout")].requests

    before = checkout_requests()
    with aggregated.begin() as connection:
        connection.execute(
            update(schema.service_hourly)
            .where(schema.service_hourly.c.hour == H0 + 3600, schema.service_hourly.c.name == "checkout")
            .values(requests=schema.service_hourly.c.requests + 1000)
        )
    assert checkout_requests() == before + 1000
    # Once the hour is marked stale, the (untouched) raw rows are read again.
    with aggregated.begin() as connection:
        connection.execute(
            update(schema.rollup_state)
            .where(schema.rollup_state.c.hour == H0 + 3600)
            .values(version=schema.rollup_state.c.version + 1)
        )
    assert checkout_requests() == before


def test_history_reads_raw_rows_up_to_six_hours_and_hourly_rows_beyond(stores: tuple[Engine, Engine]) -> None:
    """Tampering with one hourly row shows which rows each history is drawn from."""
    _, aggregated = stores
    with aggregated.begin() as connection:
        connection.execute(
            update(schema.service_hourly)
            .where(schema.service_hourly.c.hour == H0 + 3600, schema.service_hourly.c.name == "checkout")
            .values(requests=schema.service_hourly.c.requests + 1000)
        )

    def history(start: int, end: int) -> dict[int, int]:
        view = service_of(aggregated).service_detail(None, start, end, "shop", "checkout")
        return {point.timestamp: point.total_requests for point in view.history}

    short = history(LAST_TS - 6 * 3600, LAST_TS)  # 6 h: 10-minute points from raw rows
    assert len(short) in (36, 37) and all(t % 600 == 0 for t in short)
    raw_hour = sum(n for t, n in short.items() if H0 + 3600 < t <= H0 + 7200)
    long = history(LAST_TS - 7 * 3600, LAST_TS)  # 7 h: hourly points, complete hours from hourly rows
    assert all(t % 3600 == 0 for t in long)
    assert long[H0 + 7200] == raw_hour + 1000
