"""Engines for SQLite (WAL) and PostgreSQL; the directory of a SQLite database file."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from adapters.storage.outage import OutageWatch


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (the driver this package installs)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def prepare_sqlite_directory(url: str) -> str | None:
    """Create the directory of a SQLite database file; why it cannot be used, else None.

    Checked at start, before anything is served; None as well for PostgreSQL
    and in-memory SQLite, which need no directory.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    directory = Path(parsed.database).resolve().parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot create the directory {directory}: {error.strerror or error}"
    if not os.access(directory, os.W_OK):
        return f"the directory {directory} is not writable"
    return None


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's directory must exist (``prepare_sqlite_directory``)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            # WAL lets the API read while a snapshot is being written.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    else:
        # A bounded connect timeout: an unreachable server makes /readyz answer 503 within
        # seconds instead of hanging on the operating system's TCP timeout.
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"connect_timeout": 10}
        )
    OutageWatch(engine)
    return engine
