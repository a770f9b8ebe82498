"""Ports for targets and status history, shared by the status checker and the query service."""

from __future__ import annotations

from typing import Protocol

from domain.targets import StatusChange, TargetRecord


class TargetRepository(Protocol):
    def list(self, cluster_id: str | None = None, target_type: str | None = None) -> list[TargetRecord]: ...

    def upsert(self, target: TargetRecord) -> TargetRecord:
        """Store (replacing the same window); ``domain.target_rules.InvalidTarget`` when it must not be."""
        ...

    def delete(self, cluster_id: str, target_type: str, key: str, window: str) -> int:
        """How many targets were deleted (0 or 1)."""
        ...


class StatusHistoryRepository(Protocol):
    def changes(
        self,
        cluster_id: str | None = None,
        target_type: str | None = None,
        key: str | None = None,
        since: int | None = None,
        limit: int = 100,
        until: int | None = None,
    ) -> list[StatusChange]:
        """Newest first; ``since`` and ``until`` bound ``changed_at`` inclusively."""
        ...
