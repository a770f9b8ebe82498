"""The master's object graph (dependency-injector).

Providers are looked up by name from the HTTP layer (``Provide["ingest_use_case"]``),
so adding a service means adding a provider here and using its name there.
"""

from __future__ import annotations

import operator
import time

from dependency_injector import containers, providers

from adapters.api.auth import ApiTokens
from adapters.observability.alert_metrics import AlertMetricsCollector
from adapters.observability.master_metrics import MasterMetrics
from adapters.storage.alert_repository import SqlAlertRepository
from adapters.storage.engine import make_engine
from adapters.storage.ingest_repository import SqlIngestRepository
from adapters.storage.migrate import SchemaMigrator
from adapters.storage.retention_repository import SqlRetentionRepository
from adapters.storage.rollup_repository import SqlRollupRepository
from adapters.storage.stats_reader import SqlStatsReader
from adapters.storage.status_repository import SqlStatusRepository
from adapters.storage.target_repository import SqlTargetRepository
from application.master.aggregator import Aggregator
from application.master.alert_evaluator import AlertEvaluator
from application.master.cleaner import Cleaner, Retention
from application.master.ingest import IngestUseCase
from application.master.jobs import JobScheduler, ScheduledJob
from application.master.key_traffic import StitchedKeyTraffic
from application.master.readiness import ReadinessCheck
from application.master.status_checker import StatusChecker
from application.master.warm_up import ReadCacheWarmUp
from application.query.service import SloQueryService
from domain.slo import Target
from entrypoints import master_alerting
from entrypoints.master_settings import MasterSettings
from entrypoints.master_startup import MasterStartup


def _dispose(engine):  # type: ignore[no-untyped-def]
    yield engine
    engine.dispose()


class MasterContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=MasterSettings)

    clock = providers.Object(time.time)
    metrics = providers.Singleton(MasterMetrics)

    engine = providers.Resource(_dispose, providers.Singleton(make_engine, settings.provided.database_url))
    schema_migrator = providers.Singleton(SchemaMigrator, engine)

    api_tokens = providers.Singleton(
        ApiTokens, ingest_token=settings.provided.ingest_token, read_token=settings.provided.read_token,
        admin_token=settings.provided.admin_token,
    )
    max_body = providers.Callable(operator.attrgetter("max_body"), settings)
    body_timeout = providers.Callable(operator.attrgetter("body_timeout"), settings)

    ingest_repository = providers.Singleton(SqlIngestRepository, engine)
    ingest_use_case = providers.Singleton(
        IngestUseCase,
        repository=ingest_repository,
        clock=clock,
        allowed_clusters=settings.provided.allowed_clusters,
        raw_retention=settings.provided.raw_retention,
    )

    # Background jobs, started by ``startup`` once the schema is migrated.
    stats_reader = providers.Singleton(SqlStatsReader, engine)
    target_repository = providers.Singleton(SqlTargetRepository, engine)
    status_repository = providers.Singleton(SqlStatusRepository, engine)
    rollup_repository = providers.Singleton(SqlRollupRepository, engine)
    retention_repository = providers.Singleton(SqlRetentionRepository, engine)
    default_target = providers.Singleton(
        Target, availability=settings.provided.default_availability, p95_ms=settings.provided.default_p95_ms
    )
    aggregator = providers.Singleton(
        Aggregator, rollup_repository, raw_retention_seconds=settings.provided.raw_retention
    )
    retention = providers.Singleton(
        Retention,
        raw_seconds=settings.provided.raw_retention,
        hourly_seconds=settings.provided.hourly_retention,
        status_seconds=settings.provided.status_retention,
    )
    cleaner = providers.Singleton(Cleaner, retention_repository, retention)
    # Burn-rate alerts (SPEC §11); a key with a firing alert is at least in warning.
    alert_repository = providers.Singleton(SqlAlertRepository, engine)
    status_checker = providers.Singleton(
        StatusChecker, stats_reader, target_repository, status_repository, default_target, alert_repository
    )
    alert_notifiers = providers.Singleton(master_alerting.notifiers, settings)
    alert_metrics = providers.Singleton(
        AlertMetricsCollector, metrics.provided.registry,
        providers.Callable(master_alerting.receivers, alert_notifiers),
    )
    alert_evaluator = providers.Singleton(
        AlertEvaluator,
        providers.Singleton(StitchedKeyTraffic, stats_reader, status_repository.provided.domains),
        target_repository,
        alert_repository,
        alert_notifiers,
        providers.Singleton(master_alerting.alert_settings, settings),
        alert_metrics,
    )
    # One line per job: its name (threads, logs, metrics), the job and its interval.
    scheduled_jobs = providers.List(
        providers.Factory(ScheduledJob, "aggregator", aggregator, settings.provided.aggregate_interval),
        providers.Factory(ScheduledJob, "status_checker", status_checker, settings.provided.status_interval),
        providers.Factory(ScheduledJob, "cleaner", cleaner, settings.provided.cleanup_interval),
        providers.Factory(ScheduledJob, "alert_evaluator", alert_evaluator, settings.provided.alert_interval),
    )
    jobs = providers.Singleton(JobScheduler, scheduled_jobs, metrics=metrics, clock=clock)

    # Query API (``Provide["query_service"]`` in adapters.api.query).
    query_service = providers.Singleton(
        SloQueryService,
        store=stats_reader,
        targets=target_repository,
        status_history=status_repository,
        defaults=default_target,
        clock=clock,
        alerts=alert_repository,
        public_url=providers.Callable(operator.attrgetter("dashboard_url"), settings),
    )

    # Start-up and readiness: ready once migrated and the read cache is warm.
    warm_up = providers.Singleton(ReadCacheWarmUp, query_service, clock=clock)
    readiness = providers.Singleton(ReadinessCheck, ingest_repository, schema_migrator, warm_up)
    # A new one per app lifespan; the app calls its start() and stop().
    startup = providers.Factory(MasterStartup, schema_migrator, jobs, warm_up=warm_up)
