"""Rolling and calendar SLO windows, UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.slo_windows import (
    WINDOWS,
    UnknownWindow,
    is_calendar,
    next_reset,
    nominal_length,
    window_range,
    window_start,
)


def ts(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())


def test_rolling_windows_reach_back_their_length() -> None:
    now = ts(2026, 3, 15, 12, 30)
    assert window_range("1d", now) == (now - 86400, now)
    assert window_start("28d", now) == now - 28 * 86400
    assert window_start("30d", now) == now - 30 * 86400
    assert next_reset("7d", now) is None


@pytest.mark.parametrize(
    ("now", "start", "reset"),
    [
        (ts(2026, 1, 31, 23, 59, 59), ts(2026, 1, 1), ts(2026, 2, 1)),
        (ts(2026, 2, 14, 8), ts(2026, 2, 1), ts(2026, 3, 1)),  # 28 days
        (ts(2028, 2, 29, 23), ts(2028, 2, 1), ts(2028, 3, 1)),  # leap February: 29 days
        (ts(2026, 4, 30, 1), ts(2026, 4, 1), ts(2026, 5, 1)),  # 30 days
        (ts(2026, 12, 31, 22), ts(2026, 12, 1), ts(2027, 1, 1)),  # crosses the year
        (ts(2026, 3, 1), ts(2026, 3, 1), ts(2026, 4, 1)),  # exactly at the start: a new, empty window
    ],
)
def test_month_is_the_calendar_month(now: int, start: int, reset: int) -> None:
    assert window_start("month", now) == start
    assert next_reset("month", now) == reset


def test_month_lengths_follow_the_calendar() -> None:
    lengths = [(next_reset("month", ts(2028, m, 10)) or 0) - window_start("month", ts(2028, m, 10))
               for m in range(1, 13)]
    assert [n // 86400 for n in lengths] == [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


@pytest.mark.parametrize(
    ("now", "monday"),
    [
        (ts(2026, 12, 2, 10), ts(2026, 11, 30)),  # Wednesday
        (ts(2026, 11, 30), ts(2026, 11, 30)),  # Monday 00:00 starts the week
        (ts(2026, 11, 29, 23, 59, 59), ts(2026, 11, 23)),  # Sunday night is still last week
        (ts(2027, 1, 1, 9), ts(2026, 12, 28)),  # ISO week 53 of 2026 crosses into 2027
        (ts(2027, 1, 3, 23), ts(2026, 12, 28)),
        (ts(2027, 1, 4), ts(2027, 1, 4)),  # ISO week 1 of 2027
    ],
)
def test_week_is_the_iso_week_from_monday_utc(now: int, monday: int) -> None:
    assert window_start("week", now) == monday
    assert next_reset("week", now) == monday + 7 * 86400
    assert datetime.fromtimestamp(monday, UTC).isoweekday() == 1


def test_nominal_lengths_scale_burn_windows() -> None:
    assert nominal_length("month") == 30 * 86400
    assert nominal_length("week") == 7 * 86400
    assert nominal_length("28d") == 28 * 86400
    assert [is_calendar(w) for w in WINDOWS] == [False, False, False, False, True, True]


def test_unknown_window_is_refused() -> None:
    with pytest.raises(UnknownWindow):
        window_start("quarter", 0)
    with pytest.raises(UnknownWindow):
        nominal_length("2d")
