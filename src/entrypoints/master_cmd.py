"""``meshslo master``: store snapshots, run the background jobs, serve the API and dashboard."""

from __future__ import annotations

import gc
import logging
import sys

from entrypoints.config import load_settings
from entrypoints.master_settings import MasterSettings

__all__ = ["MasterSettings", "build_app", "run"]

log = logging.getLogger("meshslo.master")

DESCRIPTION = "Store agent snapshots, evaluate SLOs, serve the API and the dashboard."


def build_app(settings: MasterSettings):  # type: ignore[no-untyped-def]
    """The FastAPI application for these settings (the container is built here)."""
    from adapters.api.app import create_app
    from entrypoints.master_container import MasterContainer

    return create_app(MasterContainer(settings=settings))


def run(argv: list[str]) -> int:
    settings = load_settings(MasterSettings, argv, prog="meshslo master", description=DESCRIPTION)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level != "debug":
        # Alembic announces every plugin it loads at INFO: noise in a server log.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if settings.ingest_token is None:
        log.warning("no ingest token configured: any client can post snapshots (set --ingest-token)")
    if settings.allowed_clusters:
        log.info("accepting snapshots from clusters: %s", ", ".join(settings.allowed_clusters))

    from adapters.storage.engine import prepare_sqlite_directory

    problem = prepare_sqlite_directory(settings.database_url)
    if problem:
        print(f"meshslo master: --database-url / MESHSLO_DATABASE_URL: {problem}", file=sys.stderr)
        return 2

    import uvicorn

    host, port = settings.listen_address
    app = build_app(settings)
    _tune_garbage_collector()
    log.info("starting master on http://%s:%d (database %s)", host, port, _safe_url(settings.database_url))
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level, access_log=False)
    return 0


def _tune_garbage_collector() -> None:
    """Keep the cyclic collector from rescanning the whole application on every request.

    A snapshot becomes tens of thousands of short-lived objects; with the
    default thresholds the collector runs many times per snapshot and walks
    every long-lived object (modules, the app, SQLAlchemy's caches) each time,
    which doubled the time to validate a large snapshot. Freezing what exists
    after start-up takes those out of every collection.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # only for the log line; an invalid URL fails later with its own message
        return "<unparseable url>"
