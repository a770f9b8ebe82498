"""Target validation and the choice of the target a status is judged by."""

from __future__ import annotations

import pytest

from domain.slo import Target
from domain.target_rules import InvalidTarget, TargetTable, effective_target, validate_target
from domain.targets import TargetRecord

DEFAULTS = Target(95.0, 300.0)


def record(window: str = "1d", availability: float = 99.0, **overrides: object) -> TargetRecord:
    values: dict[str, object] = {
        "cluster_id": "c", "target_type": "service", "key": "shop/cart", "window": window,
        "availability_target": availability, "p95_target_ms": 200.0,
    }
    values.update(overrides)
    return TargetRecord(**values)  # type: ignore[arg-type]


def test_prefers_1d_then_7d_then_30d() -> None:
    chosen = effective_target([record("30d", 90.0), record("7d", 99.5), record("1d", 99.9)], DEFAULTS)
    assert (chosen.window, chosen.availability, chosen.is_default) == ("1d", 99.9, False)
    chosen = effective_target([record("30d", 90.0), record("7d", 99.5)], DEFAULTS)
    assert (chosen.window, chosen.window_start(10 * 86400)) == ("7d", 3 * 86400)
    assert effective_target([record("30d", 90.0)], DEFAULTS).window == "30d"


def test_defaults_over_one_day_without_a_target() -> None:
    chosen = effective_target([], DEFAULTS)
    assert (chosen.availability, chosen.p95_ms, chosen.window, chosen.is_default) == (
        DEFAULTS.availability, DEFAULTS.p95_ms, "1d", True)


def test_valid_targets_pass_unchanged() -> None:
    ok = record("7d", 99.99)
    assert validate_target(ok) is ok
    domain = record("30d", target_type="ingress", key="shop.example.com")
    assert validate_target(domain) is domain


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target_type": "node"}, "target_type"),
        ({"window": "1h"}, "window"),
        ({"availability_target": 100.0}, "availability_target"),
        ({"availability_target": -1.0}, "availability_target"),
        ({"p95_target_ms": -5.0}, "p95_target_ms"),
        ({"key": " shop/cart"}, "key"),
        ({"key": "a/b/c"}, "key"),
        ({"key": "/cart"}, "key"),
        ({"target_type": "ingress", "key": ""}, "key"),
        ({"cluster_id": "  "}, "cluster_id"),
    ],
)
def test_invalid_targets_name_the_field(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidTarget, match=f"^{message}:"):
        validate_target(record(**overrides))  # type: ignore[arg-type]


def test_invalid_target_lists_every_problem_as_the_api_reports_them() -> None:
    with pytest.raises(InvalidTarget) as refused:
        validate_target(record(window="2d", availability=100.0, key="cart"))
    assert refused.value.problems == [
        "a service target key is 'namespace/name', got 'cart'",
        "window must be one of 1d, 7d, 28d, 30d, week, month, got '2d'",
        "availability_target must be above 0 and below 100 (percent), got 100.0",
    ]
    assert str(refused.value).startswith("key: a service target key")


def test_target_table_resolves_each_key_and_falls_back_to_later_keys_then_defaults() -> None:
    table = TargetTable(
        [record("30d", 90.0), record("7d", 99.5),
         record("7d", 99.0, target_type="ingress", key="shop.example.com")],
        DEFAULTS,
    )
    assert (table.find("service", "shop/cart").window, table.find("service", "shop/cart").is_default) == (
        "7d", False)
    assert table.find("ingress", "ns-svc-80", "shop.example.com").availability == 99.0
    assert table.find("ingress", "ns-svc-80") == table.default == effective_target([], DEFAULTS)
    assert table.keys("service") == {"shop/cart"} and table.keys("ingress") == {"shop.example.com"}
    assert table.windows("service") == {"1d", "7d"} and table.windows("ingress") == {"1d", "7d"}
