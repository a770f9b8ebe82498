"""SLO targets (``TargetRepository``): one row per (cluster, type, key, window), upserted."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from adapters.storage import schema
from domain.target_rules import validate_target
from domain.targets import TargetRecord

_TABLE = schema.targets
_KEY_COLUMNS = ("cluster_id", "target_type", "key", "window")


def _record(row: Any) -> TargetRecord:
    return TargetRecord(
        cluster_id=row.cluster_id,
        target_type=row.target_type,
        key=row.key,
        window=row.window,
        availability_target=_number(row.availability_target),
        p95_target_ms=_number(row.p95_target_ms),
        updated_at=int(row.updated_at),
        latency_threshold_ms=_number(row.latency_threshold_ms),
        latency_target=_number(row.latency_target),
        alerting=bool(row.alerting),
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


class SqlTargetRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list(self, cluster_id: str | None = None, target_type: str | None = None) -> list[TargetRecord]:
        query = select(_TABLE)
        if cluster_id is not None:
            query = query.where(_TABLE.c.cluster_id == cluster_id)
        if target_type is not None:
            query = query.where(_TABLE.c.target_type == target_type)
        query = query.order_by(_TABLE.c.cluster_id, _TABLE.c.target_type, _TABLE.c.key, _TABLE.c.window)
        with self._engine.connect() as connection:
            return [_record(row) for row in connection.execute(query)]

    def upsert(self, target: TargetRecord) -> TargetRecord:
        """Validate and store; an existing target for the same window is replaced."""
        validate_target(target)
        if not target.updated_at:
            target = replace(target, updated_at=int(time.time()))
        values = {
            "cluster_id": target.cluster_id,
            "target_type": target.target_type,
            "key": target.key,
            "window": target.window,
            "availability_target": target.availability_target,
            "p95_target_ms": target.p95_target_ms,
            "updated_at": target.updated_at,
            "latency_threshold_ms": target.latency_threshold_ms,
            "latency_target": target.latency_target,
            "alerting": target.alerting,
        }
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(_TABLE).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[_TABLE.c.cluster_id, _TABLE.c.target_type, _TABLE.c.key, _TABLE.c.window],
            set_={name: statement.excluded[name] for name in values if name not in _KEY_COLUMNS},
        )
        with self._engine.begin() as connection:
            connection.execute(statement)
        return target

    def delete(self, cluster_id: str, target_type: str, key: str, window: str) -> int:
        statement = delete(_TABLE).where(
            _TABLE.c.cluster_id == cluster_id,
            _TABLE.c.target_type == target_type,
            _TABLE.c.key == key,
            _TABLE.c.window == window,
        )
        with self._engine.begin() as connection:
            return int(connection.execute(statement).rowcount or 0)
