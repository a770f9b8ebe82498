"""The master's object graph (dependency-injector).

Providers are looked up by name from the HTTP layer (``Provide["ingest_use_case"]``),
so adding a service means adding a provider here and using its name there.
"""

from __future__ import annotations

import operator
import time

from dependency_injector import containers, providers

from adapters.api.auth import ApiTokens
from adapters.observability.master_metrics import MasterMetrics
from adapters.storage.engine import create_schema, make_engine
from adapters.storage.ingest_repository import SqlIngestRepository
from application.master.ingest import IngestUseCase
from application.master.readiness import ReadinessCheck
from entrypoints.master_settings import MasterSettings


def _dispose(engine):  # type: ignore[no-untyped-def]
    yield engine
    engine.dispose()


class MasterContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=MasterSettings)

    clock = providers.Object(time.time)
    metrics = providers.Singleton(MasterMetrics)

    engine = providers.Resource(_dispose, providers.Singleton(make_engine, settings.provided.database_url))
    migrate = providers.Callable(create_schema, engine)

    api_tokens = providers.Singleton(
        ApiTokens, ingest_token=settings.provided.ingest_token, read_token=settings.provided.read_token
    )
    max_body = providers.Callable(operator.attrgetter("max_body"), settings)

    ingest_repository = providers.Singleton(SqlIngestRepository, engine)
    ingest_use_case = providers.Singleton(
        IngestUseCase,
        repository=ingest_repository,
        clock=clock,
        allowed_clusters=settings.provided.allowed_clusters,
    )
    readiness = providers.Singleton(ReadinessCheck, ingest_repository)
