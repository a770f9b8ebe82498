"""The status rule (SPEC §10, §5) through ``target_rules.judge``: the same cases the old
availability/p95 rule was tested with, plus the dropped 1 % error-rate warning and latency."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.slo import Status, Target
from domain.target_rules import EffectiveTarget, effective_target, judge
from domain.targets import TargetRecord

DEFAULTS = Target(availability=95.0, p95_ms=300.0)
DEFAULT = effective_target((), DEFAULTS)


@dataclass
class Traffic:
    requests: int
    errors: int
    buckets: dict[str, float] = field(default_factory=dict)


def of(availability_percent: float, total: int = 10_000) -> list[Traffic]:
    return [Traffic(total, round(total * (100 - availability_percent) / 100))]


def test_without_traffic_is_unknown() -> None:
    assert judge(DEFAULT, [], None).status is Status.UNKNOWN
    assert judge(DEFAULT, [Traffic(0, 0)], None).status is Status.UNKNOWN


def test_below_availability_target_is_critical_even_when_fast() -> None:
    assert judge(DEFAULT, of(94.99), 10.0).status is Status.CRITICAL


def test_at_exactly_the_target_is_not_critical() -> None:
    judged = judge(DEFAULT, of(95.0), 10.0)
    assert judged.status is Status.HEALTHY and judged.budget == 0


def test_slow_p95_is_a_warning() -> None:
    assert judge(DEFAULT, of(99.99), 300.01).status is Status.WARNING
    assert judge(DEFAULT, of(99.99), 300.0).status is Status.HEALTHY


def test_an_error_rate_above_one_percent_no_longer_warns() -> None:
    # 98 % meets the default 95 % target: 60 % of the budget is left, nothing to warn about.
    judged = judge(DEFAULT, of(98.0), 100.0)
    assert judged.status is Status.HEALTHY
    assert judged.budget == 60.0


def test_without_latency_data_is_judged_on_availability() -> None:
    assert judge(DEFAULT, of(100.0), None).status is Status.HEALTHY


def test_the_same_numbers_against_a_stricter_target() -> None:
    strict = effective_target([TargetRecord("c", "service", "a/b", "1d", 99.9, 100.0)], DEFAULTS)
    assert judge(DEFAULT, of(99.5), 50.0).status is Status.HEALTHY
    assert judge(strict, of(99.5), 50.0).status is Status.CRITICAL
    assert judge(strict, of(99.95), 150.0).status is Status.WARNING


def test_a_spent_latency_budget_is_critical() -> None:
    record = TargetRecord("c", "service", "a/b", "28d", None, None, latency_threshold_ms=100.0,
                          latency_target=99.0)
    target = effective_target([record], DEFAULTS)
    assert isinstance(target, EffectiveTarget) and target.p95_ms == 300.0  # the default threshold
    slow = [Traffic(100, 0, {"100": 97, "+Inf": 100})]  # 3 % slow against 1 % allowed
    judged = judge(target, slow, 150.0)
    assert judged.status is Status.CRITICAL
    assert judged.reports[0].events.bad == 3 and judged.budget == -200
    fast = [Traffic(100, 0, {"100": 100, "+Inf": 100})]
    assert judge(target, fast, 50.0).status is Status.HEALTHY


def test_both_objectives_the_headline_budget_is_the_one_closest_to_spent() -> None:
    record = TargetRecord("c", "service", "a/b", "7d", 99.0, 300.0, latency_threshold_ms=100.0,
                          latency_target=90.0)
    judged = judge(effective_target([record], DEFAULTS), [Traffic(100, 0, {"100": 95, "+Inf": 100})], 90.0)
    assert [r.sli.value for r in judged.reports] == ["availability", "latency"]
    assert judged.budget == 50.0  # latency: 5 slow of 10 allowed; availability untouched at 100


def test_a_firing_burn_rate_alert_makes_a_healthy_key_a_warning() -> None:
    from domain.target_rules import TargetTable

    table = TargetTable([], DEFAULTS, burning=[("service", "a/b")])
    assert judge(table.find("service", "a/b"), of(99.9), 10.0).status is Status.WARNING
    assert judge(table.find("service", "c/d"), of(99.9), 10.0).status is Status.HEALTHY
    # A spent budget stays critical, burning or not; no traffic stays unknown.
    assert judge(table.find("service", "a/b"), of(90.0), 10.0).status is Status.CRITICAL
    assert judge(table.find("service", "a/b"), [], None).status is Status.UNKNOWN
    # The judged key is the first one: a domain's backend is not burning because its domain is.
    domains = TargetTable([], DEFAULTS, burning=[("ingress", "shop.example.com")])
    assert not domains.find("ingress", "shop-web-80", "shop.example.com").burning
    assert domains.find("ingress", "shop.example.com").burning
