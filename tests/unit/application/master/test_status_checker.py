"""The status checker with in-memory fakes: changes recorded once, targets vs defaults."""

from __future__ import annotations

import pytest
from tests.unit.application.master.job_fakes import FakeStats, FakeStatusStore, FakeTargets, backend, workload

from application.master.failures import JobPartlyFailed
from application.master.status_checker import StatusChecker, domain_totals
from domain.slo import Target
from domain.targets import TargetRecord

NOW = 1_764_312_000
DEFAULTS = Target(availability=95.0, p95_ms=300.0)
FAST = {"10": 0, "100": 100, "+Inf": 100}  # p95 = 10 + 90 * 95 / 100 = 95.5 ms
SLOW = {"100": 0, "1000": 100, "+Inf": 100}  # p95 = 100 + 900 * 0.95 = 955 ms


def checker(stats: FakeStats, store: FakeStatusStore, targets: FakeTargets | None = None) -> StatusChecker:
    return StatusChecker(stats, targets or FakeTargets(), store, DEFAULTS)


def test_first_known_status_is_recorded_once_and_a_steady_state_writes_nothing() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(100, 1, FAST)})

    first = checker(stats, store).run(NOW)
    second = checker(stats, store).run(NOW + 60)

    assert (first.changes, second.changes) == (1, 0)
    [change] = store.history
    assert (change.key, change.old_status, change.new_status) == ("shop/cart", "unknown", "healthy")
    assert change.availability == pytest.approx(99.0)
    assert change.p95 == pytest.approx(95.5)
    # Default target 95 %: 5 % allowed, 1 % spent → 80 % of the budget left.
    assert change.error_budget == pytest.approx(80.0)
    assert change.changed_at == NOW
    assert ("workloads", "c1", NOW - 86400, NOW) in stats.asked


def test_a_change_is_recorded_with_old_and_new_status() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(100, 0, FAST)})
    checker(stats, store).run(NOW)
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(100, 10, FAST)})  # 90 % < 95 %

    report = checker(stats, store).run(NOW + 60)

    assert report.changes == 1
    change = store.history[-1]
    assert (change.old_status, change.new_status) == ("healthy", "critical")
    assert change.error_budget == pytest.approx(-100.0)  # 10 % spent of 5 %: overspent by its size
    assert store.statuses[("c1", "service", "shop/cart")] == "critical"


def test_slow_p95_against_the_default_is_a_warning() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(100, 0, SLOW)})
    checker(stats, store).run(NOW)
    assert store.history[-1].new_status == "warning"


def test_a_target_wins_over_the_defaults_and_its_window_is_used() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    targets = FakeTargets([
        TargetRecord("c1", "service", "shop/cart", "30d", 90.0, 2000.0),
        TargetRecord("c1", "service", "shop/cart", "7d", 99.9, 2000.0),
    ])
    # Over 1 day the workload is perfect; over the 7d window of its target it is at 99.5 %.
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(100, 0, SLOW)})
    stats.set_workloads("c1", "7d", {("shop", "cart"): workload(1000, 5, SLOW)})

    checker(stats, store, targets).run(NOW)

    [change] = store.history
    assert change.new_status == "critical"  # 99.5 < 99.9; the slow p95 is within 2000 ms
    assert change.availability == pytest.approx(99.5)
    assert change.error_budget == pytest.approx((0.1 - 0.5) / 0.1 * 100)
    assert ("workloads", "c1", NOW - 7 * 86400, NOW) in stats.asked


def test_workload_that_loses_all_traffic_becomes_unknown() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(100, 0, FAST)})
    checker(stats, store).run(NOW)
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(0)})

    checker(stats, store).run(NOW + 60)
    stats.set_workloads("c1", "1d", {})
    checker(stats, store).run(NOW + 120)

    transitions = [(c.old_status, c.new_status) for c in store.history]
    assert transitions == [("unknown", "healthy"), ("healthy", "unknown")]
    assert store.history[-1].availability is None and store.history[-1].error_budget is None


def test_a_target_without_traffic_writes_nothing() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    targets = FakeTargets([TargetRecord("c1", "service", "shop/idle", "1d", 99.0, 100.0)])
    report = checker(stats, store, targets).run(NOW)
    assert report.evaluated == 1 and report.changes == 0 and store.history == []


def test_a_domain_is_judged_on_its_merged_backends_each_counted_once() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    store.routes["c1"] = {
        "shop.example.com": {"shop-frontend-80", "shop-api-8080"},
        "api.example.com": {"shop-api-8080"},
    }
    stats.set_backends("c1", "1d", {
        "shop-frontend-80": backend(100, 0, FAST),
        "shop-api-8080": backend(100, 20, FAST),  # 80 %
        "unrouted-80": backend(100, 100, FAST),
    })

    checker(stats, store).run(NOW)

    by_key = {c.key: c for c in store.history}
    assert set(by_key) == {"shop.example.com", "api.example.com"}
    assert by_key["shop.example.com"].availability == pytest.approx(90.0)  # 20 errors of 200
    assert by_key["api.example.com"].availability == pytest.approx(80.0)
    assert {c.target_type for c in store.history} == {"ingress"}
    assert by_key["shop.example.com"].new_status == "critical"


def test_domain_totals_merge_buckets_and_ignore_silent_backends() -> None:
    merged = domain_totals({"a", "b", "quiet"}, {"a": backend(10, 1, {"10": 10, "+Inf": 10}),
                                                 "b": backend(30, 0, {"10": 0, "+Inf": 30})})
    assert merged is not None
    assert (merged.requests, merged.errors) == (40, 1)
    assert merged.buckets == {"10": 10, "+Inf": 40}
    assert domain_totals({"quiet"}, {}) is None


def test_a_domain_whose_route_disappears_becomes_unknown() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    store.routes["c1"] = {"shop.example.com": {"k"}}
    stats.set_backends("c1", "1d", {"k": backend(100, 0, FAST)})
    checker(stats, store).run(NOW)
    store.routes["c1"] = {}
    checker(stats, store).run(NOW + 60)
    assert [c.new_status for c in store.history] == ["healthy", "unknown"]


def test_nothing_is_written_while_another_master_holds_the_lock() -> None:
    stats, store = FakeStats(), FakeStatusStore(lock_held_elsewhere=True)
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(100, 0, FAST)})
    report = checker(stats, store).run(NOW)
    assert store.history == [] and report.skipped_clusters == ["c1"]


def test_clusters_are_evaluated_separately() -> None:
    stats, store = FakeStats(cluster_ids=["c1", "c2"]), FakeStatusStore()
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(100, 0, FAST)})
    stats.set_workloads("c2", "1d", {("shop", "cart"): workload(100, 50, FAST)})
    targets = FakeTargets([TargetRecord("c2", "service", "shop/cart", "1d", 40.0, 300.0)])
    checker(stats, store, targets).run(NOW)
    statuses = {(c.cluster_id, c.key): c.new_status for c in store.history}
    # c2's 50 % meets its own 40 % target (its budget is not spent): healthy, whatever the
    # error rate (SPEC §10 dropped the 1 % warning); c1 is judged by the defaults.
    assert statuses == {("c1", "shop/cart"): "healthy", ("c2", "shop/cart"): "healthy"}
    assert [c.error_budget for c in store.history if c.cluster_id == "c2"] == [pytest.approx(100 / 6)]


def test_a_failing_cluster_does_not_hold_back_the_others_and_fails_the_run() -> None:
    class BrokenStats(FakeStats):
        def workload_totals(self, cluster_id, start, end):  # type: ignore[no-untyped-def]
            if cluster_id == "bad":
                raise RuntimeError("database hiccup")
            return super().workload_totals(cluster_id, start, end)

    stats, store = BrokenStats(cluster_ids=["bad", "c1"]), FakeStatusStore()
    stats.set_workloads("c1", "1d", {("shop", "cart"): workload(100, 0, FAST)})
    with pytest.raises(JobPartlyFailed, match="bad") as failure:
        checker(stats, store).run(NOW)
    assert [c.cluster_id for c in store.history] == ["c1"]
    assert failure.value.report.changes == 1


def test_a_domain_target_over_30_days_is_read_over_30_days() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    store.routes["c1"] = {"shop.example.com": {"k"}}
    targets = FakeTargets([TargetRecord("c1", "ingress", "shop.example.com", "30d", 99.0, 500.0)])
    stats.set_backends("c1", "1d", {"k": backend(100, 0, FAST)})
    stats.set_backends("c1", "30d", {"k": backend(1000, 20, FAST)})  # 98 % over 30 days
    checker(stats, store, targets).run(NOW)
    [change] = store.history
    assert (change.key, change.new_status, change.availability) == ("shop.example.com", "critical",
                                                                     pytest.approx(98.0))
    assert ("ingress", "c1", NOW - 30 * 86400, NOW) in stats.asked


def test_long_windows_are_read_only_for_the_kind_whose_target_needs_them() -> None:
    stats, store = FakeStats(), FakeStatusStore()
    targets = FakeTargets([TargetRecord("c1", "service", "shop/cart", "30d", 99.0, 500.0)])
    checker(stats, store, targets).run(NOW)
    assert sorted((kind, end - start) for kind, _, start, end in stats.asked) == [
        ("ingress", 86400), ("workloads", 86400), ("workloads", 30 * 86400)]
