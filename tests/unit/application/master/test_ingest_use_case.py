"""The ingest use case with a fake repository: allow-list, route lookup, idempotency."""

from __future__ import annotations

import pytest
from tests.storage.snapshot_builders import ingress, route, snapshot

from application.master.ingest import ClusterNotAllowed, IngestResult, IngestUseCase
from application.ports.ingest import SnapshotRows
from domain.contract import Route, SLOSnapshot


class FakeIngestRepository:
    """In-memory IngestRepository: remembers (cluster, ts) and the route mapping."""

    def __init__(self, routes: dict[str, list[Route]] | None = None) -> None:
        self.stored: dict[tuple[str, int], SnapshotRows] = {}
        self.mapping = routes or {}
        self.route_reads = 0

    def store(self, rows: SnapshotRows) -> bool:
        key = (rows.cluster_id, rows.ts)
        if key in self.stored:
            return False
        self.stored[key] = rows
        return True

    def routes(self, cluster_id: str) -> list[Route]:
        self.route_reads += 1
        return self.mapping.get(cluster_id, [])


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


def test_stored_mapping_places_backends_the_snapshot_does_not_route() -> None:
    mapping = {"prod-eu-1": [Route.model_validate(route(domain="shop.example.com", service_key="k"))],
               "other": [Route.model_validate(route(domain="wrong.example.com", service_key="k"))]}
    repository = FakeIngestRepository(mapping)
    use_case = IngestUseCase(repository, clock=lambda: 0)
    use_case.ingest(make(snapshot(timestamp=1000, ingresses=[ingress("k")], routes=[])))
    [row] = repository.stored[("prod-eu-1", 1000)].ingress
    assert (row["domain"], row["path"]) == ("shop.example.com", "/")

    # Fully routed snapshots do not read the mapping at all.
    reads = repository.route_reads
    use_case.ingest(make(snapshot(timestamp=1030, ingresses=[ingress("k")], routes=[route(service_key="k")])))
    assert repository.route_reads == reads
