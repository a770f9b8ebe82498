"""Burn-rate tiers: the table, window scaling and rounding, labels and the fire rule."""

from __future__ import annotations

import pytest

from domain.burn_tiers import TIERS, Tier, TierWindows, judge, tier_windows, window_label
from domain.objectives import Events

M, H, D = 60, 3600, 86400


def test_the_table_of_spec_11() -> None:
    assert [(t.number, t.severity, t.long_at_30d, t.factor) for t in TIERS] == [
        (1, "page", H, 14.4), (2, "page", 6 * H, 6.0), (3, "ticket", D, 3.0), (4, "ticket", 3 * D, 1.0)]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("30d", [(H, 5 * M), (6 * H, 30 * M), (D, 2 * H), (3 * D, 6 * H)]),
        ("month", [(H, 5 * M), (6 * H, 30 * M), (D, 2 * H), (3 * D, 6 * H)]),
        # 28/30 h = 56 min; 56/12 = 4.67 → 5 min; 6h·28/30 = 336 min, /12 = 28 min
        ("28d", [(56 * M, 5 * M), (336 * M, 28 * M), (1344 * M, 112 * M), (4032 * M, 336 * M)]),
        # 7/30 h = 14 min, /12 = 1.17 → 1 min; 6h → 84 min, 7 min; 1d → 336 min, 28; 3d → 1008, 84
        ("7d", [(14 * M, 1 * M), (84 * M, 7 * M), (336 * M, 28 * M), (1008 * M, 84 * M)]),
        ("week", [(14 * M, 1 * M), (84 * M, 7 * M), (336 * M, 28 * M), (1008 * M, 84 * M)]),
        # 1/30 h = 2 min, 10 s → at least 1 min; 6h → 12 min, 1; 1d → 48, 4; 3d → 144, 12
        ("1d", [(2 * M, 1 * M), (12 * M, 1 * M), (48 * M, 4 * M), (144 * M, 12 * M)]),
    ],
)
def test_windows_scale_with_the_slo_window(window: str, expected: list[tuple[int, int]]) -> None:
    assert [(w.long, w.short) for w in (tier_windows(t, window) for t in TIERS)] == expected


def test_halves_round_up() -> None:
    # 1d tier 3: short = 48 min / 12 = 4 exactly; 28d tier 1 short = 56/12 = 4.666 → 5.
    # A half: 30d·(7.5/7)... find one directly: long 90 s = 1.5 min rounds to 2 min.
    from fractions import Fraction

    from domain.burn_tiers import _whole_minutes
    assert _whole_minutes(Fraction(90)) == 2 * M
    assert _whole_minutes(Fraction(89)) == M
    assert _whole_minutes(Fraction(150)) == 3 * M
    assert _whole_minutes(Fraction(1)) == M


@pytest.mark.parametrize(("seconds", "label"), [(H, "1h"), (5 * M, "5m"), (3 * D, "3d"), (144 * M, "144m"),
                                                 (336 * M, "336m"), (2 * D, "2d"), (30 * H, "30h")])
def test_window_labels(seconds: int, label: str) -> None:
    assert window_label(seconds) == label


WINDOWS = TierWindows(H, 5 * M)
TIER1 = TIERS[0]


def test_fires_above_the_factor_in_both_windows() -> None:
    # target 99 %: allowed 1 %; 15 % errors is burn 15 > 14.4.
    verdict = judge(TIER1, WINDOWS, Events(1000, 150), Events(100, 15), 99.0)
    assert verdict.firing
    assert verdict.burn_long == pytest.approx(15) and verdict.burn_short == pytest.approx(15)


@pytest.mark.parametrize(("tier", "target", "total", "bad"), [
    (TIERS[0], 99.0, 1000, 144), (TIERS[0], 99.9, 10_000, 144), (TIERS[1], 99.5, 1000, 30),
    (TIERS[2], 99.9, 100_000, 300), (TIERS[3], 95.0, 100, 5), (TIERS[0], 99.99, 1_000_000, 1440)])
def test_exactly_at_the_factor_does_not_fire(tier: Tier, target: float, total: int, bad: int) -> None:
    at = Events(total, bad)
    assert not judge(tier, WINDOWS, at, at, target).firing
    above = Events(total, bad + 1)
    assert judge(tier, WINDOWS, above, above, target).firing


def test_one_window_below_the_factor_does_not_fire() -> None:
    assert not judge(TIER1, WINDOWS, Events(1000, 150), Events(100, 1), 99.0).firing  # recovered lately
    assert not judge(TIER1, WINDOWS, Events(1000, 10), Events(100, 50), 99.0).firing  # a short blip


def test_a_window_without_requests_never_fires() -> None:
    verdict = judge(TIER1, WINDOWS, Events(1000, 500), Events(0, 0), 99.0)
    assert not verdict.firing and verdict.burn_short is None


def test_the_low_traffic_guard() -> None:
    # One failure in two requests burns at 50x but is one lone failure.
    assert not judge(TIER1, WINDOWS, Events(2, 1), Events(2, 1), 99.0).firing
    assert not judge(TIER1, WINDOWS, Events(10, 2), Events(10, 2), 99.0, min_bad_events=3).firing
    assert judge(TIER1, WINDOWS, Events(10, 3), Events(10, 3), 99.0, min_bad_events=3).firing
    assert judge(TIER1, WINDOWS, Events(2, 1), Events(2, 1), 99.0, min_bad_events=1).firing
