"""The SQL of the stitched reads: one consistent view, and the rows behind one part of a plan.

A part (``domain.timewindow``) is raw rows ``(lo, hi]`` or hourly rows
``[lo, hi)``; numbers are summed in SQL (GROUP BY), bucket JSON is merged in
Python by ``RowSums``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, and_, func, literal, or_, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from adapters.storage import schema
from adapters.storage.row_sums import RowSums
from adapters.storage.traffic_families import Family, new_sums
from domain.timewindow import HOUR, Part, RawPart, RollupState
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals

T = TypeVar("T", WorkloadTotals, EdgeTotals, IngressTotals)
Keys = Collection[tuple[str, ...]]


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One consistent view of the database for all the statements of a read.

    REPEATABLE READ on PostgreSQL, so that a freshness check and the rows it
    vouches for agree.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if connection.dialect.name == "sqlite":
                _begin_sqlite_read(connection)
            yield connection


def _begin_sqlite_read(connection: Connection) -> None:
    """Open the SQLite transaction the driver would not open for SELECTs.

    Python's sqlite3 only begins a transaction before a write, so each SELECT
    would otherwise see the database as of its own moment: a snapshot stored
    between the snapshot-log read and the row read could be counted twice by
    the prefix cache, or once without its covered seconds.
    """
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def rollup_states(
    connection: Connection, cluster_id: str, hours: Collection[int] | None = None, *, lo: int = 0, hi: int = 0
) -> dict[int, RollupState]:
    """The rollup_state rows of the listed hours, or else of the hours ``lo <= hour <= hi``."""
    state = schema.rollup_state
    where = state.c.hour.in_(hours) if hours is not None else and_(state.c.hour >= lo, state.c.hour <= hi)
    query = select(state.c.hour, state.c.version, state.c.aggregated_version).where(
        state.c.cluster_id == cluster_id, where
    )
    return {row.hour: (row.hour, row.version, row.aggregated_version) for row in connection.execute(query)}


def snapshot_stamps(connection: Connection, cluster_id: str, hours: set[int]) -> dict[int, frozenset[int]]:
    """The snapshot ends of each of these hours."""
    log = schema.snapshot_log
    out: dict[int, frozenset[int]] = {}
    for hour in hours:
        in_hour = and_(log.c.ts > hour, log.c.ts <= hour + HOUR)
        rows = connection.execute(select(log.c.ts).where(log.c.cluster_id == cluster_id, in_hour))
        out[hour] = frozenset(rows.scalars())
    return out


def covered(connection: Connection, cluster_id: str, parts: list[Part]) -> float:
    """Seconds the snapshots of these parts covered: the rps denominator."""
    total = 0.0
    for part in parts:
        log, _, seconds = coverage_columns(isinstance(part, RawPart))
        value = connection.execute(
            select(func.sum(seconds)).where(log.c.cluster_id == cluster_id, time_filter(log, part))
        ).scalar()
        total += part.sign * float(value or 0.0)
    return total


def read_sums(
    connection: Connection,
    family: Family[T],
    cluster_id: str,
    part: Part,
    keys: Keys | None,
    only: list[int] | None = None,
) -> RowSums:
    """The unsigned sums of one part per key (of raw rows only the snapshots ``only``, if given)."""
    acc = new_sums(family)
    table = family.raw if isinstance(part, RawPart) else family.hourly
    where = part_filter(table, cluster_id, part, family, keys)
    if only is not None:
        where.append(table.c.ts.in_(only))
    key_columns = [table.c[k] for k in family.keys]
    width = len(key_columns)
    summed = select(*key_columns, _row_count(table), *[func.sum(table.c[s]) for s in family.sums])
    for row in connection.execute(summed.where(*where).group_by(*key_columns)):
        acc.add_sums(tuple(row[:width]), tuple(row[width + 1:]), row[width], 1)
    if family.has_buckets:
        # The bucket maps of a key arrive joined in one string: one row per key, not per stored row.
        texts = _joined(connection, table.c.buckets)
        joined = select(*key_columns, func.count(), texts).where(*where, table.c.buckets != "{}")
        for row in connection.execute(joined.group_by(*key_columns)):
            if row[-2] == 1:  # a prefix extended by one snapshot, the usual warm read: nothing to merge
                acc.add_buckets(tuple(row[:-2]), row[-1], 1)
            else:
                acc.add_bucket_texts(tuple(row[:-2]), row[-1], 1)
    return acc


def _joined(connection: Connection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The column's texts of a group joined by commas (row order does not matter: they are summed)."""
    if connection.dialect.name == "postgresql":
        return func.string_agg(column, ",")
    return func.group_concat(column, ",")


def coverage_columns(is_raw: bool) -> tuple[Table, ColumnElement[Any], ColumnElement[Any]]:
    if is_raw:
        return schema.snapshot_log, schema.snapshot_log.c.ts, schema.snapshot_log.c.window_seconds
    return schema.cluster_hourly, schema.cluster_hourly.c.hour, schema.cluster_hourly.c.covered_seconds


def time_filter(table: Table, part: Part) -> ColumnElement[bool]:
    if isinstance(part, RawPart):
        return and_(table.c.ts > part.lo, table.c.ts <= part.hi)
    condition = and_(table.c.hour >= part.lo, table.c.hour < part.hi)
    if part.exclude:
        condition = and_(condition, table.c.hour.not_in(part.exclude))
    return condition


def part_filter(
    table: Table, cluster_id: str, part: Part, family: Family[Any], keys: Keys | None
) -> list[ColumnElement[bool]]:
    return [table.c.cluster_id == cluster_id, time_filter(table, part), *_key_filter(table, family, keys)]


def _row_count(table: Table) -> ColumnElement[Any]:
    """How many raw rows stand behind a group: counted for raw rows, recorded in hourly ones."""
    if "sample_count" in table.c:
        return func.sum(table.c.sample_count)
    return func.count()


def _key_filter(table: Table, family: Family[Any], keys: Keys | None) -> list[ColumnElement[bool]]:
    if keys is None:
        return []
    columns = [table.c[k] for k in family.keys]
    if len(columns) == 1:
        return [columns[0].in_([key[0] for key in keys])]
    if len(keys) == 1:
        (key,) = keys
        return [and_(*(column == value for column, value in zip(columns, key, strict=True)))]
    if len(keys) <= 50:
        return [or_(*(and_(*(c == v for c, v in zip(columns, key, strict=True))) for key in keys))]
    return [tuple_(*columns).in_(list(keys))]


def any_row(connection: Connection, tables: Collection[Table], cluster_id: str,
            condition: Callable[[Table], ColumnElement[bool]]) -> bool:
    """Whether one of ``tables`` has a row of the cluster meeting ``condition``."""
    for table in tables:
        query = select(literal(1)).where(table.c.cluster_id == cluster_id, condition(table)).limit(1)
        if connection.execute(query).first() is not None:
            return True
    return False
