from hypothesis import given
from hypothesis import strategies as st

from domain.timewindow import (
    HOUR,
    HourlyPart,
    RawPart,
    direct_parts,
    hour_of,
    plan_range,
    prefix_parts,
    stamp_hours,
)


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


# The stitching plan over rollup states: H + 1000 .. H + 3 h + 500, the second complete hour stale.
H = 10 * HOUR
START, END = H + 1000, H + 3 * HOUR + 500
FRESH, STALE = (H + HOUR, 2, 2), (H + 2 * HOUR, 3, 2)
STATES = {H + HOUR: FRESH, H + 2 * HOUR: STALE}


def test_direct_parts_read_fresh_hours_hourly_and_the_rest_raw() -> None:
    assert direct_parts(START, END, STATES) == [
        HourlyPart(H + HOUR, H + 3 * HOUR, exclude=(H + 2 * HOUR,), fingerprint=(FRESH, STALE)),
        RawPart(H + 2 * HOUR, H + 3 * HOUR),
        RawPart(START, H + HOUR),
        RawPart(H + 3 * HOUR, END),
    ]
    assert direct_parts(H + 100, H + 200, {}) == [RawPart(H + 100, H + 200)]


def test_stamps_are_needed_for_partial_and_stale_hours_only() -> None:
    assert stamp_hours(START, END, STATES) == {H, H + 2 * HOUR, H + 3 * HOUR}
    assert stamp_hours(H, H + 2 * HOUR, {}) == set()


def test_partial_hours_are_differences_of_prefixes() -> None:
    stamps = {
        H: frozenset({H + 900, H + 1800, H + HOUR}),
        H + 2 * HOUR: frozenset({H + 2 * HOUR + 30}),
        H + 3 * HOUR: frozenset({H + 3 * HOUR + 30}),
    }
    assert prefix_parts(START, END, STATES, stamps) == [
        HourlyPart(H + HOUR, H + 2 * HOUR, fingerprint=(FRESH,)),
        RawPart(H + 2 * HOUR, H + 3 * HOUR, stamps=stamps[H + 2 * HOUR]),
        RawPart(H, H + HOUR, stamps=stamps[H]),
        RawPart(H, START, -1, stamps=frozenset({H + 900})),
        RawPart(H + 3 * HOUR, END, stamps=stamps[H + 3 * HOUR]),
    ]


def test_a_fresh_hour_without_later_snapshots_joins_the_hourly_run() -> None:
    last = (H + 3 * HOUR, 1, 1)
    stamps = {H: frozenset({H + 500}), H + 2 * HOUR: frozenset(),
              H + 3 * HOUR: frozenset({H + 3 * HOUR + 30})}
    parts = prefix_parts(START, END, {**STATES, H + 3 * HOUR: last}, stamps)
    # Hour H has no snapshot inside (START, H + 1 h]: nothing is read for it.
    assert parts == [
        HourlyPart(H + HOUR, H + 4 * HOUR, exclude=(H + 2 * HOUR,), fingerprint=(FRESH, last)),
        RawPart(H + 2 * HOUR, H + 3 * HOUR, stamps=frozenset()),
    ]
