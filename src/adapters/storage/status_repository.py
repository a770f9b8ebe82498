"""Status of workloads and domains: the current one per key, and the history of changes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update

from adapters.storage import schema
from adapters.storage.locks import job_lock
from domain.targets import StatusChange

_CURRENT = schema.status_current
_HISTORY = schema.status_history
UNKNOWN = "unknown"  # the status of every key without a status_current row


class SqlStatusUpdate:
    """One cluster's evaluation inside one transaction (see ``StatusUpdate``)."""

    def __init__(self, connection: Connection, cluster_id: str, locked: bool) -> None:
        self._connection = connection
        self._cluster_id = cluster_id
        self.locked = locked

    def current(self) -> dict[tuple[str, str], str]:
        query = select(_CURRENT.c.target_type, _CURRENT.c.key, _CURRENT.c.status).where(
            _CURRENT.c.cluster_id == self._cluster_id
        )
        return {(t, k): s for t, k, s in self._connection.execute(query)}

    def record(self, changes: list[StatusChange]) -> None:
        """History rows for ``changes``; status_current follows each new status.

        A key without a row is ``unknown``, so turning unknown deletes the row:
        workloads that are gone for good do not pile up in status_current.
        """
        if not changes:
            return
        for change in changes:
            if change.cluster_id != self._cluster_id:
                raise ValueError(f"change for {change.cluster_id} recorded in {self._cluster_id}'s update")
        self._connection.execute(insert(_HISTORY), [_history_row(c) for c in changes])
        existing = set(self.current())
        fresh = [c for c in changes if (c.target_type, c.key) not in existing and c.new_status != UNKNOWN]
        if fresh:
            self._connection.execute(insert(_CURRENT), [_current_row(c) for c in fresh])
        for change in changes:
            if (change.target_type, change.key) not in existing:
                continue
            row = and_(
                _CURRENT.c.cluster_id == change.cluster_id,
                _CURRENT.c.target_type == change.target_type,
                _CURRENT.c.key == change.key,
            )
            if change.new_status == UNKNOWN:
                self._connection.execute(delete(_CURRENT).where(row))
            else:
                self._connection.execute(
                    update(_CURRENT).where(row).values(status=change.new_status, updated_at=change.changed_at)
                )


# A history row holds every field of a change; the database numbers it (``id``).
_HISTORY_FIELDS = tuple(f.name for f in fields(StatusChange) if f.name != "id")


def _history_row(change: StatusChange) -> dict[str, Any]:
    return {name: getattr(change, name) for name in _HISTORY_FIELDS}


def _current_row(change: StatusChange) -> dict[str, Any]:
    return {
        "cluster_id": change.cluster_id,
        "target_type": change.target_type,
        "key": change.key,
        "status": change.new_status,
        "updated_at": change.changed_at,
    }


def _change(row: Any) -> StatusChange:
    values = {name: getattr(row, name) for name in _HISTORY_FIELDS}
    return StatusChange(**{**values, "id": int(row.id), "changed_at": int(row.changed_at)})


class SqlStatusRepository:
    """``StatusStore`` for the checker and ``StatusHistoryRepository`` for the API."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def update(self, cluster_id: str) -> Iterator[SqlStatusUpdate]:
        with self._engine.begin() as connection:
            locked = job_lock(connection, f"meshslo.status.{cluster_id}")
            yield SqlStatusUpdate(connection, cluster_id, locked)

    def current(self, cluster_id: str) -> dict[tuple[str, str], str]:
        with self._engine.connect() as connection:
            return SqlStatusUpdate(connection, cluster_id, locked=False).current()

    def domains(self, cluster_id: str) -> dict[str, set[str]]:
        routes = schema.route_mapping
        query = select(routes.c.domain, routes.c.service_key).where(routes.c.cluster_id == cluster_id)
        out: dict[str, set[str]] = {}
        with self._engine.connect() as connection:
            for domain, service_key in connection.execute(query):
                out.setdefault(domain, set()).add(service_key)
        return out

    def changes(
        self,
        cluster_id: str | None = None,
        target_type: str | None = None,
        key: str | None = None,
        since: int | None = None,
        limit: int = 100,
        until: int | None = None,
    ) -> list[StatusChange]:
        """Newest first; ``since`` and ``until`` bound ``changed_at`` inclusively."""
        query = select(_HISTORY)
        if cluster_id is not None:
            query = query.where(_HISTORY.c.cluster_id == cluster_id)
        if target_type is not None:
            query = query.where(_HISTORY.c.target_type == target_type)
        if key is not None:
            query = query.where(_HISTORY.c.key == key)
        if since is not None:
            query = query.where(_HISTORY.c.changed_at >= since)
        if until is not None:
            query = query.where(_HISTORY.c.changed_at <= until)
        query = query.order_by(_HISTORY.c.changed_at.desc(), _HISTORY.c.id.desc()).limit(max(0, limit))
        with self._engine.connect() as connection:
            return [_change(row) for row in connection.execute(query)]
