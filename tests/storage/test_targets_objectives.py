"""Targets with objectives (SPEC §10) on SQLite and PostgreSQL: the 0002 migration keeps the
targets stored before it, every new field round-trips, and a delete removes exactly one target."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from tests.storage.test_targets_repository import target

from adapters.storage.engine import make_engine
from adapters.storage.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from adapters.storage.target_repository import SqlTargetRepository
from domain.targets import TARGET_WINDOWS, TargetRecord

# The targets table as revision 0001 created it: both objectives mandatory, no latency, no alerting.
_TARGETS_0001 = sa.table(
    "targets",
    sa.column("cluster_id"), sa.column("target_type"), sa.column("key"), sa.column("window"),
    sa.column("availability_target"), sa.column("p95_target_ms"), sa.column("updated_at"),
)
_OLD_ROWS = [
    {"cluster_id": "prod", "target_type": "service", "key": "shop/cart", "window": "1d",
     "availability_target": 99.5, "p95_target_ms": 250.0, "updated_at": 1000},
    {"cluster_id": "prod", "target_type": "service", "key": "shop/cart", "window": "7d",
     "availability_target": 99.0, "p95_target_ms": 300.0, "updated_at": 1001},
    {"cluster_id": "prod", "target_type": "ingress", "key": "shop.example.com", "window": "30d",
     "availability_target": 99.95, "p95_target_ms": 120.5, "updated_at": 1002},
    {"cluster_id": "edge", "target_type": "ingress", "key": "shop-frontend-80", "window": "1d",
     "availability_target": 95.0, "p95_target_ms": 800.0, "updated_at": 1003},
]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def repository(engine: Engine) -> SqlTargetRepository:
    upgrade_to_head(engine)
    return SqlTargetRepository(engine)


def test_migrating_a_0001_database_keeps_its_targets_unchanged(engine: Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
    with engine.begin() as connection:
        assert current_revision(connection) == "0001"
        connection.execute(sa.insert(_TARGETS_0001), _OLD_ROWS)

    upgrade_to_head(engine)

    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    expected = sorted(
        (TargetRecord(**row, latency_threshold_ms=None, latency_target=None, alerting=True)  # type: ignore[arg-type]
         for row in _OLD_ROWS),
        key=lambda t: (t.cluster_id, t.target_type, t.key, t.window),
    )
    assert SqlTargetRepository(engine).list() == expected


@pytest.mark.parametrize(
    "stored",
    [
        target(availability_target=None, latency_threshold_ms=300.0, latency_target=99.0),
        target(p95_target_ms=None),
        target(p95_target_ms=None, availability_target=None, latency_threshold_ms=0.5, latency_target=90.0),
        target(alerting=False),
        target(availability_target=99.9, p95_target_ms=180.0, latency_threshold_ms=250.0,
               latency_target=95.5, alerting=False),
        target(target_type="ingress", key="shop.example.com", availability_target=None,
               latency_threshold_ms=1000.0, latency_target=99.99),
    ],
    ids=["latency-only", "p95-null", "latency-p95-null", "alerting-off", "every-field", "ingress"],
)
def test_every_objective_field_round_trips(repository: SqlTargetRepository, stored: TargetRecord) -> None:
    assert repository.upsert(stored) == stored
    assert repository.list() == [stored]


@pytest.mark.parametrize("window", TARGET_WINDOWS)
def test_each_window_round_trips(repository: SqlTargetRepository, window: str) -> None:
    stored = target(window=window, latency_threshold_ms=200.0, latency_target=98.0)
    repository.upsert(stored)
    assert repository.list("prod", "service") == [stored]


def test_an_update_can_drop_an_objective_and_the_p95(repository: SqlTargetRepository) -> None:
    repository.upsert(target(latency_threshold_ms=200.0, latency_target=98.0, alerting=False))
    lighter = target(availability_target=None, p95_target_ms=None, latency_threshold_ms=150.0,
                     latency_target=97.0, updated_at=2000)
    repository.upsert(lighter)
    assert repository.list() == [lighter]  # nulls overwrite, alerting back on


def test_delete_removes_one_and_only_one_target(repository: SqlTargetRepository) -> None:
    kept = [
        target(window="7d"),
        target(window="month"),
        target(key="shop/checkout"),
        target(cluster_id="other"),
        target(target_type="ingress", key="shop.example.com"),
    ]
    for record in [target(), *kept]:
        repository.upsert(record)

    assert repository.delete("prod", "service", "shop/cart", "1d") == 1
    listed = repository.list()
    assert sorted(listed, key=repr) == sorted(kept, key=repr)
    assert repository.delete("prod", "service", "shop/cart", "1d") == 0
    assert repository.delete("prod", "service", "shop/cart", "28d") == 0
    assert repository.list() == listed
