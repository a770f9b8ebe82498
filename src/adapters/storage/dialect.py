"""One upsert spelling for SQLite and PostgreSQL (both support ``INSERT … ON CONFLICT``)."""

from __future__ import annotations

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
