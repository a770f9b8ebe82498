"""SLO targets (``TargetRepository``): one row per (cluster, type, key, window), upserted."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from adapters.storage import schema
from domain.target_rules import validate_target
from domain.targets import TargetRecord

_TABLE = schema.targets


def _record(row: Any) -> TargetRecord:
    return TargetRecord(
        cluster_id=row.cluster_id,
        target_type=row.target_type,
        key=row.key,
        window=row.window,
        availability_target=float(row.availability_target),
        p95_target_ms=float(row.p95_target_ms),
        updated_at=int(row.updated_at),
    )


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
        }
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(_TABLE).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[_TABLE.c.cluster_id, _TABLE.c.target_type, _TABLE.c.key, _TABLE.c.window],
            set_={
                "availability_target": statement.excluded.availability_target,
                "p95_target_ms": statement.excluded.p95_target_ms,
                "updated_at": statement.excluded.updated_at,
            },
        )
        with self._engine.begin() as connection:
            connection.execute(statement)
        return target
