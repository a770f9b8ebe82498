"""The Alertmanager notifier against a real Alertmanager: posted, visible, resolved, and a
receiver that is down fails fast without raising anything but NotificationFailed."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from tests.e2e.alertmanager_process import active_alerts, running_alertmanager
from tests.e2e.processes import free_port

from adapters.alerting.http_notifier import AlertmanagerNotifier
from application.ports.alerts import Notification, NotificationFailed
from domain.alerts import RESOLVED, alert_key, to_receiver, transition
from domain.burn_tiers import TIERS, judge, tier_windows
from domain.objectives import SLI, Events
from domain.targets import TargetRecord

pytestmark = pytest.mark.e2e


def _firing_alert(now: int):
    target = TargetRecord("prod-eu-1", "service", "shop/checkout", "30d", 99.0, 300.0)
    tier = TIERS[0]
    verdict = judge(tier, tier_windows(tier, "30d"), Events(10_000, 2290), Events(1000, 229), 99.0)
    alert = transition(None, alert_key(target, SLI.AVAILABILITY, 1), verdict, -12.5, now - 120)
    assert alert is not None
    return alert


def test_posted_alert_shows_in_alertmanager_with_every_label_then_resolves(tmp_path: Path) -> None:
    with running_alertmanager(tmp_path) as url:
        now = int(time.time())
        alert = _firing_alert(now)
        notifier = AlertmanagerNotifier(url)
        notifier.send([Notification(to_receiver(alert, now, 60, "http://meshslo.example/"), "firing")])
        deadline = time.monotonic() + 10
        while not (alerts := active_alerts(url)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(alerts) == 1
        got = alerts[0]
        assert got["labels"] == {
            "alertname": "MeshsloErrorBudgetBurn", "severity": "page", "cluster": "prod-eu-1",
            "target_type": "service", "key": "shop/checkout", "namespace": "shop", "workload": "checkout",
            "slo_window": "30d", "long_window": "1h", "short_window": "5m", "burn_tier": "1"}
        assert got["annotations"]["error_budget_remaining"] == "-12.5"  # type: ignore[index]
        assert got["status"]["state"] == "active"  # type: ignore[index]

        resolved = replace(alert, state=RESOLVED, resolved_at=now)
        body = to_receiver(resolved, now + 1, 60, "http://meshslo.example/")
        notifier.send([Notification(body, "resolved")])
        deadline = time.monotonic() + 10
        while active_alerts(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert active_alerts(url) == []


def test_a_receiver_that_is_down_fails_within_its_bound() -> None:
    notifier = AlertmanagerNotifier(f"http://127.0.0.1:{free_port()}", attempts=3, max_seconds=3)
    now = int(time.time())
    started = time.monotonic()
    with pytest.raises(NotificationFailed):
        notifier.send([Notification(to_receiver(_firing_alert(now), now, 60, ""), "firing")])
    assert time.monotonic() - started < 5
