"""The store under test: every storage port implementation, built in this one place.

The contract suite in ``tests/storage`` reaches the database only through
these ports (plus raw SQL where a test plants rows directly), so another
store can run the same suite by providing its own ``open_store``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from adapters.storage.ingest_repository import SqlIngestRepository
from adapters.storage.retention_repository import SqlRetentionRepository
from adapters.storage.rollup_repository import SqlRollupRepository
from adapters.storage.stats_reader import SqlStatsReader
from adapters.storage.status_repository import SqlStatusRepository
from adapters.storage.target_repository import SqlTargetRepository
from application.ports.ingest import IngestRepository
from application.ports.jobs import RetentionStore, RollupStore, StatusStore
from application.ports.query import QueryStore
from application.ports.targets import StatusHistoryRepository, TargetRepository


@dataclass(frozen=True, slots=True)
class Store:
    ingest: IngestRepository
    stats: QueryStore  # a fresh reader: its read cache starts empty
    rollups: RollupStore
    retention: RetentionStore
    status: StatusStore
    status_history: StatusHistoryRepository
    targets: TargetRepository


def open_store(engine: Engine) -> Store:
    """New port implementations on ``engine`` (a migrated database)."""
    status = SqlStatusRepository(engine)
    return Store(
        ingest=SqlIngestRepository(engine),
        stats=SqlStatsReader(engine),
        rollups=SqlRollupRepository(engine),
        retention=SqlRetentionRepository(engine),
        status=status,
        status_history=status,
        targets=SqlTargetRepository(engine),
    )
