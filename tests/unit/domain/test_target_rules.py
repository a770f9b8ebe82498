"""Target validation and the choice of the target a status is judged by."""

from __future__ import annotations

import pytest

from domain.slo import Target
from domain.target_rules import InvalidTarget, effective_target, validate_target
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
    assert (chosen.window, chosen.target.availability, chosen.is_default) == ("1d", 99.9, False)
    chosen = effective_target([record("30d", 90.0), record("7d", 99.5)], DEFAULTS)
    assert (chosen.window, chosen.window_seconds) == ("7d", 7 * 86400)
    assert effective_target([record("30d", 90.0)], DEFAULTS).window == "30d"


def test_defaults_over_one_day_without_a_target() -> None:
    chosen = effective_target([], DEFAULTS)
    assert (chosen.target, chosen.window, chosen.is_default) == (DEFAULTS, "1d", True)


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
