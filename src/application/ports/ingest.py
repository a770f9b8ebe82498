"""Ports of the master's ingest path."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from domain.contract import Route
from domain.rollup import EdgeKey, WorkloadKey
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals


class SnapshotOutOfRange(ValueError):
    """A snapshot the master cannot take: counts beyond what storage holds, infinite sums, or a
    window outside what the master keeps (ahead of its clock, older than the raw retention)."""


Window = tuple[int, int]  # (window_start, timestamp]: what a snapshot counts


class WindowOverlap(Exception):
    """The snapshot's window overlaps windows already stored for its cluster.

    Storing it would count the shared seconds twice (an agent resumed from an old state
    re-sends intervals the master has). The identical re-send is not an overlap: it is a
    duplicate. ``stored`` lists (some of) the stored windows it overlaps, oldest first.
    """

    def __init__(self, cluster_id: str, window: Window, stored: list[Window], more: bool = False) -> None:
        listed = ", ".join(f"({start}, {end}]" for start, end in stored)
        noun = "window" if len(stored) == 1 and not more else "windows"
        super().__init__(
            f"window ({window[0]}, {window[1]}] overlaps the stored {noun} {listed}"
            f"{' and more' if more else ''} of cluster {cluster_id}"
        )
        self.cluster_id = cluster_id
        self.window = window
        self.stored = stored


@dataclass(frozen=True, slots=True)
class SnapshotHeader:
    """Which snapshot (``cluster_id``, ``ts``), the window it counts, when and from what it arrived."""

    cluster_id: str
    ts: int
    window_start: int
    window_seconds: float
    received_at: int
    agent_version: str

    def header(self) -> dict[str, Any]:
        """The header's fields by name (also the columns of the snapshot log)."""
        return {name: getattr(self, name) for name in _HEADER_FIELDS}


_HEADER_FIELDS = tuple(f.name for f in fields(SnapshotHeader))


@dataclass(frozen=True, slots=True)
class SnapshotTotals(SnapshotHeader):
    """One snapshot summed per key (see ``application.master.snapshot_totals``)."""

    services: dict[WorkloadKey, WorkloadTotals] = field(default_factory=dict)
    edges: dict[EdgeKey, EdgeTotals] = field(default_factory=dict)
    ingress: dict[str, IngressTotals] = field(default_factory=dict)
    # The snapshot's own route of each backend it routes.
    backend_routes: dict[str, Route] = field(default_factory=dict)
    # The snapshot's route mapping, one route per (domain, path, backend).
    routes: list[Route] = field(default_factory=list)

    def needs_stored_routes(self) -> bool:
        """Whether some backend has no route in the snapshot itself (then the stored mapping places it)."""
        return any(key not in self.backend_routes for key in self.ingress)


class IngestRepository(Protocol):
    def store(self, totals: SnapshotTotals) -> bool:
        """Store one snapshot in one transaction; False (nothing written) when it was already stored.

        Already stored means the same cluster, timestamp and window start. A window that
        overlaps another stored window of the cluster raises ``WindowOverlap`` and writes
        nothing; of concurrent overlapping snapshots at most one is stored.

        Backends the snapshot does not route are placed by the cluster's stored route
        mapping, read in the same transaction (``domain.contract.first_route_by_key``).
        Raises ``SnapshotOutOfRange``, before writing anything, for numbers storage cannot hold.
        """
        ...


class HealthProbe(Protocol):
    def ping(self) -> None:
        """Raise when the database cannot be reached."""
        ...
