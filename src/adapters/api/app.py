"""The master's FastAPI application: ingest, health, query API and dashboard.

``create_app`` takes the dependency-injector container, wires the API and web
modules to it (handlers receive application services, never the database), and
runs the container's start-up (migrations, background jobs) in the lifespan.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from adapters.api import docs, health, ingest
from adapters.api.body_deadline import BodyDeadline
from adapters.api.body_limit import OTHER_BODY_LIMIT, BodyLimit
from adapters.api.http_errors import install_error_handlers
from adapters.api.openapi import install_document
from application.ports.storage import StorageUnavailable

# Every module of these packages that uses ``Provide[...]`` gets the container's providers.
WIRED_PACKAGES = ("adapters.api", "adapters.web")


def _routers() -> list[Any]:
    from adapters.api import alerts, query
    from adapters.web import routes

    return [ingest.router, health.router, query.router, alerts.router, routes.router, docs.router]


class Lifecycle(Protocol):
    """What runs when the app starts and stops (migrations, background jobs), built by the container."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def create_app(container: Any) -> FastAPI:
    """The app of ``container``, whose ``startup`` provider gives each lifespan its ``Lifecycle``."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        startup: Lifecycle = container.startup()
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
    install_error_handlers(app)
    app.add_exception_handler(StorageUnavailable, _storage_unavailable)
    # Outermost last: the deadline wraps what the limit reads.
    app.add_middleware(BodyLimit, limit=OTHER_BODY_LIMIT, exempt_paths=frozenset({ingest.SNAPSHOT_PATH}))
    app.add_middleware(BodyDeadline, seconds=container.body_timeout())
    for router in _routers():
        app.include_router(router)
    install_document(app, container.api_tokens())
    return app


async def _storage_unavailable(_request: Request, error: Exception) -> JSONResponse:
    """503 with one line naming the database; the storage adapter logged the outage once."""
    return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": "5"})

