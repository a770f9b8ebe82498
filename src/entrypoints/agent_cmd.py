"""``meshslo agent``: scrape the metrics endpoint every interval and ship snapshots to the master."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from entrypoints.agent_settings import AgentSettings
from entrypoints.config import load_settings

__all__ = ["AgentSettings", "run"]

log = logging.getLogger("meshslo.agent")

DESCRIPTION = (
    "Scrape a Prometheus endpoint (the OpenTelemetry Collector's by default) every interval, "
    "turn the Linkerd and ingress counters into per-interval increments and send one snapshot "
    "to the master. Snapshots the master cannot take wait in an on-disk spool."
)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # Request lines of the HTTP clients would drown the agent's own lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def install_stop_handlers(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("%s again: exiting now", name)
            raise SystemExit(128 + signum)
        log.info("%s received: finishing the current cycle, flushing the spool, saving state", name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handle)


def run(argv: list[str]) -> int:
    settings = load_settings(AgentSettings, argv, prog="meshslo agent", description=DESCRIPTION)
    configure_logging(settings.log_level)

    from entrypoints.agent_container import AgentContainer

    container = AgentContainer(settings=settings)
    try:
        loop = container.loop()
        server = container.http_server()
    except Exception as error:  # routes, spool or listen address unusable: a configuration problem
        print(f"meshslo agent: cannot start: {error}", file=sys.stderr)
        return 2

    install_stop_handlers(container.stop())
    log.info(
        "agent for cluster %s: scraping %s every %gs, sending to %s (spool %s, max %d%s)",
        settings.cluster_id, settings.metrics_url, settings.interval, settings.master_url,
        settings.spool_dir, settings.spool_max,
        f", state {settings.state_file}" if settings.state_file else ", no state file",
    )
    if settings.ingest_token is None:
        log.info("no ingest token: the master must accept open ingest")
    if server is not None:
        server.start()
    try:
        return loop.run()
    finally:
        if server is not None:
            server.stop()
        container.master_client().close()
        container.metrics_source().close()
        container.spool().close()
