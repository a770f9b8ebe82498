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
