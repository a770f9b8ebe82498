"""The one rule of merging cumulative histograms: sum per bound, keep absent bounds absent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.histogram import add_buckets, merge_buckets


def test_add_sums_bound_by_bound_and_keeps_integers() -> None:
    into: dict[str, float] = {"5": 1, "+Inf": 2}
    add_buckets(into, {"5": 3, "10": 4, "+Inf": 4})
    assert into == {"5": 4, "+Inf": 6, "10": 4}
    assert all(isinstance(count, int) for count in into.values())


def test_a_negative_sign_takes_a_histogram_away() -> None:
    into: dict[str, float] = {"5": 4, "+Inf": 6}
    add_buckets(into, {"5": 3, "10": 1}, sign=-1)
    assert into == {"5": 1, "+Inf": 6, "10": -1}


def test_merge_of_nothing_or_empty_histograms_is_empty() -> None:
    assert merge_buckets([]) == {}
    assert merge_buckets([{}, {}]) == {}


histograms = st.lists(
    st.dictionaries(st.sampled_from(["5", "10", "100", "+Inf"]), st.integers(0, 10**12), max_size=4),
    max_size=12,
)


@given(histograms)
def test_merge_many_is_adding_one_by_one_in_the_same_key_order(inputs: list[dict[str, float]]) -> None:
    one_by_one: dict[str, float] = {}
    for histogram in inputs:
        add_buckets(one_by_one, histogram)
    merged = merge_buckets(inputs)
    assert merged == one_by_one
    assert list(merged) == list(one_by_one)
