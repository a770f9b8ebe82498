"""Ports of the master's ingest path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.contract import Route

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SnapshotRows:
    """One snapshot turned into table rows (see ``application.master.processor``).

    Row dictionaries are keyed by the column names of the master's tables so that
    storage can hand them to the database as they are, in one batch per table.
    """

    cluster_id: str
    ts: int
    window_start: int
    window_seconds: float
    received_at: int
    agent_version: str
    services: list[Row] = field(default_factory=list)
    edges: list[Row] = field(default_factory=list)
    ingress: list[Row] = field(default_factory=list)
    routes: list[Row] = field(default_factory=list)


class IngestRepository(Protocol):
    def store(self, rows: SnapshotRows) -> bool:
        """Store one snapshot in one transaction; False (nothing written) when it was already stored."""
        ...

    def routes(self, cluster_id: str) -> list[Route]:
        """The stored route mapping of a cluster, ordered by domain then path."""
        ...


class HealthProbe(Protocol):
    def ping(self) -> None:
        """Raise when the database cannot be reached."""
        ...
