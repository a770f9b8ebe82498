"""Ports of burn-rate alerting (SPEC §11): where alert state lives and who hears of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from domain.alerts import FIRING, Alert, AlertKey


class NotificationFailed(Exception):
    """A receiver did not take a notification (after its retries)."""


@dataclass(frozen=True, slots=True)
class Notification:
    body: dict[str, object]  # an Alertmanager v2 postable alert
    status: str  # "firing" or "resolved"


class Notifier(Protocol):
    @property
    def receiver(self) -> str:
        """Name used in ``meshslo_alert_notifications_total{receiver}``."""
        ...

    def send(self, notifications: Sequence[Notification]) -> None:
        """Deliver all of them or raise :class:`NotificationFailed`."""
        ...


class AlertRound(Protocol):
    """One cluster's notification round, held by at most one master."""

    @property
    def taken(self) -> bool:
        """False when another master holds the round or already did it."""
        ...

    def alerts(self) -> dict[AlertKey, Alert]:
        """Every stored alert of the cluster, firing or resolved."""
        ...

    def save(self, alerts: Iterable[Alert]) -> None:
        """Insert or replace these alerts (one row per alert key) and mark the round done."""
        ...


class AlertStore(Protocol):
    def round(self, cluster_id: str, round_number: int) -> AbstractContextManager[AlertRound]:
        """Take round ``round_number`` (evaluation time // interval) of the cluster; committed on exit."""
        ...

    def listing(
        self,
        state: str | None = None,
        cluster_id: str | None = None,
        target_type: str | None = None,
        key: str | None = None,
    ) -> list[Alert]:
        """Newest first (by started time); ``state`` None lists all."""
        ...

    def delete_resolved_before(self, timestamp: int) -> int: ...


@dataclass(frozen=True, slots=True)
class ObjectiveGauge:
    """One evaluated objective, as ``meshslo_slo_*`` gauges show it (SPEC §11)."""

    cluster_id: str
    target_type: str
    key: str
    sli: str
    slo_window: str
    objective_ratio: float
    good_ratio: float | None
    budget_remaining_ratio: float | None
    burn_rates: dict[str, float]  # window label -> burn rate, windows with requests only


class AlertMetrics(Protocol):
    def notification(self, receiver: str, outcome: str) -> None:
        """``outcome`` is ``sent`` or ``failed``."""
        ...

    def evaluated(self, gauges: Sequence[ObjectiveGauge], firing: dict[str, int]) -> None:
        """Replace the objective gauges and the firing counts by severity with this round's."""
        ...


def firing_keys(store: AlertStore | None, cluster_id: str) -> set[tuple[str, str]]:
    """``(target_type, key)`` of the cluster's firing alerts: such keys are at least in warning."""
    if store is None:
        return set()
    return {(a.id.target_type, a.id.key) for a in store.listing(state=FIRING, cluster_id=cluster_id)}
