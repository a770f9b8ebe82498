"""Aggregator logic with an in-memory store: which hours, locks, compare-and-set, stale hours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from application.master.aggregator import Aggregator, oldest_rebuildable_hour
from application.master.failures import JobPartlyFailed
from domain.rollup import HourRollup

HOUR = 3600
NOW = 1_764_311_400  # 06:30 UTC
CURRENT = NOW - 1800  # 06:00
RETENTION = 48 * HOUR


@dataclass
class FakeWork:
    store: FakeRollupStore
    cluster_id: str
    hour: int
    locked: bool

    def read_version(self) -> int | None:
        return self.store.versions.get((self.cluster_id, self.hour), (None, None))[0]

    def read_raw(self) -> HourRollup:
        return HourRollup(self.cluster_id, self.hour)

    def replace_hourly(self, rollup: HourRollup) -> None:
        self.store.rebuilt.append((self.cluster_id, self.hour))

    def mark_aggregated(self, version: int, now: int) -> bool:
        key = (self.cluster_id, self.hour)
        current = self.store.versions[key][0]
        if current != version:
            return False
        self.store.versions[key] = (current, version)
        return True


@dataclass
class FakeRollupStore:
    versions: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)  # (version, aggregated)
    rebuilt: list[tuple[str, int]] = field(default_factory=list)
    locked_elsewhere: set[tuple[str, int]] = field(default_factory=set)
    settled: list[tuple[str, int]] = field(default_factory=list)

    def dirty_hours(self, oldest_hour: int) -> list[tuple[str, int]]:
        return [k for k, (v, a) in self.versions.items() if v != a and k[1] >= oldest_hour]

    def stale_dirty_hours(self, before_hour: int) -> list[tuple[str, int]]:
        return [k for k, (v, a) in self.versions.items() if v != a and k[1] < before_hour]

    def settle(self, cluster_id: str, hour: int, now: int) -> bool:
        version, _ = self.versions[(cluster_id, hour)]
        self.versions[(cluster_id, hour)] = (version, version)
        self.settled.append((cluster_id, hour))
        return True

    def clusters(self) -> list[str]:
        return sorted({c for c, _ in self.versions})

    @contextmanager
    def rebuild(self, cluster_id: str, hour: int) -> Iterator[FakeWork]:
        yield FakeWork(self, cluster_id, hour, locked=(cluster_id, hour) not in self.locked_elsewhere)


def test_rebuilds_dirty_hours_and_the_last_two_of_every_cluster() -> None:
    store = FakeRollupStore(versions={
        ("a", CURRENT - 5 * HOUR): (3, 2),  # dirty
        ("a", CURRENT - 6 * HOUR): (4, 4),  # fresh
        ("b", CURRENT - 20 * HOUR): (1, 1),
    })
    hours = Aggregator(store, RETENTION).hours_to_rebuild(NOW)
    assert hours == [
        ("a", CURRENT - 5 * HOUR),
        ("a", CURRENT - HOUR), ("b", CURRENT - HOUR),
        ("a", CURRENT), ("b", CURRENT),
    ]


def test_at_an_hour_boundary_the_hour_just_ended_is_the_previous_full_hour() -> None:
    store = FakeRollupStore(versions={("a", CURRENT): (1, 1)})
    assert Aggregator(store, RETENTION).hours_to_rebuild(CURRENT + HOUR) == [
        ("a", CURRENT), ("a", CURRENT + HOUR)]


def test_marks_fresh_only_when_the_version_is_unchanged() -> None:
    store = FakeRollupStore(versions={("a", CURRENT - HOUR): (5, 4), ("a", CURRENT): (2, 1)})
    report = Aggregator(store, RETENTION).run(NOW)
    assert store.versions == {("a", CURRENT - HOUR): (5, 5), ("a", CURRENT): (2, 2)}
    assert (report.rebuilt, report.marked, report.skipped_locked) == (2, 2, 0)


def test_an_hour_locked_by_another_master_is_skipped() -> None:
    store = FakeRollupStore(versions={("a", CURRENT): (2, 1)}, locked_elsewhere={("a", CURRENT)})
    report = Aggregator(store, RETENTION).run(NOW)
    assert ("a", CURRENT) not in store.rebuilt
    assert store.versions[("a", CURRENT)] == (2, 1)
    assert report.skipped_locked == 1


def test_dirty_hours_past_raw_retention_are_settled_not_rebuilt() -> None:
    oldest = oldest_rebuildable_hour(NOW, RETENTION)
    store = FakeRollupStore(versions={("a", oldest - HOUR): (2, 1), ("a", oldest): (2, 1)})
    report = Aggregator(store, RETENTION).run(NOW)
    assert ("a", oldest) in store.rebuilt and ("a", oldest - HOUR) not in store.rebuilt
    assert store.settled == [("a", oldest - HOUR)] and report.settled == 1


def test_the_previous_hour_is_rebuildable_all_through_the_next_hour_at_minimum_retention() -> None:
    for now in range(CURRENT, CURRENT + HOUR, 60):
        store = FakeRollupStore(versions={("a", CURRENT - HOUR): (1, 0)})
        assert ("a", CURRENT - HOUR) in Aggregator(store, 3 * HOUR).hours_to_rebuild(now), now


def test_a_raw_retention_too_short_for_rollups_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3h"):
        Aggregator(FakeRollupStore(), 2 * HOUR)


def test_no_clusters_no_work() -> None:
    report = Aggregator(FakeRollupStore(), RETENTION).run(NOW)
    assert (report.rebuilt, report.settled) == (0, 0)


def test_a_failing_hour_does_not_hold_back_the_others_and_fails_the_run() -> None:
    class Broken(FakeRollupStore):
        @contextmanager
        def rebuild(self, cluster_id: str, hour: int) -> Iterator[FakeWork]:
            if hour == CURRENT - HOUR:
                raise ValueError("corrupt bucket JSON")
            with super().rebuild(cluster_id, hour) as work:
                yield work

    store = Broken(versions={("a", CURRENT - HOUR): (2, 1), ("a", CURRENT): (2, 1)})
    with pytest.raises(JobPartlyFailed, match=f"a@{CURRENT - HOUR}") as failure:
        Aggregator(store, RETENTION).run(NOW)
    assert store.versions == {("a", CURRENT - HOUR): (2, 1), ("a", CURRENT): (2, 2)}
    assert failure.value.report.rebuilt == 1 and failure.value.report.failed == 1
