"""SLO windows (SPEC §10): rolling 1d/7d/28d/30d and calendar week/month, UTC.

A window is read like every other range, as ``(start, end]`` over snapshot
end times. A rolling window ends now and reaches back its length; a calendar
window starts at the beginning of the current ISO week (Monday 00:00 UTC) or
calendar month and ends now, so its budget resets at the next start.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DAY = 86400
ROLLING_WINDOWS: dict[str, int] = {"1d": DAY, "7d": 7 * DAY, "28d": 28 * DAY, "30d": 30 * DAY}
CALENDAR_WINDOWS: tuple[str, ...] = ("week", "month")
WINDOWS: tuple[str, ...] = (*ROLLING_WINDOWS, *CALENDAR_WINDOWS)

# The nominal length a calendar window stands for when burn-rate windows are scaled (SPEC §11).
_NOMINAL_CALENDAR_LENGTH = {"week": 7 * DAY, "month": 30 * DAY}


class UnknownWindow(ValueError):
    """A window name outside :data:`WINDOWS`."""


def is_calendar(window: str) -> bool:
    return window in CALENDAR_WINDOWS


def nominal_length(window: str) -> int:
    """Seconds the window stands for: its length, 7 d for ``week``, 30 d for ``month``."""
    if window in ROLLING_WINDOWS:
        return ROLLING_WINDOWS[window]
    if window in _NOMINAL_CALENDAR_LENGTH:
        return _NOMINAL_CALENDAR_LENGTH[window]
    raise UnknownWindow(window)


def window_start(window: str, now: int) -> int:
    """Start of the window that is current at ``now`` (exclusive bound of ``(start, now]``)."""
    if window in ROLLING_WINDOWS:
        return now - ROLLING_WINDOWS[window]
    moment = datetime.fromtimestamp(now, UTC)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if window == "week":
        return int((midnight - timedelta(days=moment.weekday())).timestamp())
    if window == "month":
        return int(midnight.replace(day=1).timestamp())
    raise UnknownWindow(window)


def window_range(window: str, now: int) -> tuple[int, int]:
    """``(start, end]`` of the window current at ``now``."""
    return window_start(window, now), now


def next_reset(window: str, now: int) -> int | None:
    """When a calendar window starts again (its budget resets); ``None`` for rolling windows."""
    if window in ROLLING_WINDOWS:
        return None
    start = datetime.fromtimestamp(window_start(window, now), UTC)
    if window == "week":
        return int((start + timedelta(days=7)).timestamp())
    if start.month == 12:
        return int(start.replace(year=start.year + 1, month=1).timestamp())
    return int(start.replace(month=start.month + 1).timestamp())
