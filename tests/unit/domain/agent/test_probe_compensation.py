"""Probe compensation of one pod's cumulative histogram (SPEC §2.4)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.agent.probes import compensate
from domain.contract import bucket_bound


def test_probes_leave_every_bucket_and_the_count_floored_at_zero() -> None:
    buckets, count = compensate({"5": 12.0, "10": 40.0, "+Inf": 50.0}, 50.0, 20.0)
    assert (buckets, count) == ({"5": 0.0, "10": 20.0, "+Inf": 30.0}, 30.0)


def test_no_probes_changes_nothing_and_returns_a_copy() -> None:
    original = {"5": 1.0, "+Inf": 2.0}
    buckets, count = compensate(original, 2.0, 0.0)
    assert (buckets, count) == (original, 2.0)
    buckets["5"] = 99.0
    assert original["5"] == 1.0


def test_more_probes_than_requests_empties_the_histogram() -> None:
    assert compensate({"1": 3.0, "+Inf": 3.0}, 3.0, 10.0) == ({"1": 0.0, "+Inf": 0.0}, 0.0)


@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=10),
    st.integers(0, 2000),
)
def test_result_stays_cumulative_and_consistent(increments: list[int], probes: int) -> None:
    bounds = [str(2**i) for i in range(len(increments) - 1)] + ["+Inf"]
    running, buckets = 0, {}
    for bound, increment in zip(bounds, increments, strict=True):
        running += increment
        buckets[bound] = float(running)
    result, count = compensate(buckets, float(running), float(probes))
    ordered = [result[k] for k in sorted(result, key=bucket_bound)]
    assert ordered == sorted(ordered)
    assert all(value >= 0 for value in ordered)
    assert count == result["+Inf"] == max(running - probes, 0)
    # Exactly min(probes, bucket) is removed from each bucket: the probes are the fastest requests.
    assert all(buckets[k] - result[k] == min(probes, buckets[k]) for k in buckets)
