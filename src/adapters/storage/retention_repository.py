"""Retention deletes in bounded batches, each in its own short transaction.

Batches keep lock times and transaction sizes small on a large table, so
ingest and queries are never blocked for long by a cleanup.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, select, tuple_

from adapters.storage import schema
from adapters.storage.locks import job_lock
from application.ports.jobs import RetentionRule


class SqlRetentionRepository:
    """``RetentionStore`` on SQLAlchemy Core (SQLite and PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def delete_batch(self, rule: RetentionRule, batch_size: int) -> int | None:
        table = schema.metadata.tables[rule.table]
        column = table.c[rule.column]
        keys = list(table.primary_key.columns)
        expired = select(*keys).where(column < rule.cutoff).limit(batch_size)
        # Row-value IN works on PostgreSQL and SQLite >= 3.15 and needs no
        # dialect-specific row id.
        statement = delete(table).where(tuple_(*keys).in_(expired))
        with self._engine.begin() as connection:
            if not job_lock(connection, f"meshslo.clean.{rule.table}"):
                return None
            return connection.execute(statement).rowcount
