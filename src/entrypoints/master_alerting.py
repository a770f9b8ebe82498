"""What the master's alert evaluator is built from, out of its settings (SPEC §11)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from adapters.alerting.http_notifier import AlertmanagerNotifier, WebhookNotifier
from application.master.alert_evaluator import AlertSettings
from application.ports.alerts import Notifier
from entrypoints.master_settings import MasterSettings

# Retries of one post stop well inside the next round, so a receiver that is down never
# delays evaluation by more than a round.
_MAX_POST_SECONDS = 10.0


def alert_settings(settings: MasterSettings) -> AlertSettings:
    return AlertSettings(
        interval_seconds=max(1, math.ceil(settings.alert_interval)),
        min_bad_events=settings.alert_min_bad_events,
        on_defaults=settings.alert_on_defaults,
        default_availability=settings.default_availability,
        default_p95_ms=settings.default_p95_ms,
        public_url=settings.dashboard_url,
    )


def notifiers(settings: MasterSettings) -> list[Notifier]:
    budget = min(_MAX_POST_SECONDS, max(1.0, settings.alert_interval / 2))
    out: list[Notifier] = [
        AlertmanagerNotifier(url, timeout=budget, max_seconds=budget) for url in settings.alertmanager_url
    ]
    if settings.alert_webhook_url:
        out.append(WebhookNotifier(settings.alert_webhook_url, timeout=budget, max_seconds=budget))
    return out


def receivers(notifiers: Sequence[Notifier]) -> list[str]:
    return sorted({n.receiver for n in notifiers})
