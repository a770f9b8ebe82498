from hypothesis import given
from hypothesis import strategies as st

from domain.timewindow import HOUR, hour_of, plan_range


def test_snapshot_ending_on_the_hour_belongs_to_the_hour_before() -> None:
    assert hour_of(7200) == 3600
    assert hour_of(7201) == 7200
    assert hour_of(3601) == 3600


def test_range_inside_one_hour_is_all_raw() -> None:
    plan = plan_range(3700, 5000)
    assert plan.raw == ((3700, 5000),)
    assert plan.hours == ()


def test_range_crossing_an_hour_boundary_is_cut_there() -> None:
    plan = plan_range(3000, 4000)
    assert plan.raw == ((3000, 3600), (3600, 4000))
    assert plan.hours == ()


def test_aligned_range_is_all_hourly() -> None:
    plan = plan_range(3600, 3 * 3600)
    assert plan.raw == ()
    assert plan.hours == (3600, 7200)


def test_partial_hours_at_both_ends_come_from_raw() -> None:
    plan = plan_range(3000, 4 * 3600 + 100)
    assert plan.raw == ((3000, 3600), (4 * 3600, 4 * 3600 + 100))
    assert plan.hours == (3600, 7200, 10800)


def test_empty_range() -> None:
    assert plan_range(10, 10).raw == () and plan_range(10, 10).hours == ()


@given(st.integers(0, 10**7), st.integers(1, 10**6), st.integers(1, 10**7))
def test_every_timestamp_is_covered_exactly_once(start: int, length: int, probe: int) -> None:
    end = start + length
    plan = plan_range(start, end)
    ts = start + 1 + probe % length  # any snapshot end in (start, end]
    in_raw = sum(lo < ts <= hi for lo, hi in plan.raw)
    in_hours = sum(hour_of(ts) == h for h in plan.hours)
    assert in_raw + in_hours == 1
    for h in plan.hours:
        assert start <= h and h + HOUR <= end
    for lo, hi in plan.raw:
        assert lo < hi and hour_of(lo + 1) == hour_of(hi)
