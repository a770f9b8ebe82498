"""What differs between SQLite and PostgreSQL, in one place: upserts and bulk inserts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import case


def insert(connection: Connection, table: Table) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {connection.dialect.name!r}: use SQLite or PostgreSQL")


def greatest(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The larger of two values, spelled portably (SQLite has no GREATEST)."""
    return case((a >= b, a), else_=b)


def bulk_insert(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert many rows inside the connection's transaction, as fast as the database allows.

    PostgreSQL: ``COPY … FROM STDIN`` (one stream instead of a statement per row).
    SQLite: one prepared INSERT run by the driver's executemany, without
    per-row parameter processing in SQLAlchemy. Values must already be of the
    columns' Python types (str, int, float, bool).
    """
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    column_list = ", ".join(quote(name) for name in columns)
    if connection.dialect.name == "postgresql":
        driver_connection = connection.connection.driver_connection
        assert driver_connection is not None
        with driver_connection.cursor() as cursor, cursor.copy(
            f"COPY {quote(table.name)} ({column_list}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {quote(table.name)} ({column_list}) VALUES ({placeholders})"
    connection.exec_driver_sql(statement, rows)


def bulk_upsert(
    connection: Connection,
    table: Table,
    key_columns: Sequence[str],
    set_columns: Sequence[str],
    max_columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert rows or update existing ones (same key) in one round trip.

    Rows hold ``key_columns``, then ``set_columns`` (overwritten on conflict), then
    ``max_columns`` (keep the larger of the stored and the new value), in that order.
    PostgreSQL: one ``INSERT … SELECT FROM unnest(arrays) ON CONFLICT`` statement
    (a statement per row costs more than the writes). SQLite: the driver's executemany.
    """
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    columns = [*key_columns, *set_columns, *max_columns]
    column_list = ", ".join(quote(name) for name in columns)
    name = quote(table.name)
    updates = [f"{quote(c)} = excluded.{quote(c)}" for c in set_columns]
    if connection.dialect.name == "postgresql":
        updates += [f"{quote(c)} = GREATEST({name}.{quote(c)}, excluded.{quote(c)})" for c in max_columns]
        arrays = ", ".join(
            f"%s::{table.c[c].type.compile(dialect=connection.dialect)}[]" for c in columns
        )
        source = f"SELECT * FROM unnest({arrays})"
        parameters: Any = tuple([row[i] for row in rows] for i in range(len(columns)))
    else:
        updates += [f"{quote(c)} = max({name}.{quote(c)}, excluded.{quote(c)})" for c in max_columns]
        source = "VALUES (" + ", ".join("?" for _ in columns) + ")"
        parameters = list(rows)
    statement = (
        f"INSERT INTO {name} ({column_list}) {source} "
        f"ON CONFLICT ({', '.join(quote(c) for c in key_columns)}) DO UPDATE SET {', '.join(updates)}"
    )
    connection.exec_driver_sql(statement, parameters)
