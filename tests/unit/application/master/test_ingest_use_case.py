"""The ingest use case with a fake repository: allow-list, idempotency, the window rules."""

from __future__ import annotations

import pytest
from tests.storage.snapshot_builders import snapshot

from application.master.ingest import ClusterNotAllowed, IngestResult, IngestUseCase
from application.ports.ingest import SnapshotOutOfRange, SnapshotTotals
from domain.contract import SLOSnapshot

NOW = 1_764_312_060  # half a minute after the builders' default snapshot


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
    use_case = IngestUseCase(repository, clock=lambda: NOW, allowed_clusters=["prod-eu-1", "prod-us-1"])
    with pytest.raises(ClusterNotAllowed, match="'staging'"):
        use_case.ingest(make(snapshot(cluster_id="staging")))
    assert repository.stored == {}
    assert use_case.ingest(make(snapshot(cluster_id="prod-us-1"))) is IngestResult.STORED


def test_empty_allow_list_accepts_any_cluster() -> None:
    repository = FakeIngestRepository()
    use_case = IngestUseCase(repository, clock=lambda: NOW, allowed_clusters=[])
    assert use_case.ingest(make(snapshot(cluster_id="anything-1"))) is IngestResult.STORED


@pytest.mark.parametrize(
    ("timestamp", "window", "message"),
    [
        # A timestamp of 2**62 kept the cluster's "last snapshot" in the year 146 billion.
        pytest.param(2**62, 30, r"slo_data.timestamp \(4611686018427387904\) is \d+ s ahead of the master's "
                     r"clock \(1764312060\); the limit is 600 s", id="far-future"),
        pytest.param(NOW + 601, 30, "601 s ahead of the master's clock", id="just-too-far-ahead"),
        pytest.param(NOW - 48 * 3600 - 1, 30, r"older than the raw retention of 172800 s", id="too-old"),
        # window_start 0 diluted every rate by 1.8e9 covered seconds.
        pytest.param(NOW, NOW, r"slo_data.window_start \(0\): the window of 1764312060 s is longer than the "
                     r"limit of 86400 s", id="window-start-0"),
        pytest.param(NOW, 86401, "the window of 86401 s is longer than the limit of 86400 s",
                     id="day-and-a-second"),
    ],
)
def test_windows_outside_what_the_master_keeps_are_refused(timestamp: int, window: int, message: str) -> None:
    repository = FakeIngestRepository()
    use_case = IngestUseCase(repository, clock=lambda: NOW)
    with pytest.raises(SnapshotOutOfRange, match=message):
        use_case.ingest(make(snapshot(timestamp=timestamp, window=window)))
    assert repository.stored == {}


def test_windows_at_the_limits_are_stored() -> None:
    repository = FakeIngestRepository()
    use_case = IngestUseCase(repository, clock=lambda: NOW, raw_retention=3600)
    for timestamp, window in [(NOW + 600, 30), (NOW - 3600, 30), (NOW, 86400)]:
        assert use_case.ingest(make(snapshot(timestamp=timestamp, window=window))) is IngestResult.STORED
    with pytest.raises(SnapshotOutOfRange, match="older than the raw retention of 3600 s"):
        use_case.ingest(make(snapshot(timestamp=NOW - 3601, window=30)))
