"""Run the schema migrations (Alembic) from inside the package: no alembic.ini needed."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from adapters.storage.engine import make_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Several masters may start at once against one PostgreSQL: one migrates, the others wait.
_PG_MIGRATION_LOCK = 0x6D65736873_6C6F  # "meshslo" as an advisory lock key


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Bring the database to the newest revision, in one transaction where the database allows it."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        if current_revision(connection) == head_revision():
            return
        command.upgrade(alembic_config(connection), "head")


class SchemaMigrator:
    """Migrates at start and, while the database is unreachable, keeps trying in the background.

    A master that starts before its database answers stays up (not ready, ingest
    answering 503 so agents spool) instead of crash-looping.
    """

    def __init__(self, engine: Engine, retry_seconds: float = 5.0) -> None:
        self._engine = engine
        self._retry_seconds = retry_seconds
        self._ready = threading.Event()
        self.last_error: str | None = None

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def mark_ready(self) -> None:
        """The schema is known to be current (migrated by the caller)."""
        self._ready.set()

    def try_once(self) -> bool:
        try:
            upgrade_to_head(self._engine)
        except Exception as error:  # unreachable database, lock timeout, …: retried
            self.last_error = f"{type(error).__name__}: {error}"
            log.warning("schema migration failed, retrying in %.0f s: %s", self._retry_seconds, error)
            return False
        self.last_error = None
        self._ready.set()
        return True

    def keep_trying(self, stop: threading.Event) -> bool:
        """Retry until migrated (True) or stopped (False)."""
        while not stop.is_set():
            if self.try_once():
                return True
            stop.wait(self._retry_seconds)
        return False


def new_revision(message: str) -> None:
    """Autogenerate the next revision from the difference between head and ``schema.metadata``.

    Compares against a scratch SQLite database migrated to head; review the
    generated file (and check it on PostgreSQL with the storage tests) before committing.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/scratch.db")
        try:
            upgrade_to_head(engine)
            with engine.begin() as connection:
                command.revision(alembic_config(connection), message=message, autogenerate=True)
        finally:
            engine.dispose()


if __name__ == "__main__":
    # .venv/bin/python -m adapters.storage.migrate "add a column to …"
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: python -m adapters.storage.migrate MESSAGE")
    new_revision(sys.argv[1])
