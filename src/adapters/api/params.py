"""Common query parameters of the query API (SPEC §6): the time window.

``time_range`` (``15m``, ``1h``, ``6h``, ``24h``/``1d``, ``7d``, ``30d``) counts
back from now; ``start``/``end`` (unix seconds or RFC 3339) name the window
explicitly. Every invalid value is a 422 whose message says what was wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


# What an instant may look like, exactly as the OpenAPI document states it (``INSTANT_SCHEMA``):
# unix seconds (digits, an optional fraction) or an RFC 3339 date-time with its offset.
_UNIX_SECONDS = r"^[0-9]{1,12}(\.[0-9]{1,9})?$"
_RFC_3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$",
    re.ASCII,
)
INSTANT_SCHEMA: dict[str, Any] = {"anyOf": [{"type": "string", "pattern": _UNIX_SECONDS},
                                            {"type": "string", "format": "date-time"}]}
# Something other than blanks (every handler strips names, and refuses what is then empty).
NOT_BLANK: dict[str, Any] = {"pattern": r"\S"}


def enum_query(values: Iterable[str], default: str | None, description: str) -> Any:
    """A query parameter documented with its allowed values (the handler or service refuses others
    with its own message, so the document only states them)."""
    return Query(default, description=description, json_schema_extra={"enum": list(values)})


def text_query(default: str | None, description: str) -> Any:
    """A name, key or domain: documented as not blank, which the handler checks."""
    return Query(default, description=description, json_schema_extra=NOT_BLANK)


def instant_query(description: str) -> Any:
    return Query(None, description=description, json_schema_extra=INSTANT_SCHEMA)


def parse_instant(text: str, name: str) -> int:
    """Unix seconds (``1764312030``, fractions allowed) or RFC 3339 with an offset, as unix seconds."""
    if re.fullmatch(_UNIX_SECONDS, text):
        number = float(text)
        if not math.isfinite(number):
            raise InvalidParameter(f"{name} must be a non-negative unix time, got {text!r}")
        return int(number)
    shape = _RFC_3339.fullmatch(text)
    if shape is None and _is_float(text):
        raise InvalidParameter(
            f"{name} must be a non-negative unix time in plain digits (such as 1764312030), got {text!r}")
    if shape is None:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9:.]+", text):
            raise InvalidParameter(f"{name} needs a UTC offset (for example 'Z' or '+01:00'), got {text!r}")
        raise InvalidParameter(
            f"{name} must be unix seconds or an RFC 3339 time such as 2026-11-28T06:00:00Z, got {text!r}"
        )
    try:
        # Python reads at most microseconds: a longer fraction is cut, as RFC 3339 allows.
        fraction = shape.group(1) or ""
        normal = text.replace(fraction, fraction[:7]).upper() if fraction else text.upper()
        moment = datetime.fromisoformat(normal.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidParameter(f"{name}: {text!r} is not a valid date-time ({error})") from None
    seconds = moment.timestamp()
    if seconds < 0:
        raise InvalidParameter(f"{name} must not be before 1970-01-01T00:00:00Z, got {text!r}")
    return int(seconds)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
    chosen = DEFAULT_TIME_RANGE if time_range is None else time_range
    length = TIME_RANGES.get(chosen)
    if length is None:
        raise InvalidParameter(f"time_range must be one of {', '.join(TIME_RANGES)}, got {time_range!r}")
    last = int(now)
    return TimeWindow(last - length, last)


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status_code=422, detail=message)


_TIME_RANGE = "15m, 1h, 6h, 24h (or 1d), 7d or 30d back from now; not with start/end"
_START = ("Window start (exclusive): unix seconds or RFC 3339, not before 1970; before end, at most 90 days "
          "before it; not with time_range")
_END = "Window end (inclusive): unix s or RFC 3339; needs start; default now"


@inject
def time_window(
    time_range: str | None = enum_query(TIME_RANGES, None, _TIME_RANGE),
    start: str | None = instant_query(_START),
    end: str | None = instant_query(_END),
    clock: Callable[[], float] = Depends(Provide["clock"]),
) -> TimeWindow:
    return _window_or_422(time_range, start, end, clock())


@inject
def optional_time_window(
    time_range: str | None = enum_query(TIME_RANGES, None, _TIME_RANGE + "; default: no bound"),
    start: str | None = instant_query(_START),
    end: str | None = instant_query(_END),
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
    cluster_id: str | None = text_query(
        None, "Cluster to read; may be omitted while only one cluster has reported"
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
