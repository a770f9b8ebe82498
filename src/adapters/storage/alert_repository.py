"""Alert state and notification rounds (SPEC §11) on SQLAlchemy Core.

A round runs in one transaction: the cluster's advisory lock (PostgreSQL) keeps
a second master out while the first evaluates and notifies, and ``alert_rounds``
keeps it out afterwards, so a master whose clock puts it in a round already done
skips it instead of notifying again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, select

from adapters.storage import dialect, schema
from adapters.storage.locks import job_lock
from domain.alerts import Alert, AlertKey

_STATE = schema.alert_state
_ROUNDS = schema.alert_rounds
_KEY_COLUMNS = ("cluster_id", "target_type", "key", "slo_window", "sli", "tier")
_VALUE_COLUMNS = ("state", "severity", "long_window", "short_window", "started_at", "resolved_at",
                  "burn_rate_long", "burn_rate_short", "budget_remaining", "last_sent_at")


def _row(alert: Alert) -> dict[str, Any]:
    key = alert.id
    return {
        "cluster_id": key.cluster_id, "target_type": key.target_type, "key": key.key,
        "slo_window": key.slo_window, "sli": key.sli, "tier": key.tier,
        **{name: getattr(alert, name) for name in _VALUE_COLUMNS},
    }


def _alert(row: Any) -> Alert:
    key = AlertKey(row.cluster_id, row.target_type, row.key, row.slo_window, row.sli, int(row.tier))
    return Alert(
        id=key, state=row.state, severity=row.severity, long_window=int(row.long_window),
        short_window=int(row.short_window), started_at=int(row.started_at),
        resolved_at=None if row.resolved_at is None else int(row.resolved_at),
        burn_rate_long=row.burn_rate_long, burn_rate_short=row.burn_rate_short,
        budget_remaining=row.budget_remaining,
        last_sent_at=None if row.last_sent_at is None else int(row.last_sent_at),
    )


class SqlAlertRound:
    """One cluster's round inside one transaction (see ``AlertRound``)."""

    def __init__(self, connection: Connection, cluster_id: str, round_number: int, taken: bool,
                 now: int) -> None:
        self._connection = connection
        self._cluster_id = cluster_id
        self._round = round_number
        self._now = now
        self.taken = taken

    def alerts(self) -> dict[AlertKey, Alert]:
        query = select(_STATE).where(_STATE.c.cluster_id == self._cluster_id)
        return {alert.id: alert for alert in map(_alert, self._connection.execute(query))}

    def save(self, alerts: Iterable[Alert]) -> None:
        if not self.taken:
            raise RuntimeError(f"round {self._round} of {self._cluster_id} is not held by this master")
        rows = [_row(a) for a in alerts]
        for row in rows:
            if row["cluster_id"] != self._cluster_id:
                raise ValueError(f"alert of {row['cluster_id']} saved in {self._cluster_id}'s round")
        if rows:
            upsert = dialect.insert(self._connection, _STATE)
            upsert = upsert.on_conflict_do_update(
                index_elements=list(_KEY_COLUMNS),
                set_={name: upsert.excluded[name] for name in _VALUE_COLUMNS},
            )
            self._connection.execute(upsert, rows)
        mark = dialect.insert(self._connection, _ROUNDS).values(
            cluster_id=self._cluster_id, last_round=self._round, done_at=self._now)
        self._connection.execute(mark.on_conflict_do_update(
            index_elements=["cluster_id"], set_={"last_round": self._round, "done_at": self._now}))


class SqlAlertRepository:
    """``AlertStore`` for the evaluator and the alerts API."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    @contextmanager
    def round(self, cluster_id: str, round_number: int) -> Iterator[SqlAlertRound]:
        with self._engine.begin() as connection:
            taken = job_lock(connection, f"meshslo.alerts.{cluster_id}")
            if taken:
                last = connection.execute(
                    select(_ROUNDS.c.last_round).where(_ROUNDS.c.cluster_id == cluster_id)
                ).scalar_one_or_none()
                taken = last is None or last < round_number
            yield SqlAlertRound(connection, cluster_id, round_number, taken, int(self._clock()))

    def listing(
        self,
        state: str | None = None,
        cluster_id: str | None = None,
        target_type: str | None = None,
        key: str | None = None,
    ) -> list[Alert]:
        query = select(_STATE)
        for column, value in (("state", state), ("cluster_id", cluster_id), ("target_type", target_type),
                              ("key", key)):
            if value is not None:
                query = query.where(_STATE.c[column] == value)
        query = query.order_by(_STATE.c.started_at.desc(), *(_STATE.c[c] for c in _KEY_COLUMNS))
        with self._engine.connect() as connection:
            return [_alert(row) for row in connection.execute(query)]

    def delete_resolved_before(self, timestamp: int) -> int:
        statement = delete(_STATE).where(and_(_STATE.c.resolved_at.is_not(None),
                                              _STATE.c.resolved_at < timestamp))
        with self._engine.begin() as connection:
            return int(connection.execute(statement).rowcount)
