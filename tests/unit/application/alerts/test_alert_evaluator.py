"""The alert evaluator job (SPEC §11) over fake traffic, store, receivers and metrics."""

from __future__ import annotations

import pytest
from tests.unit.application.alerts.alert_fakes import (
    FakeAlertMetrics,
    FakeAlertStore,
    FakeNotifier,
    FakeTraffic,
    workload,
)
from tests.unit.application.master.job_fakes import FakeTargets

from application.master.alert_evaluator import AlertEvaluator, AlertSettings
from application.master.failures import JobPartlyFailed
from domain.alerts import FIRING, RESOLVED
from domain.targets import TargetRecord

T0 = 1_764_316_800  # a whole hour
CART = ("shop", "cart")
TARGET = TargetRecord("c1", "service", "shop/cart", "30d", 99.0, 300.0)
SHORT_WINDOWS = (300, 1800, 7200, 21600)  # the short windows of the four tiers at 30 d


def _evaluator(traffic: FakeTraffic, targets: list[TargetRecord] | None = None, *,
               store: FakeAlertStore | None = None, notifiers: list[FakeNotifier] | None = None,
               metrics: FakeAlertMetrics | None = None, **settings: object) -> AlertEvaluator:
    return AlertEvaluator(
        traffic, FakeTargets(list([TARGET] if targets is None else targets)), store or FakeAlertStore(),
        notifiers if notifiers is not None else [FakeNotifier()],
        AlertSettings(interval_seconds=60, public_url="http://dash.example/", **settings),  # type: ignore[arg-type]
        metrics,
    )


def _fired(store: FakeAlertStore) -> list[tuple[str, int]]:
    return sorted((a.id.sli, a.id.tier) for a in store.rows.values() if a.state == FIRING)


def test_a_fast_burn_fires_every_tier_and_posts_the_labels_of_the_spec() -> None:
    store, notifier, metrics = FakeAlertStore(), FakeNotifier(), FakeAlertMetrics()
    report = _evaluator(FakeTraffic(default={CART: workload(1000, 200)}), store=store,
                        notifiers=[notifier], metrics=metrics).run(T0)
    assert _fired(store) == [("availability", 1), ("availability", 2), ("availability", 3),
                             ("availability", 4)]
    assert report.firing == 4 and report.objectives == 1 and metrics.firing == {"page": 2, "ticket": 2}
    [posted] = notifier.sent
    tier1 = next(n.body for n in posted if n.body["labels"]["burn_tier"] == "1")  # type: ignore[index]
    assert tier1["labels"] == {
        "alertname": "MeshsloErrorBudgetBurn", "severity": "page", "cluster": "c1", "target_type": "service",
        "key": "shop/cart", "namespace": "shop", "workload": "cart", "slo_window": "30d",
        "long_window": "1h", "short_window": "5m", "burn_tier": "1",
    }
    assert tier1["annotations"]["burn_rate_long"] == "20.0"  # type: ignore[index]
    assert tier1["endsAt"] == "2025-11-28T08:04:00Z"  # now + 4 intervals
    assert metrics.outcomes == [("alertmanager", "sent")]
    [gauge] = metrics.gauges
    assert gauge.objective_ratio == 0.99 and gauge.good_ratio == pytest.approx(0.8)
    assert gauge.burn_rates["1h"] == pytest.approx(20.0) and set(gauge.burn_rates) == {
        "5m", "1h", "30m", "6h", "2h", "1d", "3d"}
    assert gauge.budget_remaining_ratio == pytest.approx(-19.0)


def test_a_slow_burn_fires_only_the_slowest_ticket() -> None:
    store = FakeAlertStore()
    _evaluator(FakeTraffic(default={CART: workload(1000, 20)}), store=store).run(T0)  # burn 2
    assert _fired(store) == [("availability", 4)]


def test_a_latency_burn_fires_the_latency_alert() -> None:
    latency = TargetRecord("c1", "service", "shop/cart", "30d", None, None, latency_threshold_ms=100.0,
                           latency_target=99.0)
    store, notifier = FakeAlertStore(), FakeNotifier()
    traffic = FakeTraffic(default={CART: workload(1000, 0, {"100": 800.0, "+Inf": 1000.0})})
    _evaluator(traffic, [latency], store=store, notifiers=[notifier]).run(T0)
    assert _fired(store) == [("latency", 1), ("latency", 2), ("latency", 3), ("latency", 4)]
    names = {n.body["labels"]["alertname"] for n in notifier.sent[0]}  # type: ignore[index]
    assert names == {"MeshsloLatencyBudgetBurn"}


def test_one_lone_failure_in_a_quiet_service_never_pages_and_healthy_traffic_stays_silent() -> None:
    quiet = TargetRecord("c1", "service", "shop/quiet", "30d", 99.0, None)
    store, notifier = FakeAlertStore(), FakeNotifier()
    traffic = FakeTraffic(default={CART: workload(100_000, 10), ("shop", "quiet"): workload(10, 1)})
    report = _evaluator(traffic, [TARGET, quiet], store=store, notifiers=[notifier]).run(T0)
    assert store.rows == {} and notifier.sent == [] and report.objectives == 2


def test_the_guard_follows_the_min_bad_events_setting() -> None:
    store = FakeAlertStore()
    _evaluator(FakeTraffic(default={CART: workload(10, 2)}), store=store, min_bad_events=2).run(T0)
    assert len(_fired(store)) == 4


def test_windows_without_requests_never_fire_and_each_window_is_read_once() -> None:
    traffic = FakeTraffic(by_length={2_592_000: {CART: workload(1000, 500)}})
    store = FakeAlertStore()
    _evaluator(traffic, store=store).run(T0)
    assert store.rows == {}
    assert len(traffic.asked) == len(set(traffic.asked)) == 8  # 30 d + 7 distinct tier windows


def test_recovery_resolves_and_the_resolved_alert_is_posted_with_its_resolve_time() -> None:
    store, notifier = FakeAlertStore(), FakeNotifier()
    burning = FakeTraffic(default={CART: workload(1000, 200)})
    _evaluator(burning, store=store, notifiers=[notifier]).run(T0)
    started = {a.id: a.started_at for a in store.rows.values()}
    _evaluator(burning, store=store, notifiers=[notifier]).run(T0 + 60)
    assert {a.id: a.started_at for a in store.rows.values()} == started  # still firing since T0
    healthy = FakeTraffic(default={CART: workload(1000, 0)})
    _evaluator(healthy, store=store, notifiers=[notifier]).run(T0 + 120)
    assert {a.state for a in store.rows.values()} == {RESOLVED}
    last = notifier.sent[-1]
    assert {n.status for n in last} == {"resolved"}
    assert {n.body["endsAt"] for n in last} == {"2025-11-28T08:02:00Z"}
    # Re-posted for 15 minutes, then no longer.
    _evaluator(healthy, store=store, notifiers=[notifier]).run(T0 + 120 + 900)
    assert len(notifier.sent) == 4
    _evaluator(healthy, store=store, notifiers=[notifier]).run(T0 + 120 + 960)
    assert len(notifier.sent) == 4


def test_a_receiver_down_is_counted_never_raises_and_gets_the_alerts_once_back() -> None:
    store, metrics = FakeAlertStore(), FakeAlertMetrics()
    down, webhook = FakeNotifier(down=True), FakeNotifier(receiver="webhook")
    burning = FakeTraffic(default={CART: workload(1000, 200)})
    for minute in range(3):
        _evaluator(burning, store=store, notifiers=[down, webhook], metrics=metrics).run(T0 + 60 * minute)
    assert metrics.outcomes.count(("alertmanager", "failed")) == 3
    assert metrics.outcomes.count(("webhook", "sent")) == 3
    # It resolves while the receiver is still down: the resolved alerts stay due until delivered.
    healthy = FakeTraffic(default={CART: workload(1000, 0)})
    _evaluator(healthy, store=store, notifiers=[down], metrics=metrics).run(T0 + 180)
    down.down = False
    _evaluator(healthy, store=store, notifiers=[down], metrics=metrics).run(T0 + 3600)
    assert {n.status for n in down.sent[-1]} == {"resolved"} and len(down.sent[-1]) == 4
    _evaluator(healthy, store=store, notifiers=[down], metrics=metrics).run(T0 + 3660)
    assert len(down.sent) == 1


def test_a_round_held_by_another_master_neither_writes_nor_notifies_but_counts_the_firing() -> None:
    store, notifier, metrics = FakeAlertStore(), FakeNotifier(), FakeAlertMetrics()
    burning = FakeTraffic(default={CART: workload(1000, 200)})
    _evaluator(burning, store=store, notifiers=[notifier]).run(T0)
    again = _evaluator(burning, store=store, notifiers=[notifier], metrics=metrics).run(T0 + 30)  # same round
    assert again.skipped_clusters == ["c1"] and len(notifier.sent) == 1
    assert metrics.firing == {"page": 2, "ticket": 2} and len(metrics.gauges) == 1


def test_a_deleted_target_or_alerting_turned_off_resolves_its_firing_alerts() -> None:
    store = FakeAlertStore()
    burning = FakeTraffic(default={CART: workload(1000, 200)})
    _evaluator(burning, store=store).run(T0)
    from dataclasses import replace

    _evaluator(burning, [replace(TARGET, alerting=False)], store=store).run(T0 + 60)
    assert {(a.state, a.resolved_at) for a in store.rows.values()} == {(RESOLVED, T0 + 60)}


def test_on_defaults_judges_keys_without_a_target_against_the_default_over_30d() -> None:
    traffic = FakeTraffic(default={("shop", "pay"): workload(1000, 200), CART: workload(1000, 200)},
                          backends={"shop-web-80": workload_backend()},
                          routes={"shop.example": {"shop-web-80"}})
    store = FakeAlertStore()
    off = TargetRecord("c1", "service", "shop/cart", "7d", 99.0, None, alerting=False)
    _evaluator(traffic, [off], store=store, on_defaults=True, default_availability=95.0).run(T0)
    assert {(a.id.key, a.id.slo_window) for a in store.rows.values()} == {("shop/pay", "30d"),
                                                                          ("shop.example", "30d")}
    assert _evaluator(traffic, [off], store=FakeAlertStore()).run(T0).objectives == 0


def workload_backend():  # type: ignore[no-untyped-def]
    from domain.totals import IngressTotals

    return IngressTotals(requests=1000, errors=300, latency_count=1000)


def test_windows_scale_with_a_week_objective() -> None:
    week = TargetRecord("c1", "service", "shop/cart", "week", 99.0, None)
    notifier = FakeNotifier()
    _evaluator(FakeTraffic(default={CART: workload(1000, 200)}), [week], notifiers=[notifier]).run(T0)
    windows = {(n.body["labels"]["long_window"], n.body["labels"]["short_window"])  # type: ignore[index]
               for n in notifier.sent[0]}
    assert windows == {("14m", "1m"), ("84m", "7m"), ("336m", "28m"), ("1008m", "84m")}


def test_one_clusters_failure_is_reported_after_the_others_are_done() -> None:
    class Broken(FakeTraffic):
        def traffic(self, cluster_id: str, start: int, end: int):  # type: ignore[no-untyped-def]
            if cluster_id == "bad":
                raise RuntimeError("database gone")
            return super().traffic(cluster_id, start, end)

    store = FakeAlertStore()
    traffic = Broken(default={CART: workload(1000, 200)}, cluster_ids=["bad", "c1"])
    from dataclasses import replace

    with pytest.raises(JobPartlyFailed) as raised:
        _evaluator(traffic, [replace(TARGET, cluster_id="bad"), TARGET], store=store).run(T0)
    assert raised.value.failures == ["bad"] and len(_fired(store)) == 4
