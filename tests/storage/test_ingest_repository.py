"""Storage contract of the ingest path, on SQLite and PostgreSQL.

One snapshot is one transaction: all rows or none; a re-sent snapshot changes
nothing; concurrent clusters lose nothing.
"""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import Engine, select
from tests.storage.snapshot_builders import edge, ingress, route, row_counts, service, snapshot
from tests.storage.stores import open_store

from adapters.storage import schema
from adapters.storage.ingest_repository import SqlIngestRepository
from application.master.ingest import IngestUseCase
from application.master.snapshot_totals import snapshot_totals
from domain.contract import Route, SLOSnapshot
from domain.timewindow import hour_of

TS = 1_764_312_030  # 06:40:30 UTC, inside the hour starting 1_764_309_600


@pytest.fixture
def repository(engine: Engine) -> SqlIngestRepository:
    return open_store(engine).ingest


def rows_of(document: dict, received_at: int = TS + 2):  # type: ignore[no-untyped-def]
    return snapshot_totals(SLOSnapshot.model_validate(document), received_at)


class FirstItemTwice(dict):  # type: ignore[type-arg]
    """Hands its first item out twice: two rows with one primary key."""

    def items(self):  # type: ignore[no-untyped-def]
        first = next(iter(super().items()))
        return [first, first]


def fetch(engine: Engine, table) -> list[dict]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(table))]


def test_store_writes_every_table_and_reads_back_exact_rows(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    assert repository.store(rows_of(snapshot(timestamp=TS, window=30), received_at=TS + 2)) is True

    assert fetch(engine, schema.snapshot_log) == [
        {"cluster_id": "prod-eu-1", "ts": TS, "window_start": TS - 30, "window_seconds": 30.0,
         "received_at": TS + 2, "agent_version": "0.1.0"}
    ]
    assert fetch(engine, schema.clusters) == [
        {"cluster_id": "prod-eu-1", "first_seen": TS + 2, "last_snapshot": TS, "last_received": TS + 2,
         "agent_version": "0.1.0"}
    ]
    [svc] = fetch(engine, schema.service_raw)
    assert json.loads(svc.pop("buckets")) == {"5": 40, "10": 90, "50": 115, "+Inf": 120}
    assert svc == {
        "cluster_id": "prod-eu-1", "ts": TS, "namespace": "shop", "name": "checkout", "window_seconds": 30.0,
        "requests": 120, "errors": 2, "status_2xx": 118, "status_3xx": 0, "status_4xx": 0, "status_5xx": 2,
        "latency_sum": 1834.0, "latency_count": 120, "tls_requests": 100, "total_requests": 120,
    }
    assert fetch(engine, schema.edge_raw) == [
        {"cluster_id": "prod-eu-1", "ts": TS, "src_ns": "shop", "src_name": "frontend", "dst_ns": "shop",
         "dst_name": "checkout", "window_seconds": 30.0, "requests": 60, "failures": 1,
         "latency_sum": 900.5, "latency_count": 60}
    ]
    [ing] = fetch(engine, schema.ingress_raw)
    assert json.loads(ing.pop("buckets")) == {"100": 280, "300": 299, "1200": 310, "5000": 310, "+Inf": 310}
    assert ing == {
        "cluster_id": "prod-eu-1", "ts": TS, "service_key": "shop-frontend-80", "window_seconds": 30.0,
        "domain": "shop.example.com", "path": "/",
        "requests": 310, "errors": 4, "status_2xx": 300, "status_3xx": 0, "status_4xx": 6, "status_5xx": 4,
        "latency_sum": 15000.0, "latency_count": 310,
        "get_requests": 300, "get_errors": 0, "post_requests": 4, "post_errors": 4,
        "put_requests": 0, "put_errors": 0, "delete_requests": 0, "delete_errors": 0,
        "patch_requests": 0, "patch_errors": 0, "other_requests": 6, "other_errors": 0,
    }
    assert fetch(engine, schema.route_mapping) == [
        {"cluster_id": "prod-eu-1", "domain": "shop.example.com", "path_prefix": "/",
         "service_key": "shop-frontend-80", "name": "shop", "namespace": "shop", "service_name": "frontend",
         "service_port": 80, "tls": True, "last_seen": TS}
    ]
    assert fetch(engine, schema.rollup_state) == [
        {"cluster_id": "prod-eu-1", "hour": hour_of(TS), "version": 1, "aggregated_version": -1,
         "aggregated_at": None}
    ]


def test_resent_snapshot_is_a_duplicate_and_changes_nothing(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    document = snapshot(timestamp=TS)
    assert repository.store(rows_of(document, received_at=TS + 1)) is True
    before = {name: fetch(engine, table) for name, table in schema.metadata.tables.items()}

    # Same (cluster_id, timestamp), different content and arrival: still the same snapshot.
    changed = snapshot(timestamp=TS, services=[service(name="other")], routes=[route(domain="x.example")])
    assert repository.store(rows_of(changed, received_at=TS + 500)) is False

    after = {name: fetch(engine, table) for name, table in schema.metadata.tables.items()}
    assert after == before


def test_same_timestamp_from_another_cluster_is_not_a_duplicate(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    assert repository.store(rows_of(snapshot(cluster_id="a", timestamp=TS))) is True
    assert repository.store(rows_of(snapshot(cluster_id="b", timestamp=TS))) is True
    counts = row_counts(engine)
    assert counts["snapshot_log"] == counts["service_raw"] == counts["clusters"] == 2


def test_rollup_version_counts_every_snapshot_of_the_hour(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    hour = hour_of(TS)
    for ts in (hour + 30, hour + 60, hour + 3600):  # the last one ends exactly at the hour's end
        assert repository.store(rows_of(snapshot(timestamp=ts)))
    repository.store(rows_of(snapshot(timestamp=hour + 3630)))  # next hour
    repository.store(rows_of(snapshot(timestamp=hour + 60)))  # duplicate: no bump
    state = {row["hour"]: row["version"] for row in fetch(engine, schema.rollup_state)}
    assert state == {hour: 3, hour + 3600: 1}


def test_rollup_version_bump_keeps_the_aggregated_version(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    hour = hour_of(TS)
    repository.store(rows_of(snapshot(timestamp=hour + 30, window=10)))
    with engine.begin() as connection:
        connection.execute(
            schema.rollup_state.update().values(aggregated_version=1, aggregated_at=hour + 40)
        )
    # A late snapshot of an aggregated hour makes the hour stale again (version moves past it).
    repository.store(rows_of(snapshot(timestamp=hour + 20, window=10)))
    [state] = fetch(engine, schema.rollup_state)
    assert (state["version"], state["aggregated_version"], state["aggregated_at"]) == (2, 1, hour + 40)


def test_route_mapping_upsert_refreshes_the_record_and_last_seen(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    repository.store(rows_of(snapshot(timestamp=TS, routes=[route(tls=False, name="old")])))
    repository.store(rows_of(snapshot(timestamp=TS + 30, routes=[route(tls=True, name="new")])))
    # A late snapshot must not move last_seen backwards.
    repository.store(rows_of(snapshot(timestamp=TS - 300, routes=[route(tls=True, name="new")])))
    [mapping] = fetch(engine, schema.route_mapping)
    assert (mapping["tls"], mapping["name"], mapping["last_seen"]) == (True, "new", TS + 30)
    assert repository.routes("prod-eu-1") == [Route.model_validate(route(tls=True, name="new"))]


def test_stored_routes_are_listed_by_domain_then_path(repository: SqlIngestRepository) -> None:
    routes = [
        route(domain="b.example", path_prefix="/", service_key="k1"),
        route(domain="a.example", path_prefix="/z", service_key="k1"),
        route(domain="a.example", path_prefix="/api", service_key="k2"),
    ]
    repository.store(rows_of(snapshot(routes=routes, ingresses=[])))
    listed = [(r.domain, r.path_prefix, r.service_key) for r in repository.routes("prod-eu-1")]
    assert listed == [("a.example", "/api", "k2"), ("a.example", "/z", "k1"), ("b.example", "/", "k1")]
    assert repository.routes("another-cluster") == []


def test_cluster_record_keeps_first_seen_and_newest_snapshot(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    first = snapshot(timestamp=TS)
    repository.store(rows_of(first, received_at=TS + 1))
    newer = snapshot(timestamp=TS + 30)
    newer["agent_version"] = "0.2.0"
    repository.store(rows_of(newer, received_at=TS + 31))
    late = snapshot(timestamp=TS - 600)  # re-sent from the agent's spool, arriving last
    late["agent_version"] = "0.1.0"
    repository.store(rows_of(late, received_at=TS + 40))
    [cluster] = fetch(engine, schema.clusters)
    assert cluster == {"cluster_id": "prod-eu-1", "first_seen": TS + 1, "last_snapshot": TS + 30,
                       "last_received": TS + 40, "agent_version": "0.2.0"}


def test_a_failure_in_the_middle_of_a_snapshot_leaves_no_rows(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    good = rows_of(snapshot(timestamp=TS, edges=[edge(src="a"), edge(src="b")]))
    # Two edge rows with one primary key: the database refuses the edge batch, after the
    # snapshot log, the cluster and the service rows were already written in this transaction.
    broken = type(good)(**{**{f: getattr(good, f) for f in good.__dataclass_fields__},
                           "edges": FirstItemTwice(good.edges)})
    with pytest.raises(Exception):  # noqa: B017 - the driver's IntegrityError class differs per backend
        repository.store(broken)
    assert set(row_counts(engine).values()) == {0}

    # Nothing was claimed: the same snapshot, sent correctly, is stored in full.
    assert repository.store(good) is True
    counts = row_counts(engine)
    assert (counts["snapshot_log"], counts["service_raw"], counts["edge_raw"]) == (1, 1, 2)


def test_an_exception_after_some_inserts_rolls_everything_back(
    engine: Engine, repository: SqlIngestRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(SqlIngestRepository, "_bump_rollup_version", staticmethod(fail))
    with pytest.raises(RuntimeError, match="connection lost"):
        repository.store(rows_of(snapshot(timestamp=TS)))
    assert set(row_counts(engine).values()) == {0}


def test_four_clusters_ingesting_concurrently_lose_nothing(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    per_cluster = 15
    errors: list[BaseException] = []

    def ingest(cluster: str) -> None:
        try:
            for i in range(per_cluster):
                document = snapshot(
                    cluster_id=cluster,
                    timestamp=TS + 30 * i,
                    services=[service(name=f"w{n}") for n in range(5)],
                    edges=[edge(src=f"w{n}") for n in range(5)],
                )
                assert repository.store(rows_of(document)) is True
                # Each snapshot re-sent once, as a retrying agent would.
                assert repository.store(rows_of(document)) is False
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=ingest, args=(f"cluster-{c}",)) for c in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = row_counts(engine)
    assert counts["snapshot_log"] == 4 * per_cluster
    assert counts["service_raw"] == counts["edge_raw"] == 4 * per_cluster * 5
    assert counts["ingress_raw"] == 4 * per_cluster
    assert counts["clusters"] == 4
    with engine.connect() as connection:
        versions = connection.execute(select(schema.rollup_state.c.version)).scalars().all()
        total_requests = connection.execute(select(schema.service_raw.c.requests)).scalars().all()
    assert sum(versions) == 4 * per_cluster
    assert sum(total_requests) == 4 * per_cluster * 5 * 120


def test_ping_answers_when_the_database_is_there(repository: SqlIngestRepository) -> None:
    repository.ping()


def test_a_stored_route_that_no_longer_validates_is_skipped(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    repository.store(rows_of(snapshot(routes=[route(service_key="a"), route(service_key="b")])))
    with engine.begin() as connection:
        table = schema.route_mapping
        connection.execute(table.update().where(table.c.service_key == "a").values(service_port=-1))
    assert [r.service_key for r in repository.routes("prod-eu-1")] == ["b"]


def test_the_same_snapshot_sent_concurrently_is_stored_exactly_once(
    engine: Engine, repository: SqlIngestRepository
) -> None:
    rows = rows_of(snapshot(timestamp=TS, services=[service(name=f"w{n}") for n in range(20)]))
    results: list[bool] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def send() -> None:
        try:
            start.wait()
            results.append(repository.store(rows))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False] * 5 + [True]
    counts = row_counts(engine)
    assert (counts["snapshot_log"], counts["service_raw"]) == (1, 20)
    [state] = fetch(engine, schema.rollup_state)
    assert state["version"] == 1


def test_stored_mapping_places_backends_the_snapshot_does_not_route(
    engine: Engine, repository: SqlIngestRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = {"prod-eu-1": route(domain="shop.example.com", service_key="k"),
               "other": route(domain="wrong.example.com", service_key="k")}
    for cluster, mapped in mapping.items():
        document = snapshot(cluster_id=cluster, timestamp=TS - 30, ingresses=[], routes=[mapped])
        repository.store(rows_of(document))
    route_reads: list[str] = []
    read_routes = SqlIngestRepository._read_routes

    def counted(connection: object, cluster_id: str) -> list[Route]:
        route_reads.append(cluster_id)
        return read_routes(connection, cluster_id)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlIngestRepository, "_read_routes", staticmethod(counted))
    use_case = IngestUseCase(repository, clock=lambda: TS + 60)
    use_case.ingest(SLOSnapshot.model_validate(snapshot(timestamp=TS, ingresses=[ingress("k")], routes=[])))
    [row] = [r for r in fetch(engine, schema.ingress_raw) if r["ts"] == TS]
    assert (row["domain"], row["path"]) == ("shop.example.com", "/")

    # Fully routed snapshots do not read the mapping at all, nor do re-sent ones.
    reads = len(route_reads)
    use_case.ingest(SLOSnapshot.model_validate(
        snapshot(timestamp=TS + 30, ingresses=[ingress("k")], routes=[route(service_key="k")])))
    use_case.ingest(SLOSnapshot.model_validate(snapshot(timestamp=TS, ingresses=[ingress("k")], routes=[])))
    assert len(route_reads) == reads
