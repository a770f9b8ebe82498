"""Burn-rate alerts (SPEC §11): state transitions and what is sent to receivers.

One alert per target × objective × tier. It fires at the first evaluation where
its tier fires and resolves at the first one where it no longer does. A firing
alert is re-posted at every evaluation with ``endsAt`` four intervals ahead (so
Alertmanager keeps it while the master lives and lets it expire if the master
dies); a resolved one is posted with ``endsAt`` = the time it resolved and kept
being posted for a while, so a receiver that missed one round still hears it.
Labels are stable names: routing rules and inhibitions rely on them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from domain.burn_tiers import TierVerdict, window_label
from domain.objectives import SLI
from domain.targets import TargetRecord

FIRING, RESOLVED = "firing", "resolved"
RESOLVED_RESEND_SECONDS = 15 * 60
ENDS_AFTER_INTERVALS = 4
ALERT_NAMES = {SLI.AVAILABILITY: "MeshsloErrorBudgetBurn", SLI.LATENCY: "MeshsloLatencyBudgetBurn"}


@dataclass(frozen=True, slots=True)
class AlertKey:
    cluster_id: str
    target_type: str
    key: str
    slo_window: str
    sli: str
    tier: int


@dataclass(frozen=True, slots=True)
class Alert:
    """The stored state of one alert (SPEC §11 "State")."""

    id: AlertKey
    state: str
    severity: str
    long_window: int  # seconds
    short_window: int
    started_at: int
    resolved_at: int | None
    burn_rate_long: float | None
    burn_rate_short: float | None
    budget_remaining: float | None
    last_sent_at: int | None = None  # last evaluation whose notification every receiver took


def alert_key(target: TargetRecord, sli: SLI, tier: int) -> AlertKey:
    return AlertKey(target.cluster_id, target.target_type, target.key, target.window, sli.value, tier)


def transition(
    previous: Alert | None, key: AlertKey, verdict: TierVerdict, budget: float | None, now: int
) -> Alert | None:
    """The alert's state after this evaluation; ``None`` when it never fired and does not now."""
    burns = {"burn_rate_long": verdict.burn_long, "burn_rate_short": verdict.burn_short,
             "budget_remaining": budget, "long_window": verdict.windows.long,
             "short_window": verdict.windows.short}
    if verdict.firing:
        if previous is not None and previous.state == FIRING:
            return replace(previous, **burns)
        return Alert(key, FIRING, verdict.tier.severity, started_at=now, resolved_at=None, **burns)
    if previous is None:
        return None
    if previous.state == FIRING:
        return replace(previous, state=RESOLVED, resolved_at=now, **burns)
    return previous


def is_due(alert: Alert, now: int) -> bool:
    """Firing alerts always; resolved ones for 15 minutes, and until a receiver took one."""
    if alert.state == FIRING:
        return True
    assert alert.resolved_at is not None
    delivered = alert.last_sent_at is not None and alert.last_sent_at >= alert.resolved_at
    return now - alert.resolved_at <= RESOLVED_RESEND_SECONDS or not delivered


def labels(alert: Alert) -> dict[str, str]:
    key = alert.id
    out = {
        "alertname": ALERT_NAMES[SLI(key.sli)],
        "severity": alert.severity,
        "cluster": key.cluster_id,
        "target_type": key.target_type,
        "key": key.key,
        "slo_window": key.slo_window,
        "long_window": window_label(alert.long_window),
        "short_window": window_label(alert.short_window),
        "burn_tier": str(key.tier),
    }
    if key.target_type == "service":
        namespace, _, workload = key.key.partition("/")
        out["namespace"], out["workload"] = namespace, workload
    return out


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def dashboard_link(public_url: str, key: AlertKey) -> str:
    """A link to the workload (mesh layer) or the domain (domains layer) on the dashboard."""
    base = public_url.rstrip("/") + "/"
    if key.target_type == "service":
        return f"{base}#" + urlencode({"layer": "mesh", "cluster": key.cluster_id, "workload": key.key},
                                      quote_via=quote)
    return f"{base}#" + urlencode({"layer": "domains", "cluster": key.cluster_id, "domain": key.key},
                                  quote_via=quote)


def annotations(alert: Alert, public_url: str) -> dict[str, str]:
    key = alert.id
    what = "error budget" if key.sli == SLI.AVAILABILITY else "latency budget"
    subject = f"{key.target_type} {key.key} in {key.cluster_id}"
    return {
        "summary": f"{subject} burns its {key.slo_window} {what} at {_decimal(alert.burn_rate_long)}x",
        "description": (
            f"Burn rate {_decimal(alert.burn_rate_long)} over {window_label(alert.long_window)} and "
            f"{_decimal(alert.burn_rate_short)} over {window_label(alert.short_window)} "
            f"(tier {key.tier}, {alert.severity}); {_decimal(alert.budget_remaining)} % of the "
            f"{key.slo_window} {what} remains."
        ),
        "burn_rate_long": _decimal(alert.burn_rate_long),
        "burn_rate_short": _decimal(alert.burn_rate_short),
        "error_budget_remaining": _decimal(alert.budget_remaining),
        "dashboard": dashboard_link(public_url, key) if public_url else "",
    }


def _rfc3339(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_receiver(alert: Alert, now: int, interval: int, public_url: str) -> dict[str, object]:
    """An Alertmanager v2 ``postableAlert`` (the webhook adds ``status``)."""
    ends = now + ENDS_AFTER_INTERVALS * interval if alert.state == FIRING else alert.resolved_at
    assert ends is not None
    body: dict[str, object] = {
        "labels": labels(alert),
        "annotations": annotations(alert, public_url),
        "startsAt": _rfc3339(alert.started_at),
        "endsAt": _rfc3339(ends),
    }
    if public_url:
        body["generatorURL"] = dashboard_link(public_url, alert.id)
    return body
