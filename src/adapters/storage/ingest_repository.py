"""Snapshots into the raw tables: one transaction per snapshot, idempotent on (cluster_id, ts),
and no two stored windows of a cluster overlap (``window_claims``).

Totals become rows keyed by column names (``traffic_families``), written with one
bulk insert per table (COPY on PostgreSQL, the driver's executemany on SQLite),
never through ORM objects or per-row statements.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_json
from sqlalchemy import Engine, Table, case, select, text
from sqlalchemy.engine import Connection

from adapters.storage import schema
from adapters.storage.dialect import bulk_insert, bulk_upsert, greatest, insert
from adapters.storage.traffic_families import EDGES, INGRESS, WORKLOADS, Family, Row
from adapters.storage.window_claims import claim_window
from application.ports.ingest import SnapshotHeader, SnapshotOutOfRange, SnapshotTotals
from domain.contract import MAX_COUNT, Route, first_route_by_key
from domain.timewindow import hour_of

log = logging.getLogger(__name__)

# The largest count of one raw row (one key of one snapshot, after its items and request entries
# are summed). Every SUM the database computes stays within 64 bits (2**63 - 1 ≈ 9.22e18), because
#   - a raw row holds at most MAX_STORED_COUNT = 10**12 per column (refused here, 422, otherwise);
#   - a cluster has at most one snapshot per second: snapshot_log's key is (cluster_id, ts), ts is
#     whole seconds, and a snapshot has one row per key (snapshot_totals merges repeated items). So
#     the raw rows of one key with ts in (lo, hi] add up to at most (hi - lo) * 10**12, whatever
#     the windows (non-overlapping windows of at least 1 s give the same bound);
#   - an hourly row sums the raw rows of (hour, hour + 1 h]: at most 3600 * 10**12 = 3.6e15, and
#     hourly rows of hours in [lo, hi) add up to at most (hi - lo) * 10**12 as well;
#   - every SUM groups by cluster_id and key (rollup_repository._sums, stats_sql.read_sums); the
#     only SUMs over a whole cluster are of window_seconds (<= 24 h each, domain.contract) and
#     sample_count (rows). Sums across keys and clusters are done in Python, which cannot overflow;
#   - a SUM reads one part of one read, which lies within the read's range padded to whole hours:
#     at most MAX_RANGE_SECONDS (90 d, adapters/api/params.py) + 2 h = 7,783,200 s; the status
#     checker and alerts read at most a calendar month. So a SUM is at most 7.79e18 < 9.22e18.
# The retentions do not enter the bound (no read spans more than 90 d), so they need no cap.
# PostgreSQL's SUM(bigint) is numeric and would not overflow anyway; SQLite's raises
# "integer overflow", which is what made one hostile snapshot break every read of its cluster.
MAX_STORED_COUNT = MAX_COUNT

_ROUTE_KEY = ("cluster_id", "domain", "path_prefix", "service_key")
_ROUTE_RECORD = ("name", "namespace", "service_name", "service_port", "tls")
_route_key = itemgetter(*_ROUTE_KEY[1:])
_route_record = itemgetter(*_ROUTE_RECORD)
_ROUTE_COLUMNS = tuple(Route.model_fields)  # a route's fields are route_mapping's columns


@dataclass(frozen=True, slots=True)
class SnapshotRows(SnapshotHeader):
    """One snapshot as table rows, keyed by the tables' column names: one batch per table."""

    services: list[Row] = field(default_factory=list)
    edges: list[Row] = field(default_factory=list)
    ingress: list[Row] = field(default_factory=list)
    routes: list[Row] = field(default_factory=list)


def _rows(family: Family[Any], totals: Mapping[Any, Any]) -> list[Row]:
    # Thousands of rows per snapshot: the key columns and buckets are set in place, and the
    # bucket maps are encoded by pydantic-core (compact JSON, a quarter of the json module's time).
    keys, columns, has_buckets = family.keys, family.columns, family.has_buckets
    rows = []
    for key, item in totals.items():
        row = columns(item)
        row.update(zip(keys, key, strict=True) if len(keys) > 1 else ((keys[0], key),))
        if has_buckets:
            row["buckets"] = to_json(item.buckets).decode()
        rows.append(row)
    return rows


def _check_storable(rows: list[Row], family: Family[Any], counts: tuple[str, ...], section: str) -> None:
    """Refuse what the database would refuse halfway through the transaction, with a clear message.

    The other count columns of a row are parts of the ones checked here
    (errors, status classes and methods are at most ``requests``).
    """
    if not rows:
        return
    # Whole columns at a time (C loops); the offending row is looked for only when there is one.
    too_large = [column for column in counts if max(map(itemgetter(column), rows)) > MAX_STORED_COUNT]
    infinite = not all(map(math.isfinite, map(itemgetter("latency_sum"), rows)))
    if not too_large and not infinite:
        return
    for row in rows:
        for column in counts:
            if row[column] > MAX_STORED_COUNT:
                where = "/".join(str(row[k]) for k in family.keys)
                raise SnapshotOutOfRange(
                    f"slo_data.{section} {where}: {column} = {row[column]} exceeds the largest "
                    f"storable count {MAX_STORED_COUNT}"
                )
        if not math.isfinite(row["latency_sum"]):
            where = "/".join(str(row[k]) for k in family.keys)
            raise SnapshotOutOfRange(f"slo_data.{section} {where}: latency_sum adds up to infinity")


def place_backends(ingress: list[Row], totals: SnapshotTotals, stored_routes: Iterable[Route]) -> None:
    """Each backend's domain and path: the snapshot's route first, else the stored mapping's."""
    from_store = first_route_by_key(stored_routes)
    for row in ingress:
        key = row["service_key"]
        route = totals.backend_routes.get(key) or from_store.get(key)
        row["domain"] = route.domain if route else ""
        row["path"] = route.path_prefix if route else ""


def snapshot_rows(totals: SnapshotTotals, stored_routes: Iterable[Route] = ()) -> SnapshotRows:
    """The rows of one snapshot; raises SnapshotOutOfRange for numbers no column can hold."""
    if totals.ts > MAX_STORED_COUNT:
        raise SnapshotOutOfRange(f"slo_data.timestamp = {totals.ts} is not a storable unix time")
    services = _rows(WORKLOADS, totals.services)
    _check_storable(services, WORKLOADS, ("requests", "latency_count", "tls_requests", "total_requests"),
                    "services")
    edges = _rows(EDGES, totals.edges)
    _check_storable(edges, EDGES, ("requests", "failures", "latency_count"), "edges")
    ingress = _rows(INGRESS, totals.ingress)
    _check_storable(ingress, INGRESS, ("requests", "latency_count"), "ingress")
    place_backends(ingress, totals, stored_routes)
    return SnapshotRows(
        **totals.header(),
        services=services,
        edges=edges,
        ingress=ingress,
        routes=[{column: getattr(route, column) for column in _ROUTE_COLUMNS} for route in totals.routes],
    )


class SqlIngestRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # SQLite has one writer at a time and makes the others poll with growing sleeps
        # (up to 100 ms each); queueing this process's writers on a lock wakes them at once.
        self._write_turn: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    def store(self, totals: SnapshotTotals) -> bool:
        rows = snapshot_rows(totals)  # unstorable numbers are refused before the transaction starts
        with self._write_turn, self._engine.begin() as connection:
            if not claim_window(connection, rows):  # first: it serialises the cluster's snapshots
                return False
            if totals.needs_stored_routes():
                place_backends(rows.ingress, totals, self._read_routes(connection, rows.cluster_id))
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
        """The stored route mapping of a cluster, ordered by domain then path."""
        with self._engine.connect() as connection:
            return self._read_routes(connection, cluster_id)

    @staticmethod
    def _read_routes(connection: Connection, cluster_id: str) -> list[Route]:
        table = schema.route_mapping
        query = (
            select(*(table.c[column] for column in _ROUTE_COLUMNS))
            .where(table.c.cluster_id == cluster_id)
            .order_by(table.c.domain, table.c.path_prefix, table.c.service_key)
        )
        routes = []
        for row in connection.execute(query):
            record = row._asdict()
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

