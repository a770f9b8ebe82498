"""The master's FastAPI application: ingest, health, query API and dashboard.

``create_app`` takes the dependency-injector container, wires the API and web
modules to it (handlers receive application services, never the database), and
uses the lifespan to migrate the schema and to start and stop background jobs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from adapters.api import docs, health, ingest

log = logging.getLogger(__name__)

# Every module of these packages that uses ``Provide[...]`` gets the container's providers.
WIRED_PACKAGES = ("adapters.api", "adapters.web")


def _routers() -> list[Any]:
    from adapters.api import query
    from adapters.web import routes

    return [ingest.router, health.router, query.router, routes.router, docs.router]


def _jobs_of(container: Any) -> Any | None:
    """The container's job scheduler, if it has one (``start()`` / ``stop()``)."""
    provider = getattr(container, "jobs", None)
    return provider() if provider is not None else None


class _Startup:
    """Migrate, then start the jobs; when the database is not there yet, do both once it is."""

    def __init__(self, container: Any, migrate: bool) -> None:
        self._container = container
        self._migrate = migrate
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._jobs: Any | None = None
        self._jobs_lock = threading.Lock()

    def start(self) -> None:
        migrator = self._container.schema_migrator()
        if not self._migrate:
            migrator.mark_ready()
        elif not migrator.try_once():
            self._thread = threading.Thread(
                target=self._migrate_then_start_jobs, args=(migrator,), name="meshslo-migrate", daemon=True
            )
            self._thread.start()
            return
        self._start_jobs()

    def _migrate_then_start_jobs(self, migrator: Any) -> None:
        if migrator.keep_trying(self._stop):
            log.info("database schema migrated")
            self._start_jobs()

    def _start_jobs(self) -> None:
        with self._jobs_lock:
            if self._stop.is_set():
                return
            self._jobs = _jobs_of(self._container)
            if self._jobs is not None:
                self._jobs.start()

    def stop(self) -> None:
        with self._jobs_lock:
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._jobs is not None:
            self._jobs.stop()


def create_app(container: Any, migrate: bool = True) -> FastAPI:
    """``migrate=False`` when the caller has already brought the schema up to date."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        startup = _Startup(container, migrate)
        await run_in_threadpool(startup.start)
        try:
            yield
        finally:
            await run_in_threadpool(startup.stop)
            container.shutdown_resources()

    container.wire(packages=list(WIRED_PACKAGES))
    app = FastAPI(
        title="meshslo master",
        description="Service-level objectives for Linkerd meshes and Traefik / ingress-nginx ingresses",
        version="1",
        lifespan=lifespan,
        **docs.APP_OPTIONS,
    )
    app.state.container = container
    for router in _routers():
        app.include_router(router)
    _document_contract(app)
    return app


def _document_contract(app: FastAPI) -> None:
    """Add the snapshot contract's models to the OpenAPI document (the ingest body refers to them)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(ingest.contract_schemas())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
