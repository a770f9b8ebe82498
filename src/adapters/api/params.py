"""Common query parameters of the query API (SPEC §6): the time window.

``time_range`` (``15m``, ``1h``, ``6h``, ``24h``/``1d``, ``7d``, ``30d``) counts
back from now; ``start``/``end`` (unix seconds or RFC 3339) name the window
explicitly. Every invalid value is a 422 whose message says what was wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dependency_injector.wiring import Provide, inject
from fastapi import Depends, HTTPException, Query

TIME_RANGES: dict[str, int] = {
    "15m": 15 * 60,
    "1h": 3600,
    "6h": 6 * 3600,
    "24h": 24 * 3600,
    "1d": 24 * 3600,
    "7d": 7 * 24 * 3600,
    "30d": 30 * 24 * 3600,
}
DEFAULT_TIME_RANGE = "1h"
# Hourly rows are kept 90 days: a longer window would only show missing data.
MAX_RANGE_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The half-open range ``(start, end]`` in unix seconds."""

    start: int
    end: int


class InvalidParameter(ValueError):
    pass


def parse_instant(text: str, name: str) -> int:
    """Unix seconds (``1764312030``, fractions allowed) or RFC 3339 with an offset, as unix seconds."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if not math.isfinite(number) or number < 0:
            raise InvalidParameter(f"{name} must be a non-negative unix time, got {text!r}")
        return int(number)
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InvalidParameter(
            f"{name} must be unix seconds or an RFC 3339 time such as 2026-11-28T06:00:00Z, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise InvalidParameter(f"{name} needs a UTC offset (for example 'Z' or '+01:00'), got {text!r}")
    return int(moment.timestamp())


def resolve_window(time_range: str | None, start: str | None, end: str | None, now: float) -> TimeWindow:
    if time_range is not None and (start is not None or end is not None):
        raise InvalidParameter("give either time_range or start/end, not both")
    if start is None and end is not None:
        raise InvalidParameter("end needs a start")
    if start is not None:
        first = parse_instant(start, "start")
        last = parse_instant(end, "end") if end is not None else int(now)
        if first >= last:
            raise InvalidParameter(f"start ({first}) must be before end ({last})")
        if last - first > MAX_RANGE_SECONDS:
            raise InvalidParameter(f"the window may span at most {MAX_RANGE_SECONDS // 86400} days")
        return TimeWindow(first, last)
    chosen = DEFAULT_TIME_RANGE if time_range is None else time_range.strip()
    length = TIME_RANGES.get(chosen)
    if length is None:
        raise InvalidParameter(f"time_range must be one of {', '.join(TIME_RANGES)}, got {time_range!r}")
    last = int(now)
    return TimeWindow(last - length, last)


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


_TIME_RANGE = "15m, 1h, 6h, 24h (or 1d), 7d or 30d back from now"
_START = "Window start (exclusive): unix seconds or RFC 3339"
_END = "Window end (inclusive): unix s or RFC 3339; default now"


@inject
def time_window(
    time_range: str | None = Query(None, description=_TIME_RANGE),
    start: str | None = Query(None, description=_START),
    end: str | None = Query(None, description=_END),
    clock: Callable[[], float] = Depends(Provide["clock"]),
) -> TimeWindow:
    return _window_or_422(time_range, start, end, clock())


@inject
def optional_time_window(
    time_range: str | None = Query(None, description=_TIME_RANGE + "; default: no bound"),
    start: str | None = Query(None, description=_START),
    end: str | None = Query(None, description=_END),
    clock: Callable[[], float] = Depends(Provide["clock"]),
) -> TimeWindow | None:
    """Like ``time_window``, for endpoints that read everything when no window is given."""
    if time_range is None and start is None and end is None:
        return None
    return _window_or_422(time_range, start, end, clock())


def _window_or_422(time_range: str | None, start: str | None, end: str | None, now: float) -> TimeWindow:
    try:
        return resolve_window(time_range, start, end, now)
    except InvalidParameter as error:
        raise unprocessable(str(error)) from None


def cluster_param(
    cluster_id: str | None = Query(
        None, description="Cluster to read; may be omitted while only one cluster has reported"
    ),
) -> str | None:
    if cluster_id is not None and not cluster_id.strip():
        raise unprocessable("cluster_id must not be empty")
    return cluster_id.strip() if cluster_id is not None else None


def optional_instant(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_instant(value, name)
    except InvalidParameter as error:
        raise unprocessable(str(error)) from None
