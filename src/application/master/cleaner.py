"""The cleaner job (SPEC §4 retention).

A row is kept while it is younger than its retention and removed once older:
raw rows and the snapshot log by snapshot end (``ts < now - raw``), hourly rows,
cluster coverage and rollup state by the end of their hour
(``hour + 3600 <= now - hourly``), status history by change time, resolved
alerts by the time they resolved (like status history), routes by
when they were last seen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from application.master.failures import JobPartlyFailed
from application.ports.jobs import RetentionRule, RetentionStore
from domain.timewindow import HOUR

RAW_TABLES = ("service_raw", "edge_raw", "ingress_raw", "snapshot_log")
HOURLY_TABLES = ("service_hourly", "edge_hourly", "ingress_hourly", "cluster_hourly", "rollup_state")
log = logging.getLogger(__name__)

ROUTE_UNSEEN_SECONDS = 7 * 86400
# Small and indexed by time: cleaned in one pass rather than per cluster.
GLOBAL_TABLES = ("status_history",)


@dataclass(frozen=True, slots=True)
class Retention:
    raw_seconds: float = 48 * 3600
    hourly_seconds: float = 90 * 86400
    status_seconds: float = 180 * 86400
    route_unseen_seconds: float = ROUTE_UNSEEN_SECONDS

    def __post_init__(self) -> None:
        for name in ("raw_seconds", "hourly_seconds", "status_seconds", "route_unseen_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"retention {name} must be positive, got {getattr(self, name)}")
        if self.hourly_seconds < self.raw_seconds:
            # Hours would vanish from hourly rows while their raw rows still answer queries.
            raise ValueError("hourly retention must not be shorter than raw retention")


@dataclass(slots=True)
class CleanReport:
    deleted: dict[str, int] = field(default_factory=dict)
    skipped_locked: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def retention_rules(now: int, retention: Retention) -> list[RetentionRule]:
    raw_cutoff = int(now - retention.raw_seconds)
    # An hour is expired when it ended at or before the cutoff: hour + HOUR <= cutoff.
    hour_cutoff = int(now - retention.hourly_seconds) - HOUR + 1
    rules = [RetentionRule(table, "ts", raw_cutoff) for table in RAW_TABLES]
    rules += [RetentionRule(table, "hour", hour_cutoff) for table in HOURLY_TABLES]
    rules.append(RetentionRule("status_history", "changed_at", int(now - retention.status_seconds)))
    # Resolved alerts are history like status changes; firing ones (resolved_at NULL) always stay.
    rules.append(RetentionRule("alert_state", "resolved_at", int(now - retention.status_seconds)))
    rules.append(RetentionRule("route_mapping", "last_seen", int(now - retention.route_unseen_seconds)))
    return rules


class Cleaner:
    def __init__(self, store: RetentionStore, retention: Retention, batch_size: int = 5000) -> None:
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        self._store = store
        self._retention = retention
        self._batch_size = batch_size

    def run(self, now: int) -> CleanReport:
        report = CleanReport()
        # Listed once, before anything is deleted, so a cluster whose last log rows
        # expire in this run still has its other tables cleaned.
        clusters = self._store.clusters()
        failures: list[str] = []
        for rule in retention_rules(now, self._retention):
            scoped = [rule] if rule.table in GLOBAL_TABLES else [
                replace(rule, cluster_id=cluster_id) for cluster_id in clusters
            ]
            report.deleted[rule.table] = 0
            for one in scoped:
                try:
                    deleted = self._drain(one)
                except Exception:  # the other tables and clusters are still cleaned
                    log.exception("cleaning %s of %s failed", one.table, one.cluster_id or "all clusters")
                    failures.append(f"{one.table}/{one.cluster_id or '*'}")
                    continue
                if deleted is None:
                    if rule.table not in report.skipped_locked:
                        report.skipped_locked.append(rule.table)
                    continue
                report.deleted[rule.table] += deleted
        if failures:
            raise JobPartlyFailed("cleaner", failures, report)
        return report

    def _drain(self, rule: RetentionRule) -> int | None:
        """Delete batch after batch until a short one; None when another master is on it."""
        deleted = 0
        while True:
            count = self._store.delete_batch(rule, self._batch_size)
            if count is None:
                return None if deleted == 0 else deleted
            deleted += count
            if count < self._batch_size:
                return deleted
