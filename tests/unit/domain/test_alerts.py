"""Alert state transitions, re-post rules and the labels and annotations of SPEC §11."""

from __future__ import annotations

from dataclasses import replace

from domain.alerts import (
    FIRING,
    RESOLVED,
    Alert,
    alert_key,
    annotations,
    is_due,
    labels,
    to_receiver,
    transition,
)
from domain.burn_tiers import TIERS, judge, tier_windows
from domain.objectives import SLI, Events
from domain.targets import TargetRecord

TARGET = TargetRecord("prod-eu-1", "service", "shop/checkout", "30d", 99.0, 300.0)
KEY = alert_key(TARGET, SLI.AVAILABILITY, 1)
TIER = TIERS[0]
WINDOWS = tier_windows(TIER, "30d")
BURNING = judge(TIER, WINDOWS, Events(10_000, 2290), Events(1000, 229), 99.0)
CALM = judge(TIER, WINDOWS, Events(10_000, 10), Events(1000, 1), 99.0)
T0 = 1_764_312_000


def test_fires_then_stays_firing_with_its_start_then_resolves() -> None:
    assert BURNING.firing and not CALM.firing
    assert transition(None, KEY, CALM, 80.0, T0) is None
    fired = transition(None, KEY, BURNING, -12.5, T0)
    assert fired is not None and fired.state == FIRING and fired.started_at == T0
    assert fired.severity == "page" and fired.burn_rate_long is not None
    again = transition(fired, KEY, BURNING, -13.0, T0 + 60)
    assert again is not None and again.started_at == T0 and again.budget_remaining == -13.0
    resolved = transition(again, KEY, CALM, -13.0, T0 + 120)
    assert resolved is not None and resolved.state == RESOLVED and resolved.resolved_at == T0 + 120
    assert transition(resolved, KEY, CALM, -13.0, T0 + 180) == resolved
    refired = transition(resolved, KEY, BURNING, -14.0, T0 + 240)
    assert refired is not None and refired.state == FIRING and refired.started_at == T0 + 240
    assert refired.resolved_at is None


def _alert(state: str, resolved_at: int | None = None, last_sent_at: int | None = None) -> Alert:
    fired = transition(None, KEY, BURNING, -12.5, T0)
    assert fired is not None
    return replace(fired, state=state, resolved_at=resolved_at, last_sent_at=last_sent_at)


def test_resolved_alerts_are_reposted_for_15_minutes_and_until_delivered() -> None:
    assert is_due(_alert(FIRING), T0 + 10_000)
    resolved = _alert(RESOLVED, resolved_at=T0, last_sent_at=T0)
    assert is_due(resolved, T0 + 900)
    assert not is_due(resolved, T0 + 901)
    undelivered = _alert(RESOLVED, resolved_at=T0, last_sent_at=T0 - 60)
    assert is_due(undelivered, T0 + 5000)


def test_labels_of_spec_11() -> None:
    assert labels(_alert(FIRING)) == {
        "alertname": "MeshsloErrorBudgetBurn", "severity": "page", "cluster": "prod-eu-1",
        "target_type": "service", "key": "shop/checkout", "namespace": "shop", "workload": "checkout",
        "slo_window": "30d", "long_window": "1h", "short_window": "5m", "burn_tier": "1",
    }


def test_ingress_and_latency_labels() -> None:
    target = TargetRecord("c1", "ingress", "shop.example.com", "1d", 99.0, 300.0)
    tier = TIERS[3]
    verdict = judge(tier, tier_windows(tier, "1d"), Events(100, 50), Events(100, 50), 99.0)
    alert = transition(None, alert_key(target, SLI.LATENCY, 4), verdict, -10.0, T0)
    assert alert is not None
    got = labels(alert)
    assert got["alertname"] == "MeshsloLatencyBudgetBurn" and got["severity"] == "ticket"
    assert got["long_window"] == "144m" and got["short_window"] == "12m" and got["burn_tier"] == "4"
    assert "namespace" not in got and "workload" not in got


def test_annotations_are_strings_with_decimal_burn_rates() -> None:
    got = annotations(_alert(FIRING), "https://slo.example.com/")
    assert all(isinstance(v, str) for v in got.values())
    assert got["burn_rate_long"] == "22.9" and got["burn_rate_short"] == "22.9"
    assert got["error_budget_remaining"] == "-12.5"
    assert got["dashboard"].startswith("https://slo.example.com/#layer=mesh&cluster=prod-eu-1&workload=shop%2Fcheckout")


def test_receiver_body_ends_four_intervals_ahead_while_firing() -> None:
    body = to_receiver(_alert(FIRING), T0 + 600, 60, "http://m/")
    assert body["startsAt"] == "2025-11-28T06:40:00Z"
    assert body["endsAt"] == "2025-11-28T06:54:00Z"
    assert body["generatorURL"] == body["annotations"]["dashboard"]  # type: ignore[index]
    resolved = to_receiver(_alert(RESOLVED, resolved_at=T0 + 300), T0 + 600, 60, "http://m/")
    assert resolved["endsAt"] == "2025-11-28T06:45:00Z"
