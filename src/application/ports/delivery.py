"""Ports of the agent's delivery side: the on-disk spool and the state store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from domain.contract import SLOSnapshot


class SpoolError(Exception):
    """The spool could not store a snapshot (disk full, permissions…)."""


@dataclass(frozen=True, slots=True)
class SpooledSnapshot:
    """A snapshot waiting in the spool; ``ref`` identifies it for removal."""

    ref: str
    snapshot: SLOSnapshot


class SnapshotSpool(Protocol):
    """A bounded FIFO of snapshots that survives restarts."""

    def append(self, snapshot: SLOSnapshot) -> None:
        """Store a snapshot durably at the tail; raise SpoolError when it cannot be stored."""
        ...

    def oldest(self) -> SpooledSnapshot | None:
        """The oldest readable snapshot, or None when the spool is empty."""
        ...

    def remove(self, item: SpooledSnapshot) -> None:
        """Forget a snapshot the master has taken (or refused for good)."""
        ...

    def __len__(self) -> int: ...

    @property
    def dropped(self) -> int:
        """Snapshots discarded because the bound was hit."""
        ...

    @property
    def corrupt(self) -> int:
        """Unreadable files moved aside."""
        ...


@dataclass(frozen=True, slots=True)
class SavedState:
    """What the agent keeps between runs.

    ``collect`` is the collect use case's own state (its counters' previous values);
    ``pending`` the snapshot built from it, while it may not have been delivered yet;
    ``scraped_at`` the time of the last good scrape those counters come from.
    """

    cluster_id: str
    collect: dict[str, Any]
    saved_at: float | None = None
    pending: SLOSnapshot | None = None
    scraped_at: float | None = None


class StateStore(Protocol):
    """Where the agent keeps its counters' previous values between runs."""

    def load(self) -> SavedState | None:
        """The saved state, or None when there is none (or it is unreadable)."""
        ...

    def save(self, state: SavedState) -> None:
        """Replace the saved state atomically."""
        ...
