"""Cleaner logic with an in-memory store: cutoffs per table, batching, locks."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from application.master.cleaner import Cleaner, Retention, retention_rules
from application.master.failures import JobPartlyFailed
from application.ports.jobs import RetentionRule

NOW = 1_764_311_400
DAY = 86400


def test_cutoffs_per_table() -> None:
    rules = {r.table: r for r in retention_rules(NOW, Retention())}
    for table in ("service_raw", "edge_raw", "ingress_raw", "snapshot_log"):
        assert rules[table] == RetentionRule(table, "ts", NOW - 48 * 3600)
    for table in ("service_hourly", "edge_hourly", "ingress_hourly", "cluster_hourly", "rollup_state"):
        # hour < cutoff - 3600 + 1  ⇔  the hour ended at or before now - 90 d
        assert rules[table] == RetentionRule(table, "hour", NOW - 90 * DAY - 3600 + 1)
    assert rules["status_history"] == RetentionRule("status_history", "changed_at", NOW - 180 * DAY)
    assert rules["route_mapping"] == RetentionRule("route_mapping", "last_seen", NOW - 7 * DAY)
    assert "targets" not in rules


@dataclass
class FakeRetentionStore:
    expired: dict[str, int]
    locked: set[str] = field(default_factory=set)
    calls: list[tuple[str, int]] = field(default_factory=list)

    def clusters(self) -> list[str]:
        return ["only"]

    def delete_batch(self, rule: RetentionRule, batch_size: int) -> int | None:
        assert (rule.cluster_id is None) == (rule.table == "status_history")
        self.calls.append((rule.table, batch_size))
        if rule.table in self.locked:
            return None
        deleted = min(batch_size, self.expired.get(rule.table, 0))
        self.expired[rule.table] = self.expired.get(rule.table, 0) - deleted
        return deleted


def test_batches_until_a_short_batch() -> None:
    store = FakeRetentionStore(expired={"service_raw": 10, "edge_raw": 4})
    report = Cleaner(store, Retention(), batch_size=4).run(NOW)
    assert report.deleted["service_raw"] == 10 and report.deleted["edge_raw"] == 4
    assert [c for c in store.calls if c[0] == "service_raw"] == [("service_raw", 4)] * 3
    # 4 of 4 is a full batch: one more call finds nothing.
    assert [c for c in store.calls if c[0] == "edge_raw"] == [("edge_raw", 4)] * 2
    assert all(left == 0 for left in store.expired.values())


def test_a_table_locked_by_another_master_is_skipped_and_the_rest_cleaned() -> None:
    store = FakeRetentionStore(expired={"service_raw": 3, "edge_raw": 3}, locked={"service_raw"})
    report = Cleaner(store, Retention()).run(NOW)
    assert report.skipped_locked == ["service_raw"]
    assert store.expired["edge_raw"] == 0 and store.expired["service_raw"] == 3


def test_retention_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="must not be shorter"):
        Retention(raw_seconds=90 * DAY, hourly_seconds=DAY)
    with pytest.raises(ValueError, match="positive"):
        Retention(raw_seconds=0)
    with pytest.raises(ValueError, match="batch_size"):
        Cleaner(FakeRetentionStore({}), Retention(), batch_size=0)


def test_a_failing_table_does_not_hold_back_the_others_and_fails_the_run() -> None:
    class Broken(FakeRetentionStore):
        def delete_batch(self, rule: RetentionRule, batch_size: int) -> int | None:
            if rule.table == "edge_raw":
                raise RuntimeError("lock timeout")
            return super().delete_batch(rule, batch_size)

    store = Broken(expired={"service_raw": 3, "edge_raw": 3, "ingress_raw": 2})
    with pytest.raises(JobPartlyFailed, match="edge_raw/only") as failure:
        Cleaner(store, Retention()).run(NOW)
    assert store.expired["service_raw"] == 0 and store.expired["ingress_raw"] == 0
    assert failure.value.report.deleted["ingress_raw"] == 2
