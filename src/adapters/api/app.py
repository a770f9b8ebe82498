"""The master's FastAPI application: ingest, health, query API and dashboard.

``create_app`` takes the dependency-injector container, wires the API and web
modules to it (handlers receive application services, never the database), and
uses the lifespan to migrate the schema and to start and stop background jobs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from adapters.api import health, ingest

log = logging.getLogger(__name__)

# Every module of these packages that uses ``Provide[...]`` gets the container's providers.
WIRED_PACKAGES = ("adapters.api", "adapters.web")


def _routers() -> list[Any]:
    from adapters.api import query
    from adapters.web import routes

    return [ingest.router, health.router, query.router, routes.router]


def _jobs_of(container: Any) -> Any | None:
    """The container's job scheduler, if it has one (``start()`` / ``stop()``)."""
    provider = getattr(container, "jobs", None)
    return provider() if provider is not None else None


def create_app(container: Any, migrate: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await run_in_threadpool(container.migrate)
        jobs = _jobs_of(container)
        if jobs is not None:
            await run_in_threadpool(jobs.start)
        try:
            yield
        finally:
            if jobs is not None:
                await run_in_threadpool(jobs.stop)
            container.shutdown_resources()

    container.wire(packages=list(WIRED_PACKAGES))
    app = FastAPI(
        title="meshslo master",
        description="Service-level objectives for Linkerd meshes and Traefik / ingress-nginx ingresses",
        version="1",
        lifespan=lifespan,
    )
    app.state.container = container
    for router in _routers():
        app.include_router(router)
    return app
