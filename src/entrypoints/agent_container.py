"""The agent's object graph (dependency-injector).

Every long-lived object is a Singleton built from the validated settings, so
tests can override one provider (``container.metrics_source.override(...)``)
and get the rest of the real graph.
"""

from __future__ import annotations

import threading
import time
from importlib import metadata

from dependency_injector import containers, providers

from adapters.agent_http.metrics import agent_registry
from adapters.agent_http.server import AgentHttpServer
from adapters.agent_state.state_file import StateFile
from adapters.exposition.parser import ExpositionParser
from adapters.ingress_routes.factory import route_source_from_setting
from adapters.master_client.http_client import HttpMasterClient, RetryPolicy
from adapters.master_client.spool import DiskSpool
from adapters.scrape.http_source import HttpMetricsSource
from application.agent.collect import CollectOptions, CollectUseCase
from application.agent.cycle import AgentLoop, LoopOptions
from application.agent.send import SendUseCase
from application.agent.status import AgentStatus
from entrypoints.agent_settings import AgentSettings
from entrypoints.listen import parse_listen

# /healthz turns 503 after this many intervals without a successful cycle.
STALE_INTERVALS = 3
MIN_STALE_SECONDS = 60.0


def agent_version() -> str:
    try:
        return metadata.version("meshslo")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def collect_options(settings: AgentSettings) -> CollectOptions:
    return CollectOptions(
        cluster_id=settings.cluster_id,
        agent_version=agent_version(),
        exclude_namespaces=frozenset(settings.exclude_namespaces),
        admin_port=str(settings.admin_port),
        probe_compensation=settings.probe_compensation,
    )


def loop_options(settings: AgentSettings) -> LoopOptions:
    return LoopOptions(
        cluster_id=settings.cluster_id,
        interval=settings.interval,
        cycles=settings.cycles,
        flush_timeout=settings.flush_timeout,
        state_max_age=settings.state_max_age,
    )


def master_timeout(settings: AgentSettings) -> float:
    # One request may use an interval, within 1–10 s: long enough for a big
    # snapshot, short enough that a hung master does not stall the schedule.
    return max(1.0, min(10.0, settings.interval))


def flush_budget(settings: AgentSettings) -> float:
    # Half an interval of re-sending per cycle keeps the scrapes on schedule
    # while a long backlog drains.
    return max(1.0, settings.interval / 2)


def make_state_store(settings: AgentSettings) -> StateFile | None:
    return StateFile(settings.state_file) if settings.state_file else None


def make_http_server(
    settings: AgentSettings, status: AgentStatus, sender: SendUseCase, registry: object
) -> AgentHttpServer | None:
    address = parse_listen(settings.agent_listen)
    if address is None:
        return None
    stale_after = max(MIN_STALE_SECONDS, STALE_INTERVALS * settings.interval + settings.scrape_timeout)
    return AgentHttpServer(address[0], address[1], status, sender, registry,  # type: ignore[arg-type]
                           stale_after=stale_after)


class AgentContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=AgentSettings)

    stop = providers.Singleton(threading.Event)
    clock = providers.Object(time.time)
    status = providers.Singleton(AgentStatus)

    parser = providers.Singleton(
        ExpositionParser, settings.provided.metric_prefix, max_series=settings.provided.max_series
    )
    metrics_source = providers.Singleton(
        HttpMetricsSource,
        metrics_url=settings.provided.metrics_url,
        health_url=providers.Callable(lambda url: url or None, settings.provided.health_url),
        timeout=settings.provided.scrape_timeout,
        parser=parser,
        max_bytes=settings.provided.max_scrape_bytes,
    )
    route_source = providers.Singleton(
        route_source_from_setting, settings.provided.routes, settings.provided.kubeconfig
    )
    collect_use_case = providers.Singleton(
        CollectUseCase, metrics_source, route_source, providers.Callable(collect_options, settings)
    )

    master_client = providers.Singleton(
        HttpMasterClient,
        master_url=settings.provided.master_url,
        token=settings.provided.ingest_token,
        timeout=providers.Callable(master_timeout, settings),
        policy=providers.Callable(RetryPolicy.for_interval, settings.provided.interval),
        interrupt=stop,
        max_snapshot_bytes=settings.provided.max_snapshot_bytes,
    )
    spool = providers.Singleton(DiskSpool, settings.provided.spool_dir, settings.provided.spool_max)
    state_store = providers.Singleton(make_state_store, settings)
    send_use_case = providers.Singleton(
        SendUseCase, master_client, spool, flush_budget=providers.Callable(flush_budget, settings)
    )

    loop = providers.Singleton(
        AgentLoop,
        collector=collect_use_case,
        sender=send_use_case,
        options=providers.Callable(loop_options, settings),
        stop=stop,
        status=status,
        state_store=state_store,
        health_check=metrics_source.provided.healthy,
        wall_clock=clock,
    )

    metrics_registry = providers.Singleton(agent_registry, status, send_use_case)
    http_server = providers.Singleton(make_http_server, settings, status, send_use_case, metrics_registry)
