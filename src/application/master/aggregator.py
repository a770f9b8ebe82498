"""The aggregator job (SPEC §4): rebuilds hourly rollups from raw rows.

Hours to rebuild: every hour whose ``rollup_state`` is dirty (a snapshot came
after the last rebuild, late spooled ones included), plus the previous full
hour and the current partial hour of every cluster. Only hours whose raw rows
are all still kept are rebuilt: rebuilding an hour from raw rows the cleaner
has started to remove would replace good hourly rows with partial ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from application.master.failures import JobPartlyFailed
from application.ports.jobs import RollupStore
from domain.timewindow import HOUR

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AggregationReport:
    rebuilt: int = 0  # hours whose hourly rows were rewritten
    marked: int = 0  # of those, hours recorded as fresh (version unchanged meanwhile)
    skipped_locked: int = 0  # hours another master was rebuilding
    settled: int = 0  # dirty hours too old to rebuild, accepted as they are
    failed: int = 0  # hours whose rebuild raised (rolled back, still dirty)


# With the one-hour margin below, the previous full hour stays rebuildable for
# as long as its last snapshots can arrive only if raw rows live at least 3 h.
MIN_RAW_RETENTION_SECONDS = 3 * HOUR


def oldest_rebuildable_hour(now: int, raw_retention_seconds: float) -> int:
    """The first hour all of whose raw rows are still kept, with one hour of margin.

    The margin keeps the aggregator clear of a cleaner run working on the
    retention boundary at the same time.
    """
    cutoff = int(now - raw_retention_seconds)
    first_whole_hour = -(-cutoff // HOUR) * HOUR
    return first_whole_hour + HOUR


class Aggregator:
    def __init__(self, store: RollupStore, raw_retention_seconds: float) -> None:
        if raw_retention_seconds < MIN_RAW_RETENTION_SECONDS:
            raise ValueError(
                f"raw retention must be at least {MIN_RAW_RETENTION_SECONDS // HOUR}h, got "
                f"{raw_retention_seconds:g} s: hours would expire before they are rolled up"
            )
        self._store = store
        self._raw_retention = raw_retention_seconds

    def hours_to_rebuild(self, now: int) -> list[tuple[str, int]]:
        oldest = oldest_rebuildable_hour(now, self._raw_retention)
        current = (now // HOUR) * HOUR  # the hour the next snapshot will belong to
        wanted = set(self._store.dirty_hours(oldest))
        for cluster_id in self._store.clusters():
            for hour in (current - HOUR, current):
                if hour >= oldest:
                    wanted.add((cluster_id, hour))
        return sorted(wanted, key=lambda item: (item[1], item[0]))

    def run(self, now: int) -> AggregationReport:
        """Rebuild every hour due; raises ``JobPartlyFailed`` after the others if some failed."""
        rebuilt = marked = skipped = 0
        failures: list[str] = []
        for cluster_id, hour in self.hours_to_rebuild(now):
            try:
                outcome = self.rebuild_hour(cluster_id, hour, now)
            except Exception:  # one bad hour must not hold back the others
                log.exception("rollup of hour %s of %s failed; it stays dirty", hour, cluster_id)
                failures.append(f"{cluster_id}@{hour}")
                continue
            if outcome is None:
                skipped += 1
                continue
            rebuilt += 1
            marked += outcome
        settled = self._settle_stale(now)
        report = AggregationReport(
            rebuilt=rebuilt, marked=marked, skipped_locked=skipped, settled=settled, failed=len(failures)
        )
        if failures:
            raise JobPartlyFailed("aggregator", failures, report)
        return report

    def rebuild_hour(self, cluster_id: str, hour: int, now: int) -> bool | None:
        """Rebuild one hour in one transaction.

        Returns None when another master holds the hour's lock, else whether
        the hour was recorded as fresh. It stays dirty when a snapshot for it
        was stored during the rebuild (compare-and-set on the version read at
        the start), so the next run picks that snapshot up.
        """
        with self._store.rebuild(cluster_id, hour) as work:
            if not work.locked:
                return None
            version = work.read_version()
            rollup = work.read_raw()
            work.replace_hourly(rollup)
            if version is None:
                return False
            fresh = work.mark_aggregated(version, now)
        if not fresh:
            log.info("hour %s of %s changed during its rollup; it stays dirty", hour, cluster_id)
        return fresh

    def _settle_stale(self, now: int) -> int:
        """Dirty hours whose raw rows are (being) removed keep their hourly rows.

        Reading such an hour from raw rows would show almost nothing, so the
        hourly rows are accepted as final and the late snapshot's traffic,
        which arrived after raw retention, is dropped (and logged).
        """
        settled = 0
        oldest = oldest_rebuildable_hour(now, self._raw_retention)
        for cluster_id, hour in self._store.stale_dirty_hours(oldest):
            if self._store.settle(cluster_id, hour, now):
                settled += 1
                log.warning(
                    "hour %s of %s received data after its raw rows expired; kept its hourly rows",
                    hour, cluster_id,
                )
        return settled
