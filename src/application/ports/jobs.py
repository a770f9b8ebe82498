"""Ports of the master's background jobs: aggregator, cleaner, status checker.

Each job's writes happen inside a unit of work (one transaction) that first
takes the job's lock; ``locked`` is False when another master holds it, and
the job then skips that piece of work (the other master is doing it).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from domain.rollup import HourRollup
from domain.targets import StatusChange


class HourRebuild(Protocol):
    """One (cluster, hour) being rebuilt, inside one transaction."""

    locked: bool

    def read_version(self) -> int | None:
        """``rollup_state.version`` of the hour; None when no snapshot ever bumped it."""
        ...

    def read_raw(self) -> HourRollup:
        """The hour's raw rows summed per key (ts in ``(hour, hour + 3600]``)."""
        ...

    def replace_hourly(self, rollup: HourRollup) -> None:
        """Delete the hour's hourly rows and insert ``rollup``'s."""
        ...

    def mark_aggregated(self, version: int, now: int) -> bool:
        """Compare-and-set: record ``version`` as aggregated only if still current."""
        ...


class RollupStore(Protocol):
    def dirty_hours(self, oldest_hour: int) -> list[tuple[str, int]]:
        """(cluster, hour) with version != aggregated_version and hour >= oldest_hour."""
        ...

    def stale_dirty_hours(self, before_hour: int) -> list[tuple[str, int]]:
        """Dirty (cluster, hour) older than ``before_hour``: their raw rows may be gone."""
        ...

    def settle(self, cluster_id: str, hour: int, now: int) -> bool:
        """Accept an hour's hourly rows as final (no rebuild): aggregated_version = version."""
        ...

    def clusters(self) -> list[str]: ...

    def rebuild(self, cluster_id: str, hour: int) -> AbstractContextManager[HourRebuild]: ...


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """Rows of ``table`` whose ``column`` is below ``cutoff`` are removed (of one cluster, if set)."""

    table: str
    column: str
    cutoff: int
    cluster_id: str | None = None


class RetentionStore(Protocol):
    def clusters(self) -> list[str]:
        """Every cluster that may have rows anywhere."""
        ...

    def delete_batch(self, rule: RetentionRule, batch_size: int) -> int | None:
        """Delete up to ``batch_size`` expired rows in one transaction.

        Returns how many were deleted, or None when another master holds the lock.
        """
        ...


class StatusUpdate(Protocol):
    """One cluster's status evaluation, inside one transaction."""

    locked: bool

    def current(self) -> dict[tuple[str, str], str]:
        """(target_type, key) → status last recorded."""
        ...

    def record(self, changes: list[StatusChange]) -> None:
        """Append history rows and make each change's new status the current one."""
        ...


class StatusStore(Protocol):
    def update(self, cluster_id: str) -> AbstractContextManager[StatusUpdate]: ...

    def current(self, cluster_id: str) -> dict[tuple[str, str], str]:
        """(target_type, key) → status last recorded, read outside any update."""
        ...

    def domains(self, cluster_id: str) -> dict[str, set[str]]:
        """domain → backend service keys, from route_mapping."""
        ...

