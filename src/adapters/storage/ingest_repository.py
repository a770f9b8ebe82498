"""Snapshots into the raw tables: one transaction per snapshot, idempotent on (cluster_id, ts).

Rows are written with one bulk insert per table (COPY on PostgreSQL, the driver's
executemany on SQLite), never through ORM objects or per-row statements.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from operator import itemgetter

from pydantic import ValidationError
from sqlalchemy import Engine, Table, case, select, text
from sqlalchemy.engine import Connection

from adapters.storage import schema
from adapters.storage.dialect import bulk_insert, bulk_upsert, greatest, insert
from application.ports.ingest import Row, SnapshotRows
from domain.contract import Route
from domain.timewindow import hour_of

log = logging.getLogger(__name__)

_ROUTE_KEY = ("cluster_id", "domain", "path_prefix", "service_key")
_ROUTE_RECORD = ("name", "namespace", "service_name", "service_port", "tls")
_route_key = itemgetter(*_ROUTE_KEY[1:])
_route_record = itemgetter(*_ROUTE_RECORD)


class SqlIngestRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # SQLite has one writer at a time and makes the others poll with growing sleeps
        # (up to 100 ms each); queueing this process's writers on a lock wakes them at once.
        self._write_turn: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    def store(self, rows: SnapshotRows) -> bool:
        with self._write_turn, self._engine.begin() as connection:
            if not self._log_snapshot(connection, rows):
                return False
            keys = {"cluster_id": rows.cluster_id, "ts": rows.ts, "window_seconds": rows.window_seconds}
            self._insert_many(connection, schema.service_raw, rows.services, keys)
            self._insert_many(connection, schema.edge_raw, rows.edges, keys)
            self._insert_many(connection, schema.ingress_raw, rows.ingress, keys)
            # Rows shared by every snapshot of the cluster last, so that on PostgreSQL
            # their row locks are held only for the end of the transaction.
            self._upsert_routes(connection, rows)
            self._upsert_cluster(connection, rows)
            self._bump_rollup_version(connection, rows)
        return True

    def routes(self, cluster_id: str) -> list[Route]:
        table = schema.route_mapping
        query = (
            select(
                table.c.name, table.c.namespace, table.c.domain, table.c.path_prefix,
                table.c.service_key, table.c.service_name, table.c.service_port, table.c.tls,
            )
            .where(table.c.cluster_id == cluster_id)
            .order_by(table.c.domain, table.c.path_prefix, table.c.service_key)
        )
        with self._engine.connect() as connection:
            records = [row._asdict() for row in connection.execute(query)]
        routes = []
        for record in records:
            try:
                routes.append(Route.model_validate(record))
            except ValidationError as error:
                # A row edited by hand must not block every later snapshot of the cluster.
                log.warning("ignoring stored route %s of %s: %s", record, cluster_id, error)
        return routes

    def ping(self) -> None:
        with self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    # -- steps of one snapshot's transaction --------------------------------

    @staticmethod
    def _log_snapshot(connection: Connection, rows: SnapshotRows) -> bool:
        """Claim (cluster_id, ts); a second claim inserts nothing and marks a duplicate."""
        statement = insert(connection, schema.snapshot_log).values(
            cluster_id=rows.cluster_id,
            ts=rows.ts,
            window_start=rows.window_start,
            window_seconds=rows.window_seconds,
            received_at=rows.received_at,
            agent_version=rows.agent_version,
        ).on_conflict_do_nothing(index_elements=["cluster_id", "ts"]).returning(schema.snapshot_log.c.ts)
        # RETURNING rather than rowcount: psycopg reports -1 for this statement's rowcount.
        return connection.execute(statement).first() is not None

    @staticmethod
    def _upsert_cluster(connection: Connection, rows: SnapshotRows) -> None:
        table = schema.clusters
        statement = insert(connection, table).values(
            cluster_id=rows.cluster_id,
            first_seen=rows.received_at,
            last_snapshot=rows.ts,
            last_received=rows.received_at,
            agent_version=rows.agent_version,
        )
        newer = statement.excluded.last_snapshot >= table.c.last_snapshot
        statement = statement.on_conflict_do_update(
            index_elements=["cluster_id"],
            set_={
                # A late (spooled) snapshot must not move "last snapshot" backwards.
                "last_snapshot": greatest(table.c.last_snapshot, statement.excluded.last_snapshot),
                "last_received": greatest(table.c.last_received, statement.excluded.last_received),
                "first_seen": table.c.first_seen,
                "agent_version": case((newer, statement.excluded.agent_version), else_=table.c.agent_version),
            },
        )
        connection.execute(statement)

    @staticmethod
    def _insert_many(connection: Connection, table: Table, items: Sequence[Row], keys: Row) -> None:
        if not items:
            return
        # Snapshot-wide values first, then the item's own columns, in the table's column order.
        item_columns = [column.name for column in table.columns if column.name not in keys]
        head = tuple(keys.values())
        pick = itemgetter(*item_columns)
        values = [head + pick(item) for item in items]
        bulk_insert(connection, table, [*keys, *item_columns], values)

    @staticmethod
    def _upsert_routes(connection: Connection, rows: SnapshotRows) -> None:
        # One key order for every transaction: concurrent upserts of the same routes wait, never deadlock.
        ordered = sorted(rows.routes, key=itemgetter(*_ROUTE_KEY[1:]))
        values = [(rows.cluster_id, *_route_key(route), *_route_record(route), rows.ts) for route in ordered]
        bulk_upsert(connection, schema.route_mapping, _ROUTE_KEY, _ROUTE_RECORD, ("last_seen",), values)

    @staticmethod
    def _bump_rollup_version(connection: Connection, rows: SnapshotRows) -> None:
        """Tell the aggregator (and readers) that this hour's rollup is stale."""
        table = schema.rollup_state
        statement = insert(connection, table).values(
            cluster_id=rows.cluster_id, hour=hour_of(rows.ts), version=1, aggregated_version=-1
        )
        statement = statement.on_conflict_do_update(
            index_elements=["cluster_id", "hour"], set_={"version": table.c.version + 1}
        )
        connection.execute(statement)

