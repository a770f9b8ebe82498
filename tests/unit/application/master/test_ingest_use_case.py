"""The ingest use case with a fake repository: allow-list, idempotency."""

from __future__ import annotations

import pytest
from tests.storage.snapshot_builders import snapshot

from application.master.ingest import ClusterNotAllowed, IngestResult, IngestUseCase
from application.ports.ingest import SnapshotTotals
from domain.contract import SLOSnapshot


class FakeIngestRepository:
    """In-memory IngestRepository: remembers (cluster, ts)."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, int], SnapshotTotals] = {}

    def store(self, totals: SnapshotTotals) -> bool:
        key = (totals.cluster_id, totals.ts)
        if key in self.stored:
            return False
        self.stored[key] = totals
        return True


def make(document: dict) -> SLOSnapshot:
    return SLOSnapshot.model_validate(document)


def test_stores_then_reports_a_resend_as_duplicate() -> None:
    repository = FakeIngestRepository()
    use_case = IngestUseCase(repository, clock=lambda: 1234.9)
    assert use_case.ingest(make(snapshot(timestamp=1000))) is IngestResult.STORED
    assert use_case.ingest(make(snapshot(timestamp=1000))) is IngestResult.DUPLICATE
    assert use_case.ingest(make(snapshot(timestamp=1030))) is IngestResult.STORED
    assert sorted(repository.stored) == [("prod-eu-1", 1000), ("prod-eu-1", 1030)]
    assert repository.stored[("prod-eu-1", 1000)].received_at == 1234


def test_cluster_outside_the_allow_list_is_refused_and_nothing_is_stored() -> None:
    repository = FakeIngestRepository()
    use_case = IngestUseCase(repository, clock=lambda: 0, allowed_clusters=["prod-eu-1", "prod-us-1"])
    with pytest.raises(ClusterNotAllowed, match="'staging'"):
        use_case.ingest(make(snapshot(cluster_id="staging")))
    assert repository.stored == {}
    assert use_case.ingest(make(snapshot(cluster_id="prod-us-1"))) is IngestResult.STORED


def test_empty_allow_list_accepts_any_cluster() -> None:
    repository = FakeIngestRepository()
    use_case = IngestUseCase(repository, clock=lambda: 0, allowed_clusters=[])
    assert use_case.ingest(make(snapshot(cluster_id="anything-1"))) is IngestResult.STORED
