"""Database outages as ``StorageUnavailable``, logged once when they start and once when they end.

Every statement of every repository runs through the engine, so its error hook
is the one place that tells "the database is not there" (refused or dropped
connections, a database that no longer exists, an unopenable SQLite file) from
a bug. Each failed request would otherwise log a traceback of its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.exc import OperationalError

from application.ports.storage import StorageUnavailable

log = logging.getLogger(__name__)

# SQLite reports a file it cannot use as an ordinary OperationalError; these are the ones.
_SQLITE_OUTAGES = ("unable to open database file", "disk i/o error", "readonly database")


def database_name(url: URL) -> str:
    """``postgresql://127.0.0.1:5432/meshslo`` or ``sqlite:///var/lib/meshslo.db``: no user, no password."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:///{url.database or ':memory:'}"
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{backend}://{host}{port}/{url.database or ''}"


class OutageWatch:
    """Turns an engine's outage errors into ``StorageUnavailable`` and logs their start and end."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.monotonic) -> None:
        self.database = database_name(engine.url)
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        event.listen(engine, "handle_error", self._on_error, retval=True)
        event.listen(engine, "after_cursor_execute", self._on_success)

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def _on_error(self, context: ExceptionContext) -> BaseException | None:
        # A failed pre-ping is the pool's business: it reconnects, and a failure to do so comes back here.
        if context.is_pre_ping or not _is_outage(context):
            return None
        with self._lock:
            starting = self._down_since is None
            if starting:
                self._down_since = self._clock()
        if starting:
            log.warning("database unavailable: %s (%s); requests answer 503 until it is back",
                        self.database, _first_line(context.original_exception))
        return StorageUnavailable(self.database)

    def _on_success(self, *_args: Any) -> None:
        if self._down_since is None:  # the usual case: no lock on the path of every statement
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            seconds = self._clock() - since
            log.info("database reachable again: %s (unavailable for %.0f s)", self.database, seconds)


def _is_outage(context: ExceptionContext) -> bool:
    if context.is_disconnect:
        return True
    if context.connection is None:  # no connection could be made at all
        return True
    if context.dialect.name != "sqlite" or not isinstance(context.sqlalchemy_exception, OperationalError):
        return False
    message = str(context.original_exception).lower()
    return any(text in message for text in _SQLITE_OUTAGES)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}".strip()
