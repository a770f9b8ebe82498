"""Time window parameters of the query API: every accepted spelling and every refusal."""

from __future__ import annotations

import pytest

from adapters.api.params import (
    MAX_RANGE_SECONDS,
    TIME_RANGES,
    InvalidParameter,
    TimeWindow,
    parse_instant,
    resolve_window,
)

NOW = 1_764_312_030.7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1764312030", 1_764_312_030),
        ("1764312030.9", 1_764_312_030),  # fractions are cut to whole seconds
        ("0", 0),
        ("2025-11-28t06:40:30.123456789Z", 1_764_312_030),  # RFC 3339 allows a lower-case t, any fraction
        ("2025-11-28T06:40:30Z", 1_764_312_030),
        ("2025-11-28T06:40:30z", 1_764_312_030),
        ("2025-11-28T07:40:30+01:00", 1_764_312_030),
        ("2025-11-28T06:40:30.5Z", 1_764_312_030),
    ],
)
def test_instants(text: str, expected: int) -> None:
    assert parse_instant(text, "start") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "start must be unix seconds or an RFC 3339 time"),
        ("", "start must be unix seconds or an RFC 3339 time"),
        ("2025-11-28T06:40:30", "start needs a UTC offset"),
        ("-1", "non-negative"),
        ("inf", "non-negative"),
        ("nan", "non-negative"),
        # Exactly what the OpenAPI document states: no blanks, exponents or dates without seconds.
        (" 0 ", "non-negative unix time in plain digits"),
        ("1e9", "non-negative unix time in plain digits"),
        ("2025-11-28T06:40Z", "start must be unix seconds or an RFC 3339 time"),
        ("2025-13-28T06:40:30Z", "not a valid date-time"),
        ("1969-12-31T23:59:59Z", "not be before 1970"),
    ],
)
def test_bad_instants(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        parse_instant(text, "start")


def test_named_ranges_count_back_from_now() -> None:
    assert resolve_window(None, None, None, NOW) == TimeWindow(1_764_312_030 - 3600, 1_764_312_030)
    for name, seconds in TIME_RANGES.items():
        assert resolve_window(name, None, None, NOW) == TimeWindow(1_764_312_030 - seconds, 1_764_312_030)
    assert resolve_window("24h", None, None, NOW) == resolve_window("1d", None, None, NOW)


def test_explicit_windows() -> None:
    assert resolve_window(None, "100", "200", NOW) == TimeWindow(100, 200)
    assert resolve_window(None, "1764308430", None, NOW) == TimeWindow(1_764_308_430, 1_764_312_030)


@pytest.mark.parametrize(
    ("time_range", "start", "end", "message"),
    [
        ("2h", None, None, "time_range must be one of 15m, 1h, 6h, 24h, 1d, 7d, 30d, got '2h'"),
        ("", None, None, "time_range must be one of"),
        ("1h", "1", None, "either time_range or start/end"),
        ("1h", None, "5", "either time_range or start/end"),
        (None, None, "5", "end needs a start"),
        (None, "10", "10", "start (10) must be before end (10)"),
        (None, "20", "10", "must be before end"),
        (None, "0", str(MAX_RANGE_SECONDS + 1), "at most 90 days"),
    ],
)
def test_refusals(time_range: str | None, start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(InvalidParameter) as error:
        resolve_window(time_range, start, end, NOW)
    assert message in str(error.value)


def test_the_longest_window_allowed() -> None:
    assert resolve_window(None, "0", str(MAX_RANGE_SECONDS), NOW) == TimeWindow(0, MAX_RANGE_SECONDS)
