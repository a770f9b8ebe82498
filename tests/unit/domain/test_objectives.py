"""Objective types: good and bad events, SLI, budget, burn rate and the status rule."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from domain.objectives import (
    SLI,
    AvailabilityObjective,
    Events,
    LatencyObjective,
    ObjectiveReport,
    budget_remaining,
    burn_rate,
    evaluate,
    sli_percent,
    status,
)
from domain.slo import Status, availability, error_budget_remaining
from domain.totals import RequestTotals


@dataclass
class Traffic:
    requests: int
    errors: int
    buckets: dict[str, float] = field(default_factory=dict)


def test_availability_events_are_requests_and_errors() -> None:
    events = AvailabilityObjective(99.0).events([Traffic(1000, 3), Traffic(500, 2)])
    assert events == Events(1500, 5)
    assert events.good == 1495
    assert sli_percent(events) == pytest.approx(1495 / 1500 * 100)


def test_availability_budget_equals_the_spec_5_formula() -> None:
    for total, errors, target in [(1000, 3, 99.0), (1000, 20, 99.0), (7, 0, 95.0), (200, 200, 90.0)]:
        events = AvailabilityObjective(target).events([Traffic(total, errors)])
        assert budget_remaining(events, target) == pytest.approx(
            error_budget_remaining(availability(total, errors), target))


def test_budget_is_at_most_100_and_may_go_below_zero() -> None:
    assert budget_remaining(Events(1000, 0), 99.9) == 100
    assert budget_remaining(Events(1000, 1), 99.9) == 0  # spent to the last event, not overspent
    assert budget_remaining(Events(10_000, 1), 99.99) == 0
    assert budget_remaining(Events(1000, 3), 99.9) == pytest.approx(-200)
    assert budget_remaining(Events(0, 0), 99.9) is None


def test_burn_rate_is_error_share_over_allowed_share() -> None:
    assert burn_rate(Events(1000, 10), 99.0) == pytest.approx(1.0)
    assert burn_rate(Events(1000, 144), 99.0) == pytest.approx(14.4)
    assert burn_rate(Events(0, 0), 99.0) is None


def test_a_target_without_budget_is_refused() -> None:
    with pytest.raises(ValueError):
        budget_remaining(Events(10, 0), 100)


def test_latency_events_from_buckets_exact_at_a_bound() -> None:
    objective = LatencyObjective(threshold_ms=300, target=99.0)
    traffic = Traffic(120, 0, {"100": 80, "300": 110, "1000": 119, "+Inf": 120})
    events = objective.events([traffic])
    assert events == Events(120, 10, estimated=False)
    report = evaluate(objective, "28d", [traffic])
    assert report.sli is SLI.LATENCY and report.threshold_ms == 300 and not report.estimated
    assert report.sli_percent == pytest.approx(110 / 120 * 100)
    assert report.budget_remaining == pytest.approx(100 - 10 / (120 * 0.01) * 100)


def test_latency_events_interpolated_are_estimated() -> None:
    report = evaluate(LatencyObjective(200, 90.0), "7d", [Traffic(10, 0, {"100": 4, "300": 8, "+Inf": 10})])
    assert report.events.bad == pytest.approx(10 - 6)
    assert report.estimated


def test_latency_over_backends_with_different_bounds() -> None:
    traefik = Traffic(300, 0, {"100": 280, "300": 299, "1200": 300, "5000": 300, "+Inf": 300})
    nginx = Traffic(60, 0, {"5": 10, "100": 50, "250": 60, "+Inf": 60})
    events = LatencyObjective(100, 99.0).events([traefik, nginx])
    assert events == Events(360, 30, estimated=False)


def test_objectives_read_the_domain_totals() -> None:
    totals = RequestTotals()
    totals.requests, totals.errors = 100, 4
    totals.add_latency(1000.0, 100, {"50": 90, "+Inf": 100})
    assert AvailabilityObjective(95).events([totals]) == Events(100, 4)
    assert LatencyObjective(50, 95).events([totals]) == Events(100, 10)


def test_no_traffic_has_no_sli_and_no_budget() -> None:
    report = evaluate(LatencyObjective(300, 99), "month", [])
    assert report.sli_percent is None and report.budget_remaining is None and not report.estimated
    assert not report.budget_spent


def _reports(*pairs: tuple[float, float]) -> list[ObjectiveReport]:
    return [evaluate(AvailabilityObjective(target), "1d", [Traffic(1000, errors)])
            for target, errors in pairs]


def test_status_critical_only_when_a_budget_is_spent() -> None:
    assert status(1000, _reports((99.0, 11)), 10, 300) is Status.CRITICAL
    assert status(1000, _reports((99.0, 10)), 10, 300) is Status.HEALTHY  # exactly the budget: 0 left


def test_status_no_longer_warns_at_an_error_rate_above_one_percent() -> None:
    # 2 % errors against a 95 % target: budget fine, healthy (SPEC §5 dropped the 1 % rule).
    assert status(1000, _reports((95.0, 20)), 10, 300) is Status.HEALTHY


def test_status_warning_on_p95_or_burn() -> None:
    assert status(1000, _reports((95.0, 0)), 301, 300) is Status.WARNING
    assert status(1000, _reports((95.0, 0)), 300, 300) is Status.HEALTHY
    assert status(1000, _reports((95.0, 0)), None, 300, burning=True) is Status.WARNING


def test_status_unknown_without_traffic() -> None:
    assert status(0, [], None, 300) is Status.UNKNOWN
