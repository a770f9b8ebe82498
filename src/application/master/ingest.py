"""Store one agent snapshot (SPEC §3): allow-list, totals per key, one transaction, idempotent;
no two stored windows of a cluster overlap."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum

from application.master.snapshot_totals import snapshot_totals
from application.ports.ingest import IngestRepository
from domain.contract import SLOSnapshot


class IngestResult(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"


class ClusterNotAllowed(Exception):
    """The snapshot's cluster is not in the configured allow-list."""

    def __init__(self, cluster_id: str) -> None:
        super().__init__(f"cluster_id {cluster_id!r} is not in the allowed clusters of this master")
        self.cluster_id = cluster_id


class IngestUseCase:
    def __init__(
        self,
        repository: IngestRepository,
        clock: Callable[[], float],
        allowed_clusters: Iterable[str] = (),
    ) -> None:
        self._repository = repository
        self._clock = clock
        # Empty allow-list: any cluster may report.
        self._allowed = frozenset(allowed_clusters)

    def ingest(self, snapshot: SLOSnapshot) -> IngestResult:
        """STORED, or DUPLICATE for the identical re-send (same cluster, timestamp and window start).

        Raises ``ClusterNotAllowed``; ``WindowOverlap`` (from the repository) when the window
        shares seconds with another stored window of the cluster: nothing is stored then.
        """
        if self._allowed and snapshot.cluster_id not in self._allowed:
            raise ClusterNotAllowed(snapshot.cluster_id)
        totals = snapshot_totals(snapshot, received_at=int(self._clock()))
        return IngestResult.STORED if self._repository.store(totals) else IngestResult.DUPLICATE
