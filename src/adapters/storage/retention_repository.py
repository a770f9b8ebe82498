"""Retention deletes in bounded batches, each in its own short transaction.

Batches keep lock times and transaction sizes small on a large table, so
ingest and queries are never blocked for long by a cleanup. Deleting one
cluster at a time lets the primary keys (which all start with ``cluster_id``
and then the time) find the expired rows without scanning the table.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, select, tuple_, union

from adapters.storage import schema
from adapters.storage.locks import job_lock
from application.ports.jobs import RetentionRule


class SqlRetentionRepository:
    """``RetentionStore`` on SQLAlchemy Core (SQLite and PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def clusters(self) -> list[str]:
        # Ingest records every cluster in ``clusters`` and each snapshot in snapshot_log
        # and rollup_state; all three are small next to the raw tables.
        query = union(
            select(schema.clusters.c.cluster_id),
            select(schema.rollup_state.c.cluster_id).distinct(),
            select(schema.snapshot_log.c.cluster_id).distinct(),
            select(schema.route_mapping.c.cluster_id).distinct(),
        )
        with self._engine.connect() as connection:
            return sorted(connection.execute(query).scalars())

    def delete_batch(self, rule: RetentionRule, batch_size: int) -> int | None:
        table = schema.metadata.tables[rule.table]
        column = table.c[rule.column]
        keys = list(table.primary_key.columns)
        expired = select(*keys).where(column < rule.cutoff)
        if rule.cluster_id is not None:
            expired = expired.where(table.c.cluster_id == rule.cluster_id)
        expired = expired.limit(batch_size)
        # Row-value IN works on PostgreSQL and SQLite >= 3.15 and needs no
        # dialect-specific row id.
        statement = delete(table).where(tuple_(*keys).in_(expired))
        with self._engine.begin() as connection:
            if not job_lock(connection, f"meshslo.clean.{rule.table}.{rule.cluster_id or '*'}"):
                return None
            return connection.execute(statement).rowcount
