"""``meshslo master``: store snapshots, run the background jobs, serve the API and dashboard.

With ``--workers N`` (N > 1) the process is a parent that migrates the schema
and runs the background jobs (so each job runs once per round whatever N is),
and uvicorn starts N server processes on the one port, each with its own read
cache. Those caches stay correct across processes because every read re-checks
the snapshot log and rollup states it depends on (``adapters.storage.read_cache``):
a snapshot stored through one worker is in the next read through any other.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from typing import Any

from entrypoints.config import load_settings
from entrypoints.master_settings import MasterSettings

__all__ = ["MasterSettings", "build_app", "run", "worker_app"]

log = logging.getLogger("meshslo.master")

DESCRIPTION = "Store agent snapshots, evaluate SLOs, serve the API and the dashboard."

# How the parent hands its settings to the server processes (outside the MESHSLO_ prefix: not a setting).
WORKER_SETTINGS_ENV = "_MESHSLO_WORKER_SETTINGS"


def build_app(settings: MasterSettings, jobs: bool = True):  # type: ignore[no-untyped-def]
    """The FastAPI application for these settings (the container is built here).

    ``jobs=False`` for a server process of ``--workers N``: the parent runs the jobs.
    """
    from dependency_injector import providers

    from adapters.api.app import create_app
    from entrypoints.master_container import MasterContainer
    from entrypoints.master_startup import MasterStartup

    container = MasterContainer(settings=settings)
    if not jobs:
        container.startup.override(
            providers.Factory(MasterStartup, container.schema_migrator, None, warm_up=container.warm_up)
        )
    return create_app(container)


def worker_app():  # type: ignore[no-untyped-def]
    """uvicorn's app factory in each server process of ``--workers N``."""
    settings = MasterSettings(**_worker_settings())
    _configure_logging(settings)
    app = build_app(settings, jobs=False)
    _tune_garbage_collector()
    return app


def _worker_settings() -> dict[str, Any]:
    import json

    values: dict[str, Any] = json.loads(os.environ[WORKER_SETTINGS_ENV])
    return values


def run(argv: list[str]) -> int:
    settings = load_settings(MasterSettings, argv, prog="meshslo master", description=DESCRIPTION)
    _configure_logging(settings)
    if settings.ingest_token is None:
        log.warning("no ingest token configured: any client can post snapshots (set --ingest-token)")
    if settings.allowed_clusters:
        log.info("accepting snapshots from clusters: %s", ", ".join(settings.allowed_clusters))

    from adapters.storage.engine import prepare_sqlite_directory

    problem = prepare_sqlite_directory(settings.database_url)
    if problem:
        print(f"meshslo master: --database-url / MESHSLO_DATABASE_URL: {problem}", file=sys.stderr)
        return 2

    host, port = settings.listen_address
    log.info(
        "starting master on http://%s:%d (database %s, %d server process%s)",
        host, port, _safe_url(settings.database_url), settings.workers, "" if settings.workers == 1 else "es",
    )
    if settings.workers > 1:
        return _run_workers(settings)

    import uvicorn

    app = build_app(settings)
    _tune_garbage_collector()
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level, access_log=False,
                http=_http_protocol(settings))
    return 0


def _http_protocol(settings: MasterSettings) -> Any:
    """uvicorn's h11 server with a deadline for request headers (``--body-timeout`` bounds the body
    once the headers are in: ``adapters.api.body_deadline``)."""
    from functools import partial

    from adapters.api.header_deadline import HeaderDeadlineProtocol

    return partial(HeaderDeadlineProtocol, header_timeout=settings.body_timeout)


def _run_workers(settings: MasterSettings) -> int:
    """Migrate and run the jobs here; serve from ``settings.workers`` processes started by uvicorn."""
    import json

    import uvicorn

    from entrypoints.master_container import MasterContainer
    from entrypoints.master_startup import MasterStartup

    container = MasterContainer(settings=settings)
    # The parent serves nothing: no read cache to warm.
    startup = MasterStartup(container.schema_migrator(), container.jobs())
    startup.start()
    os.environ[WORKER_SETTINGS_ENV] = json.dumps(settings.model_dump(mode="json"))
    host, port = settings.listen_address
    try:
        uvicorn.run(
            "entrypoints.master_cmd:worker_app", factory=True, workers=settings.workers, host=host, port=port,
            log_level=settings.log_level, access_log=False, http=_http_protocol(settings),
        )
    finally:
        startup.stop()
        container.shutdown_resources()
    return 0


def _configure_logging(settings: MasterSettings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level != "debug":
        # Alembic announces every plugin it loads at INFO: noise in a server log.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _tune_garbage_collector() -> None:
    """Keep the cyclic collector from rescanning the whole application on every request.

    A snapshot becomes tens of thousands of short-lived objects; with the
    default thresholds the collector runs many times per snapshot and walks
    every long-lived object (modules, the app, SQLAlchemy's caches) each time,
    which doubled the time to validate a large snapshot. Freezing what exists
    after start-up takes those out of every collection. A 767 KiB snapshot is
    ~30,000 live objects while it is summed: with a first threshold below that
    every snapshot paid one collection walking all of them (5 ms of its ~40);
    at 100,000 most snapshots pay none (they free what they allocate).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # only for the log line; an invalid URL fails later with its own message
        return "<unparseable url>"
