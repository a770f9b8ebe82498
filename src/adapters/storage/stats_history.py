"""History reads: totals per ``step``-long interval, read row by row from one plan.

Intervals ``(e - step, e]`` end at multiples of ``step``; an hourly row covers
``(hour, hour + 1 h]`` and belongs to the interval holding its end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import literal, select
from sqlalchemy.engine import Connection

from adapters.storage import stats_sql
from adapters.storage.row_sums import RowSums
from adapters.storage.stats_sql import Keys
from adapters.storage.traffic_families import Family, build_totals, new_sums
from application.ports.query import Interval
from domain.timewindow import HOUR, Part, RawPart, direct_parts, hour_of

T = stats_sql.T


def read_history(
    connection: Connection,
    family: Family[T],
    cluster_id: str,
    start: int,
    end: int,
    step: int,
    keys: Keys,
    hourly: bool,
    empty: Callable[[], T],
) -> list[Interval[T]]:
    """The intervals meeting ``(start, end]``, empty ones included.

    With ``hourly`` complete hours with fresh rollups come from hourly rows;
    otherwise only raw rows are read.
    """
    if step <= 0:
        raise ValueError(f"history step must be positive, got {step}")
    if hourly and step % HOUR:
        raise ValueError(f"hourly history needs a step that is a multiple of {HOUR} s, got {step}")
    ends = interval_ends(start, end, step)
    if not ends:
        return []
    if hourly:
        states = stats_sql.rollup_states(connection, cluster_id, lo=hour_of(start + 1), hi=hour_of(end))
        parts = direct_parts(start, end, states)
    else:
        parts = [RawPart(start, end)]
    acc = new_sums(family)
    covered: dict[int, float] = defaultdict(float)
    for part in parts:
        _add_part(connection, family, cluster_id, part, step, keys, acc, covered)
    totals = build_totals(family, acc)
    return [
        Interval(end=e, covered_seconds=covered.get(e, 0.0), totals=totals.get(e) or empty()) for e in ends
    ]


def _add_part(
    connection: Connection,
    family: Family[T],
    cluster_id: str,
    part: Part,
    step: int,
    keys: Keys,
    acc: RowSums,
    covered: dict[int, float],
) -> None:
    is_raw = isinstance(part, RawPart)
    table = family.raw if is_raw else family.hourly
    time_column = table.c.ts if is_raw else table.c.hour
    shift = 0 if is_raw else HOUR
    where = stats_sql.part_filter(table, cluster_id, part, family, keys)
    rows_behind = literal(1) if is_raw else table.c.sample_count
    columns = [time_column, rows_behind, *[table.c[s] for s in family.sums]]
    if family.has_buckets:
        columns.append(table.c.buckets)
    for row in connection.execute(select(*columns).where(*where)):
        interval = _interval_end(row[0] + shift, step)
        values = tuple(row[2: 2 + len(family.sums)])
        acc.add_sums(interval, values, row[1], part.sign)
        if family.has_buckets:
            acc.add_buckets(interval, row[-1], part.sign)
    log, log_time, log_seconds = stats_sql.coverage_columns(is_raw)
    coverage = select(log_time, log_seconds).where(
        log.c.cluster_id == cluster_id, stats_sql.time_filter(log, part)
    )
    for moment, seconds in connection.execute(coverage):
        covered[_interval_end(moment + shift, step)] += part.sign * float(seconds)


def interval_ends(start: int, end: int, step: int) -> list[int]:
    """Ends of the ``step``-long intervals (aligned to multiples of ``step``) that meet ``(start, end]``."""
    if end <= start:
        return []
    first = _interval_end(start + 1, step)
    last = _interval_end(end, step)
    return list(range(first, last + 1, step))


def _interval_end(moment: int, step: int) -> int:
    """End of the interval ``(e - step, e]`` that holds ``moment``."""
    return -(-moment // step) * step

