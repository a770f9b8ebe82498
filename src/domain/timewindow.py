"""Time ranges, hours and the raw/hourly stitching plan (SPEC §6).

A snapshot covers ``(window_start, timestamp]`` and belongs to the hour that
contains its end: the hour ``H`` holds snapshots with ``H < timestamp <= H + 3600``.
Queries use the same half-open convention, ``(start, end]``.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR = 3600


def hour_of(timestamp: int) -> int:
    """Start of the hour a snapshot ending at ``timestamp`` belongs to."""
    return ((timestamp - 1) // HOUR) * HOUR


@dataclass(frozen=True, slots=True)
class RangePlan:
    """Which part of ``(start, end]`` to read from raw rows and which from hourly rows.

    ``raw`` lists half-open ``(lo, hi]`` timestamp ranges, each inside one hour;
    ``hours`` the start of each complete hour, all of which lie inside the range.
    """

    raw: tuple[tuple[int, int], ...]
    hours: tuple[int, ...]


def plan_range(start: int, end: int) -> RangePlan:
    if end <= start:
        return RangePlan(raw=(), hours=())
    first_full = -(-start // HOUR) * HOUR  # first hour boundary >= start
    last_full_end = (end // HOUR) * HOUR  # last hour boundary <= end
    if first_full >= last_full_end:
        if start < first_full < end:  # crosses one hour boundary without a complete hour
            return RangePlan(raw=((start, first_full), (first_full, end)), hours=())
        return RangePlan(raw=((start, end),), hours=())
    raw: list[tuple[int, int]] = []
    if start < first_full:
        raw.append((start, first_full))
    if last_full_end < end:
        raw.append((last_full_end, end))
    return RangePlan(raw=tuple(raw), hours=tuple(range(first_full, last_full_end, HOUR)))
