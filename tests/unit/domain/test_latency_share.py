"""Latency SLI from cumulative buckets: exact at a bound, interpolated (and flagged) elsewhere."""

from __future__ import annotations

import math

import pytest

from domain.latency_share import ThresholdCount, count_within, count_within_all

LINKERD = {"5": 40, "10": 90, "50": 115, "+Inf": 120}


def test_threshold_on_a_bound_is_the_cumulative_count_and_exact() -> None:
    assert count_within(LINKERD, 10) == ThresholdCount(90, 120, estimated=False)
    assert count_within(LINKERD, 50.0) == ThresholdCount(115, 120, estimated=False)


def test_bound_written_differently_is_still_exact() -> None:
    assert count_within({"1e1": 7, "10.0": 3, "+Inf": 20}, 10) == ThresholdCount(10, 20, estimated=False)


def test_threshold_inside_a_bucket_is_interpolated_and_estimated() -> None:
    # (10, 50]: 25 observations; 30 ms is halfway → 90 + 12.5.
    assert count_within(LINKERD, 30) == ThresholdCount(102.5, 120, estimated=True)


def test_first_bucket_starts_at_zero() -> None:
    assert count_within(LINKERD, 2) == ThresholdCount(16, 120, estimated=True)


def test_above_the_highest_finite_bound_everything_in_inf_is_slow() -> None:
    assert count_within(LINKERD, 10_000) == ThresholdCount(115, 120, estimated=True)


def test_empty_inf_bucket_above_highest_bound_is_exact() -> None:
    assert count_within({"100": 8, "+Inf": 8}, 250) == ThresholdCount(8, 8, estimated=False)


def test_interpolation_inside_an_empty_bucket_is_not_an_estimate() -> None:
    assert count_within({"10": 4, "50": 4, "+Inf": 9}, 30) == ThresholdCount(4, 9, estimated=False)


def test_no_observations() -> None:
    assert count_within({}, 300) == ThresholdCount(0, 0)
    assert count_within({"100": 0, "+Inf": 0}, 50) == ThresholdCount(0, 0)


def test_non_monotonic_counts_are_made_cumulative() -> None:
    assert count_within({"10": 5, "20": 3, "+Inf": 6}, 20) == ThresholdCount(5, 6)


def test_histograms_with_different_bounds_are_counted_each_against_its_own() -> None:
    traefik = {"100": 280, "300": 299, "1200": 300, "5000": 300, "+Inf": 300}
    nginx = {"5": 10, "10": 20, "25": 30, "50": 40, "100": 50, "250": 60, "+Inf": 60}
    both = count_within_all([traefik, nginx], 100)
    assert both == ThresholdCount(280 + 50, 360, estimated=False)
    mixed = count_within_all([traefik, nginx], 300)
    # traefik exact at 300; nginx: 300 is above 250 with +Inf empty beyond → exact too.
    assert mixed == ThresholdCount(299 + 60, 360, estimated=False)
    inside = count_within_all([traefik, nginx], 200)
    assert inside.estimated
    assert inside.within == pytest.approx(280 + 19 * 0.5 + 50 + 10 * (100 / 150))


def test_a_naive_key_by_key_merge_of_different_bounds_would_be_wrong() -> None:
    # Why count_within_all exists: merging first loses nginx's observations under 100.
    traefik = {"100": 1, "+Inf": 10}
    nginx = {"50": 9, "+Inf": 10}
    naive = {"50": 9, "100": 1, "+Inf": 20}
    assert count_within(naive, 100).within != count_within_all([traefik, nginx], 100).within
    assert count_within_all([traefik, nginx], 100).within == 10


@pytest.mark.parametrize("threshold", [0.5, 1, 3, 7.5, 10, 49.99, 50, 51, 1e9])
def test_within_never_exceeds_total_and_grows_with_the_threshold(threshold: float) -> None:
    lower = count_within(LINKERD, threshold)
    higher = count_within(LINKERD, threshold * 1.5)
    assert 0 <= lower.within <= higher.within <= lower.total
    assert not math.isnan(lower.within)
