"""No two stored windows of a cluster overlap, on SQLite and PostgreSQL.

A snapshot counts ``(window_start, timestamp]``; storing two windows that share seconds
counts those seconds twice. Only the identical re-send (same timestamp and start) is a
duplicate; every other overlap is refused naming the stored window and stores nothing,
also when several masters receive overlapping snapshots at the same moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from tests.storage.snapshot_builders import row_counts, snapshot
from tests.storage.stores import open_store

from adapters.api.app import create_app
from adapters.storage import schema
from adapters.storage.engine import make_engine
from adapters.storage.ingest_repository import SqlIngestRepository
from adapters.storage.migrate import upgrade_to_head
from adapters.storage.window_claims import MAX_WINDOW_SECONDS, overlap_query
from application.master.snapshot_totals import snapshot_totals
from application.ports.ingest import SnapshotTotals, WindowOverlap
from domain.contract import SLOSnapshot
from entrypoints.master_container import MasterContainer
from entrypoints.master_settings import MasterSettings

START, END = 1_764_312_000, 1_764_312_030  # the stored window (START, END]


def totals(start: int, end: int, cluster_id: str = "prod-eu-1") -> SnapshotTotals:
    document = snapshot(cluster_id=cluster_id, timestamp=end, window=end - start)
    return snapshot_totals(SLOSnapshot.model_validate(document), received_at=end + 2)


def stored_windows(engine: Engine, cluster_id: str = "prod-eu-1") -> list[tuple[int, int]]:
    log = schema.snapshot_log
    query = select(log.c.window_start, log.c.ts).where(log.c.cluster_id == cluster_id).order_by(log.c.ts)
    with engine.connect() as connection:
        return [(start, end) for start, end in connection.execute(query)]


@pytest.fixture
def repository(engine: Engine) -> SqlIngestRepository:
    ingest = open_store(engine).ingest
    assert isinstance(ingest, SqlIngestRepository)
    return ingest


OVERLAPS = {
    "contained": (START + 5, END - 5),
    "containing": (START - 10, END + 10),
    "straddling the start": (START - 10, START + 10),
    "straddling the end": (END - 10, END + 10),
    "one second at the start": (START - 30, START + 1),
    "one second at the end": (END - 1, END + 30),
    "same timestamp, later start": (START + 10, END),
    "same timestamp, earlier start": (START - 10, END),
    "same start, earlier timestamp": (START, END - 10),
    "same start, later timestamp": (START, END + 10),
}


@pytest.mark.parametrize("window", list(OVERLAPS.values()), ids=list(OVERLAPS))
def test_an_overlapping_window_is_refused_naming_the_stored_one_and_stores_nothing(
    engine: Engine, repository: SqlIngestRepository, window: tuple[int, int]
) -> None:
    assert repository.store(totals(START, END)) is True
    before = row_counts(engine)

    with pytest.raises(WindowOverlap) as refused:
        repository.store(totals(*window))

    assert str(refused.value) == (
        f"window ({window[0]}, {window[1]}] overlaps the stored window ({START}, {END}] of cluster prod-eu-1"
    )
    assert refused.value.stored == [(START, END)]
    assert row_counts(engine) == before
    assert stored_windows(engine) == [(START, END)]


def test_adjacent_windows_are_not_overlaps(engine: Engine, repository: SqlIngestRepository) -> None:
    assert repository.store(totals(START, END)) is True
    assert repository.store(totals(END, END + 30)) is True  # starts where the stored one ends
    assert repository.store(totals(START - 30, START)) is True  # ends where it starts
    assert repository.store(totals(START - 90, START - 60)) is True  # a gap in between is fine too
    assert stored_windows(engine) == [(START - 90, START - 60), (START - 30, START), (START, END),
                                      (END, END + 30)]


def test_the_identical_resend_is_a_duplicate(engine: Engine, repository: SqlIngestRepository) -> None:
    assert repository.store(totals(START, END)) is True
    assert repository.store(totals(END, END + 30)) is True
    before = row_counts(engine)
    assert repository.store(totals(START, END)) is False
    assert repository.store(totals(END, END + 30)) is False
    assert row_counts(engine) == before


def test_windows_of_other_clusters_never_conflict(engine: Engine, repository: SqlIngestRepository) -> None:
    assert repository.store(totals(START, END, cluster_id="a")) is True
    assert repository.store(totals(START + 5, END + 5, cluster_id="b")) is True
    assert stored_windows(engine, "a") == [(START, END)]
    assert stored_windows(engine, "b") == [(START + 5, END + 5)]


def test_the_refusal_names_the_first_stored_windows_and_says_there_are_more(
    repository: SqlIngestRepository,
) -> None:
    for n in range(5):
        repository.store(totals(START + 30 * n, START + 30 * (n + 1)))
    with pytest.raises(WindowOverlap, match=(
        rf"^window \({START + 10}, {START + 140}\] overlaps the stored windows \({START}, {START + 30}\], "
        rf"\({START + 30}, {START + 60}\], \({START + 60}, {START + 90}\] and more of cluster prod-eu-1$"
    )):
        repository.store(totals(START + 10, START + 140))


def test_a_stored_24_hour_window_ending_as_late_as_possible_is_found(repository: SqlIngestRepository) -> None:
    # The scan looks at windows ending up to MAX_WINDOW_SECONDS after the new one ends; this one
    # ends one second before that bound and still shares its first second with the new window.
    long_window = (END - 1, END - 1 + MAX_WINDOW_SECONDS)
    assert repository.store(totals(*long_window)) is True
    with pytest.raises(WindowOverlap) as refused:
        repository.store(totals(START, END))
    assert refused.value.stored == [long_window]


def test_the_overlap_check_is_a_range_scan_of_the_primary_key(engine: Engine) -> None:
    query = overlap_query(totals(START, END))
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # An empty table is read whole whatever the indexes; forbid that to see what the index serves.
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(connection.execute(text(f"EXPLAIN {sql}")).scalars())
            assert "Index Scan using snapshot_log_pkey" in plan, plan
            assert "ts >" in plan and "ts <=" in plan, plan  # both ends bound the scan (Index Cond)
        else:
            plan = "\n".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            # The primary key's index (its automatic name), searched on cluster and a range of ts.
            assert "SEARCH snapshot_log USING INDEX sqlite_autoindex_snapshot_log_1 " in plan, plan
            assert "(cluster_id=? AND ts>? AND ts<?)" in plan, plan


def test_overlapping_snapshots_at_once_on_two_masters_store_at_most_one(database_url: str) -> None:
    """Two masters (engines) on one database, many overlapping snapshots at the same moment."""
    engines = [make_engine(database_url) for _ in range(2)]
    upgrade_to_head(engines[0])
    repositories = [SqlIngestRepository(engine) for engine in engines]
    rounds, senders = 6, 6
    outcomes: list[str] = []
    errors: list[BaseException] = []
    try:
        for n in range(rounds):
            base = START + 1000 * n
            # Every pair of these overlaps: all end after base + 40 and start before it.
            windows = [(base + 5 * i, base + 40 + 7 * i) for i in range(senders)]
            barrier = threading.Barrier(senders)

            def send(i: int, window: tuple[int, int], barrier: threading.Barrier = barrier) -> None:
                try:
                    barrier.wait()
                    stored = repositories[i % 2].store(totals(*window))
                    outcomes.append("stored" if stored else "duplicate")
                except WindowOverlap:
                    outcomes.append("overlap")
                except BaseException as error:  # surfaced below
                    errors.append(error)

            threads = [threading.Thread(target=send, args=(i, windows[i])) for i in range(senders)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert errors == []
        assert sorted(outcomes) == sorted(["stored"] * rounds + ["overlap"] * (rounds * (senders - 1)))
        windows_kept = stored_windows(engines[0])
        assert len(windows_kept) == rounds
        counts = row_counts(engines[0])
        assert counts["snapshot_log"] == counts["service_raw"] == counts["edge_raw"] == rounds
    finally:
        for engine in engines:
            engine.dispose()


# -- over HTTP -----------------------------------------------------------------


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = MasterSettings(database_url=database_url, allowed_clusters=["prod-eu-1"])
    with TestClient(create_app(MasterContainer(settings=settings))) as test_client:
        yield test_client


def test_over_http_an_overlap_is_409_naming_the_stored_window_and_a_resend_200_duplicate(
    client: TestClient, database_url: str
) -> None:
    end = int(time.time())  # recent: the master's cleaner keeps it
    first = client.post("/agent/snapshot", json=snapshot(timestamp=end, window=30))
    assert (first.status_code, first.json()) == (200, {"status": "stored"})
    again = client.post("/agent/snapshot", json=snapshot(timestamp=end, window=30))
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})

    overlapping = client.post("/agent/snapshot", json=snapshot(timestamp=end, window=60))
    assert overlapping.status_code == 409
    assert overlapping.json() == {"detail": f"window ({end - 60}, {end}] overlaps the stored window "
                                            f"({end - 30}, {end}] of cluster prod-eu-1"}
    engine = make_engine(database_url)
    try:
        assert stored_windows(engine) == [(end - 30, end)]
        assert row_counts(engine)["service_raw"] == 1
    finally:
        engine.dispose()
    metrics = client.get("/metrics").text
    assert 'meshslo_master_rejected_snapshots_total{reason="overlap"} 1.0' in metrics
    assert 'meshslo_master_ingest_snapshots_total{result="rejected"} 1.0' in metrics
    assert "409" in client.get("/openapi.json").json()["paths"]["/agent/snapshot"]["post"]["responses"]
