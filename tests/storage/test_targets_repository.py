"""Targets storage on SQLite and PostgreSQL: upsert per window, validation before any write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from tests.storage.stores import open_store

from adapters.storage.engine import make_engine
from adapters.storage.migrate import upgrade_to_head
from adapters.storage.target_repository import SqlTargetRepository
from domain.target_rules import InvalidTarget
from domain.targets import TargetRecord


@pytest.fixture
def repository(database_url: str) -> Iterator[SqlTargetRepository]:
    engine: Engine = make_engine(database_url)
    upgrade_to_head(engine)
    yield open_store(engine).targets
    engine.dispose()


def target(**overrides: object) -> TargetRecord:
    values: dict[str, object] = {
        "cluster_id": "prod", "target_type": "service", "key": "shop/cart", "window": "1d",
        "availability_target": 99.5, "p95_target_ms": 250.0, "updated_at": 1000,
    }
    values.update(overrides)
    return TargetRecord(**values)  # type: ignore[arg-type]


def test_upsert_then_list(repository: SqlTargetRepository) -> None:
    stored = repository.upsert(target())
    assert repository.list("prod", "service") == [stored] == [target()]  # its window only: no 7d


def test_upsert_replaces_the_same_window_and_keeps_the_others(repository: SqlTargetRepository) -> None:
    repository.upsert(target())
    repository.upsert(target(window="7d", availability_target=99.0))
    repository.upsert(target(availability_target=99.9, p95_target_ms=120.0, updated_at=2000))

    listed = repository.list("prod")
    assert [(t.window, t.availability_target, t.p95_target_ms, t.updated_at) for t in listed] == [
        ("1d", 99.9, 120.0, 2000),
        ("7d", 99.0, 250.0, 1000),
    ]


def test_list_filters_by_cluster_and_type(repository: SqlTargetRepository) -> None:
    repository.upsert(target())
    repository.upsert(target(cluster_id="other"))
    repository.upsert(target(target_type="ingress", key="shop.example.com"))
    assert len(repository.list()) == 3
    assert {t.cluster_id for t in repository.list("other")} == {"other"}
    assert [t.key for t in repository.list("prod", "ingress")] == ["shop.example.com"]


def test_missing_updated_at_is_filled_with_the_time_of_the_write(repository: SqlTargetRepository) -> None:
    stored = repository.upsert(target(updated_at=0))
    assert stored.updated_at > 1_700_000_000
    assert repository.list("prod") == [stored]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"target_type": "pod"}, "target_type"),
        ({"window": "2d"}, "window"),
        ({"availability_target": 100.0}, "availability_target"),
        ({"availability_target": 0.0}, "availability_target"),
        ({"availability_target": float("nan")}, "availability_target"),
        ({"p95_target_ms": 0.0}, "p95_target_ms"),
        ({"p95_target_ms": float("inf")}, "p95_target_ms"),
        ({"key": ""}, "key"),
        ({"key": "cart"}, "key"),
        ({"key": "shop/"}, "key"),
        ({"cluster_id": ""}, "cluster_id"),
    ],
)
def test_invalid_targets_are_refused_and_nothing_is_stored(
    repository: SqlTargetRepository, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidTarget, match=f"^{field}:"):
        repository.upsert(target(**overrides))
    assert repository.list() == []
