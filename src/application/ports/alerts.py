"""Ports of burn-rate alerting (SPEC §11): where alert state lives and who hears of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.alerts import Alert, AlertKey


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


class AlertStore(Protocol):
    def alerts(self, cluster_id: str) -> dict[AlertKey, Alert]:
        """Every stored alert of the cluster, firing or resolved."""
        ...

    def save(self, alerts: Iterable[Alert]) -> None:
        """Insert or replace these alerts (one row per alert key), in one transaction."""
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
