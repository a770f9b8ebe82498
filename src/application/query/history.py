"""How finely to cut a range into history points, from which rows, and what a point says.

Ranges up to 6 h are drawn from raw rows (30 s resolution is there to see);
longer ranges from hourly rows, so their step is a whole number of hours.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import slo

RAW_HISTORY_MAX_SECONDS = 6 * 3600
MAX_POINTS = 60
_STEPS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    step: int
    hourly: bool


def history_plan(length_seconds: int) -> HistoryPlan:
    """The smallest step giving at most ``MAX_POINTS`` points for a range of this length."""
    hourly = length_seconds > RAW_HISTORY_MAX_SECONDS
    for step in _STEPS:
        if hourly and step % 3600:
            continue
        if -(-length_seconds // step) <= MAX_POINTS:
            return HistoryPlan(step=step, hourly=hourly)
    return HistoryPlan(step=-(-length_seconds // MAX_POINTS // 86400) * 86400, hourly=hourly)


def point_rate(requests: int, covered_seconds: float) -> float | None:
    """Requests per second of one history point; None when no snapshot falls in it.

    "No data" must not read as "no traffic": a chart draws None as a gap and 0
    as a dip. Every snapshot covers a positive window, so no coverage means no
    snapshot. The ratios need no such rule: without requests they are None anyway.
    """
    if covered_seconds <= 0:
        return None
    return slo.rate_per_second(requests, covered_seconds)
