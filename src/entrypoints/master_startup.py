"""What the master does when its app starts and stops: migrate, then run the background jobs.

Once the schema is in place the read cache is warmed (``application.master.warm_up``)
in the background and readiness waits for it, so the first dashboard after a
start is answered from a warm cache. The start waits a few seconds for the
warm-up (a small store is served warm from its first request) but never
longer: ``/healthz`` must answer well within a liveness probe's patience
while a large store warms.

A master that starts before its database answers stays up (not ready, ingest
answering 503 so that agents spool) and keeps migrating in the background;
the jobs start once the schema is in place, never against a missing one.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from adapters.storage.migrate import SchemaMigrator

log = logging.getLogger(__name__)

# How long the app's start waits for the warm-up before serving (readiness keeps waiting).
WARM_UP_WAIT_SECONDS = 5.0


class BackgroundJobs(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


class WarmUp(Protocol):
    def run(self, stop: threading.Event | None = None) -> None: ...


class MasterStartup:
    """One app lifespan: ``start()`` when it begins, ``stop()`` when it ends.

    ``jobs`` is None where a test wants the API without background jobs, and in
    the server processes of ``--workers N`` (the parent runs them);
    ``migrate=False`` when the caller has already brought the schema up to date;
    ``warm_up`` None to serve with a cold read cache.
    """

    def __init__(
        self,
        migrator: SchemaMigrator,
        jobs: BackgroundJobs | None,
        migrate: bool = True,
        warm_up: WarmUp | None = None,
    ) -> None:
        self._migrator = migrator
        self._jobs = jobs
        self._migrate = migrate
        self._warm_up = warm_up
        self._warm_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._jobs_started = False
        # Taken by the migration thread to start the jobs and by stop(): they never start after a stop.
        self._jobs_lock = threading.Lock()

    def start(self) -> None:
        if not self._migrate:
            self._migrator.mark_ready()
        elif not self._migrator.try_once():
            self._thread = threading.Thread(
                target=self._migrate_then_start_jobs, name="meshslo-migrate", daemon=True
            )
            self._thread.start()
            return
        self._start_jobs()
        if self._warm_up is not None:
            self._warm_thread = threading.Thread(
                target=self._warm_up.run, args=(self._stop,), name="meshslo-warm-up", daemon=True
            )
            self._warm_thread.start()
            self._warm_thread.join(timeout=WARM_UP_WAIT_SECONDS)

    def _migrate_then_start_jobs(self) -> None:
        if self._migrator.keep_trying(self._stop):
            log.info("database schema migrated")
            self._start_jobs()
            if self._warm_up is not None:
                self._warm_up.run(self._stop)

    def _start_jobs(self) -> None:
        with self._jobs_lock:
            if self._stop.is_set() or self._jobs is None:
                return
            self._jobs.start()
            self._jobs_started = True

    def stop(self) -> None:
        with self._jobs_lock:
            self._stop.set()
        for thread in (self._thread, self._warm_thread):
            if thread is not None:
                thread.join(timeout=30)
        if self._jobs_started and self._jobs is not None:
            self._jobs.stop()
