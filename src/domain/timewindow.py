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


# The stitching plan of the stored tables (SPEC §6 query strategy): which rows make up a range.

RollupState = tuple[int, int, int]  # a rollup_state row: (hour, version, aggregated_version)


@dataclass(frozen=True, slots=True)
class RawPart:
    """Raw rows with ``lo < ts <= hi``, added (sign 1) or taken away (sign -1).

    ``stamps`` (the snapshot ends inside the range) is set on prefixes of an
    hour, whose sums may then be served from a cache.
    """

    lo: int
    hi: int
    sign: int = 1
    stamps: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class HourlyPart:
    """Hourly rows with ``lo <= hour < hi``, except the listed hours."""

    lo: int
    hi: int
    exclude: tuple[int, ...] = ()
    sign: int = 1
    # The rollup_state rows of these hours: the rows read are the same while it is.
    fingerprint: tuple[RollupState, ...] = ()


Part = RawPart | HourlyPart


def _stale(states: dict[int, RollupState]) -> set[int]:
    """Hours whose hourly rows lag behind their raw rows (an hour without a state row is fresh)."""
    return {hour for hour, (_, version, done) in states.items() if version != done}


def direct_parts(start: int, end: int, states: dict[int, RollupState]) -> list[Part]:
    """``(start, end]`` as fresh complete hours from hourly rows, everything else read directly as raw rows.

    ``states`` are the rollup states of the hours the range touches.
    """
    plan = plan_range(start, end)
    parts: list[Part] = []
    if plan.hours:
        stale = _stale(states)
        stale_full = tuple(h for h in plan.hours if h in stale)
        fingerprint = tuple(states[h] for h in plan.hours if h in states)
        parts.append(HourlyPart(plan.hours[0], plan.hours[-1] + HOUR, stale_full, fingerprint=fingerprint))
        parts.extend(RawPart(h, h + HOUR) for h in stale_full)
    parts.extend(RawPart(lo, hi) for lo, hi in plan.raw)
    return parts


def stamp_hours(start: int, end: int, states: dict[int, RollupState]) -> set[int]:
    """The hours whose snapshot ends ``prefix_parts`` needs: partial and stale complete hours."""
    plan = plan_range(start, end)
    stale = _stale(states)
    return {hour_of(hi) for _, hi in plan.raw} | {h for h in plan.hours if h in stale}


def prefix_parts(
    start: int, end: int, states: dict[int, RollupState], stamps: dict[int, frozenset[int]]
) -> list[Part]:
    """``(start, end]`` as one run of hourly rows plus raw prefixes of hours, each cacheable.

    A partial hour ``(lo, hi]`` is ``prefix(hi) - prefix(lo)``, or, when the
    hour's rollup is fresh and no snapshot of the hour lies after ``hi``,
    ``hourly(hour) - prefix(lo)``; stale complete hours are whole-hour prefixes.
    ``stamps`` holds the snapshot ends of each of the ``stamp_hours``.
    """
    plan = plan_range(start, end)
    stale = _stale(states)
    # Hours read from hourly rows become one run (cached and slid as a whole).
    hourly = {h for h in plan.hours if h not in stale}
    raw = [RawPart(h, h + HOUR, stamps=stamps.get(h)) for h in plan.hours if h in stale]
    for lo, hi in plan.raw:
        hour = hour_of(hi)
        in_hour = stamps.get(hour, frozenset())
        if not any(lo < ts <= hi for ts in in_hour):
            continue  # no snapshot ended inside this piece
        if hour in states and hour not in stale and not any(ts > hi for ts in in_hour):
            hourly.add(hour)
        else:
            raw.append(RawPart(hour, hi, stamps=frozenset(ts for ts in in_hour if ts <= hi)))
        if lo > hour:
            raw.append(RawPart(hour, lo, -1, stamps=frozenset(ts for ts in in_hour if ts <= lo)))
    if not hourly:
        return list(raw)
    run_lo, run_hi = min(hourly), max(hourly) + HOUR
    run = HourlyPart(
        run_lo,
        run_hi,
        exclude=tuple(h for h in range(run_lo, run_hi, HOUR) if h not in hourly),
        fingerprint=tuple(states[h] for h in sorted(hourly) if h in states),
    )
    return [run, *raw]
