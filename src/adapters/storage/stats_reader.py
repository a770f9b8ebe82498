"""Stitched reads of the master's tables (SPEC §6 query strategy), SQLAlchemy Core.

A range ``(start, end]`` is cut into parts:

- complete hours whose rollup is fresh (``rollup_state.version ==
  aggregated_version``, or no state row at all) come from the hourly tables;
- complete hours with a stale rollup come from their raw rows;
- a partial hour at either end comes from raw rows, always read as a prefix
  of its hour (the hour's first snapshots): ``(lo, hi] = prefix(hi) - prefix(lo)``,
  or, when the hour's rollup is fresh and no snapshot of the hour lies after
  ``hi``, ``hourly(hour) - prefix(lo)``. Both give the same integers as reading
  ``(lo, hi]`` directly.

Prefixes and runs of hourly rows are what ``read_cache.PartCache`` keeps
between requests: a refreshing dashboard then reads only the snapshots that
arrived since its last request. Numbers are summed in SQL (GROUP BY); bucket
JSON is merged in Python. All parts of one read run in one transaction
(REPEATABLE READ on PostgreSQL) so that the freshness check and the rows it
vouches for agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, and_, func, literal, or_, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from adapters.storage import schema
from adapters.storage.read_cache import HourRun, PartCache, run_delta
from adapters.storage.row_sums import RowSums
from adapters.storage.traffic_families import EDGES, INGRESS, WORKLOADS, Family, build_totals, new_sums
from application.ports.query import ClusterInfo, Interval, RouteInfo
from application.ports.stats import EdgeKey, WorkloadKey
from domain.timewindow import HOUR, hour_of, plan_range
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals

T = TypeVar("T", WorkloadTotals, EdgeTotals, IngressTotals)


@dataclass(frozen=True, slots=True)
class _RawPart:
    """Raw rows with ``lo < ts <= hi``, added (sign 1) or taken away (sign -1).

    ``stamps`` (the snapshot ends inside the range) is set on prefixes of an
    hour, whose sums may then be served from the cache.
    """

    lo: int
    hi: int
    sign: int = 1
    stamps: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class _HourlyPart:
    """Hourly rows with ``lo <= hour < hi``, except the listed hours."""

    lo: int
    hi: int
    exclude: tuple[int, ...] = ()
    sign: int = 1
    # The rollup_state rows of these hours: the rows read are the same while it is.
    fingerprint: tuple[tuple[int, int, int], ...] = ()


_Part = _RawPart | _HourlyPart


class SqlStatsReader:
    """``QueryStore`` (and ``StatsReader``) over the master's SQL tables."""

    def __init__(self, engine: Engine, cache: PartCache[RowSums] | None = None) -> None:
        self._engine = engine
        self._cache: PartCache[RowSums] = cache if cache is not None else PartCache()

    # -- clusters and routes ---------------------------------------------------

    def clusters(self) -> list[str]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(schema.clusters.c.cluster_id).order_by(schema.clusters.c.cluster_id)
            )
            return [row.cluster_id for row in rows]

    def cluster_infos(self) -> list[ClusterInfo]:
        table = schema.clusters
        query = select(
            table.c.cluster_id, table.c.first_seen, table.c.last_snapshot, table.c.last_received,
            table.c.agent_version,
        ).order_by(table.c.cluster_id)
        with self._engine.connect() as connection:
            return [ClusterInfo(**row._asdict()) for row in connection.execute(query)]

    def routes(self, cluster_id: str) -> list[RouteInfo]:
        table = schema.route_mapping
        query = (
            select(
                table.c.domain, table.c.path_prefix, table.c.service_key, table.c.name, table.c.namespace,
                table.c.service_name, table.c.service_port, table.c.tls, table.c.last_seen,
            )
            .where(table.c.cluster_id == cluster_id)
            .order_by(table.c.domain, table.c.path_prefix, table.c.service_key)
        )
        with self._engine.connect() as connection:
            return [
                RouteInfo(**{**row._asdict(), "tls": bool(row.tls)})
                for row in connection.execute(query)
            ]

    # -- stitched totals ---------------------------------------------------------

    def covered_seconds(self, cluster_id: str, start: int, end: int) -> float:
        with self._reading() as connection:
            parts = self._plan(connection, cluster_id, start, end)
            return self._covered(connection, cluster_id, parts)

    def workload_totals(
        self, cluster_id: str, start: int, end: int, keys: Collection[WorkloadKey] | None = None
    ) -> dict[WorkloadKey, WorkloadTotals]:
        return self._totals(WORKLOADS, cluster_id, start, end, keys)

    def workload_keys(self, cluster_id: str, start: int, end: int) -> set[WorkloadKey]:
        # Through the totals (and their cache): the topology view reads the same parts.
        return set(self.workload_totals(cluster_id, start, end))

    def edge_totals(self, cluster_id: str, start: int, end: int) -> dict[EdgeKey, EdgeTotals]:
        return self._totals(EDGES, cluster_id, start, end, None)

    def ingress_totals(
        self, cluster_id: str, start: int, end: int, service_keys: Collection[str] | None = None
    ) -> dict[str, IngressTotals]:
        keys = None if service_keys is None else [(k,) for k in service_keys]
        totals = self._totals(INGRESS, cluster_id, start, end, keys)
        return {key[0]: value for key, value in totals.items()}

    def _totals(
        self,
        family: Family[T],
        cluster_id: str,
        start: int,
        end: int,
        keys: Collection[tuple[str, ...]] | None,
    ) -> dict[Any, T]:
        if keys is not None and not keys:
            return {}
        with self._reading() as connection:
            parts = self._plan(connection, cluster_id, start, end)
            total: RowSums | None = None
            for part in parts:
                sums = self._part_sums(connection, family, cluster_id, part, keys)
                if total is None and part.sign > 0:
                    total = sums.copy()  # shallow: cached sums are never edited in place
                else:
                    total = total or new_sums(family)
                    total.merge(sums, part.sign)
            return build_totals(family, total) if total is not None else {}

    def _part_sums(
        self,
        connection: Connection,
        family: Family[T],
        cluster_id: str,
        part: _Part,
        keys: Collection[tuple[str, ...]] | None,
    ) -> RowSums:
        """The unsigned sums of one part, from the cache when it still holds them."""
        key_set = None if keys is None else frozenset(keys)
        if isinstance(part, _HourlyPart):
            return self._run_sums(connection, family, cluster_id, part, keys, key_set)
        if part.stamps is None:
            return self._read_sums(connection, family, cluster_id, part, keys)
        prefix_key = ("prefix", family.raw.name, cluster_id, part.lo, key_set)
        best = self._cache.best_prefix(prefix_key, part.stamps)
        if best is not None and best[0] == part.stamps:
            return best[1]
        if best is None:
            sums = self._read_sums(connection, family, cluster_id, part, keys)
        else:
            known, sums = best[0], best[1].copy()
            missing = sorted(part.stamps - known)
            sums.merge(self._read_sums(connection, family, cluster_id, part, keys, only=missing), 1)
        self._cache.put_prefix(prefix_key, part.stamps, sums)
        return sums

    def _run_sums(
        self,
        connection: Connection,
        family: Family[T],
        cluster_id: str,
        part: _HourlyPart,
        keys: Collection[tuple[str, ...]] | None,
        key_set: frozenset[tuple[str, ...]] | None,
    ) -> RowSums:
        """A run of hourly rows: cached, derived from a cached overlapping run, or read."""
        known = {state[0]: state for state in part.fingerprint}
        wanted = {
            hour: known.get(hour) for hour in range(part.lo, part.hi, HOUR) if hour not in part.exclude
        }
        run_key = ("hourly", family.raw.name, cluster_id, key_set)
        best: tuple[int, HourRun[RowSums], list[int], list[int]] | None = None
        for run in self._cache.runs(run_key):
            delta = run_delta(run.hours(), wanted)
            if delta is None:
                continue
            add, remove = delta
            if best is None or len(add) + len(remove) < best[0]:
                best = (len(add) + len(remove), run, add, remove)
        if best is not None and best[0] == 0:
            return best[1].value
        if best is not None and best[0] < len(wanted) and self._unchanged(connection, cluster_id, best):
            _, run, add, remove = best
            sums = run.value.copy()
            for hour, sign in [(h, 1) for h in add] + [(h, -1) for h in remove]:
                one_hour = _HourlyPart(hour, hour + HOUR)
                sums.merge(self._read_sums(connection, family, cluster_id, one_hour, keys), sign)
        else:
            sums = self._read_sums(connection, family, cluster_id, part, keys)
        self._cache.put_run(run_key, HourRun(part.lo, part.hi, tuple(sorted(wanted.items())), sums))
        return sums

    @staticmethod
    def _unchanged(
        connection: Connection, cluster_id: str, best: tuple[int, HourRun[RowSums], list[int], list[int]]
    ) -> bool:
        """Whether the hours to take away still have the state they had when the run was read."""
        _, run, _, remove = best
        if not remove:
            return True
        then = run.hours()
        state = schema.rollup_state
        now = {
            row.hour: (row.hour, row.version, row.aggregated_version)
            for row in connection.execute(
                select(state.c.hour, state.c.version, state.c.aggregated_version).where(
                    state.c.cluster_id == cluster_id, state.c.hour.in_(remove)
                )
            )
        }
        return all(now.get(hour) == then[hour] for hour in remove)

    @staticmethod
    def _read_sums(
        connection: Connection,
        family: Family[T],
        cluster_id: str,
        part: _Part,
        keys: Collection[tuple[str, ...]] | None,
        only: list[int] | None = None,
    ) -> RowSums:
        acc = new_sums(family)
        table = family.raw if isinstance(part, _RawPart) else family.hourly
        where = _where(table, cluster_id, part, family, keys)
        if only is not None:
            where.append(table.c.ts.in_(only))
        key_columns = [table.c[k] for k in family.keys]
        width = len(key_columns)
        summed = select(*key_columns, _row_count(table), *[func.sum(table.c[s]) for s in family.sums])
        for row in connection.execute(summed.where(*where).group_by(*key_columns)):
            acc.add_sums(tuple(row[:width]), tuple(row[width + 1:]), row[width], 1)
        if family.has_buckets:
            for row in connection.execute(select(*key_columns, table.c.buckets).where(*where)):
                acc.add_buckets(tuple(row[:-1]), row[-1], 1)
        return acc

    # -- history -----------------------------------------------------------------

    def workload_history(
        self, cluster_id: str, start: int, end: int, step: int, key: WorkloadKey, hourly: bool
    ) -> list[Interval[WorkloadTotals]]:
        return self._history(WORKLOADS, cluster_id, start, end, step, [key], hourly, WorkloadTotals)

    def ingress_history(
        self, cluster_id: str, start: int, end: int, step: int, service_keys: Collection[str], hourly: bool
    ) -> list[Interval[IngressTotals]]:
        keys = [(k,) for k in service_keys]
        return self._history(INGRESS, cluster_id, start, end, step, keys, hourly, IngressTotals)

    def _history(
        self,
        family: Family[T],
        cluster_id: str,
        start: int,
        end: int,
        step: int,
        keys: Collection[tuple[str, ...]],
        hourly: bool,
        empty: Callable[[], T],
    ) -> list[Interval[T]]:
        if step <= 0:
            raise ValueError(f"history step must be positive, got {step}")
        if hourly and step % HOUR:
            raise ValueError(f"hourly history needs a step that is a multiple of {HOUR} s, got {step}")
        ends = interval_ends(start, end, step)
        if not ends:
            return []
        with self._reading() as connection:
            if hourly:
                parts = self._plan(connection, cluster_id, start, end, prefixes=False)
            else:
                parts = [_RawPart(start, end)] if end > start else []
            acc = new_sums(family)
            covered: dict[int, float] = defaultdict(float)
            for part in parts:
                self._history_part(connection, family, cluster_id, part, step, keys, acc, covered)
            totals = build_totals(family, acc)
        return [
            Interval(end=e, covered_seconds=covered.get(e, 0.0), totals=totals.get(e) or empty())
            for e in ends
        ]

    def _history_part(
        self,
        connection: Connection,
        family: Family[T],
        cluster_id: str,
        part: _Part,
        step: int,
        keys: Collection[tuple[str, ...]],
        acc: RowSums,
        covered: dict[int, float],
    ) -> None:
        is_raw = isinstance(part, _RawPart)
        table = family.raw if is_raw else family.hourly
        time_column = table.c.ts if is_raw else table.c.hour
        # An hourly row covers (hour, hour + 1 h]: it belongs to the interval holding its end.
        shift = 0 if is_raw else HOUR
        where = _where(table, cluster_id, part, family, keys)
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
        log, log_time, log_seconds = _coverage_columns(is_raw)
        coverage = select(log_time, log_seconds).where(
            log.c.cluster_id == cluster_id, _time_filter(log, part)
        )
        for moment, seconds in connection.execute(coverage):
            covered[_interval_end(moment + shift, step)] += part.sign * float(seconds)

    # -- the stitching plan --------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """One consistent view of the database for all the statements of a read."""
        with self._engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                if connection.dialect.name == "sqlite":
                    _begin_sqlite_read(connection)
                yield connection

    def _plan(
        self, connection: Connection, cluster_id: str, start: int, end: int, prefixes: bool = True
    ) -> list[_Part]:
        """Which rows make up ``(start, end]``; see the module docstring.

        Without ``prefixes`` (history, read row by row) partial hours are read
        directly as ``(lo, hi]``.
        """
        if end <= start:
            return []
        first_hour, last_hour = hour_of(start + 1), hour_of(end)
        state = schema.rollup_state
        states = {
            row.hour: (row.hour, row.version, row.aggregated_version)
            for row in connection.execute(
                select(state.c.hour, state.c.version, state.c.aggregated_version).where(
                    state.c.cluster_id == cluster_id, state.c.hour >= first_hour, state.c.hour <= last_hour
                )
            )
        }
        stale = {hour for hour, (_, version, done) in states.items() if version != done}
        plan = plan_range(start, end)
        full_hours, pieces = plan.hours, plan.raw
        if not prefixes:
            parts: list[_Part] = []
            if full_hours:
                stale_full = tuple(h for h in full_hours if h in stale)
                fingerprint = tuple(states[h] for h in full_hours if h in states)
                parts.append(
                    _HourlyPart(full_hours[0], full_hours[-1] + HOUR, stale_full, fingerprint=fingerprint)
                )
                parts.extend(_RawPart(h, h + HOUR) for h in stale_full)
            parts.extend(_RawPart(lo, hi) for lo, hi in pieces)
            return parts
        stale_full = [h for h in full_hours if h in stale]
        stamps = self._stamps(connection, cluster_id, {hour_of(hi) for _, hi in pieces} | set(stale_full))
        # Hours read from hourly rows become one run (cached and slid as a whole).
        hourly = {h for h in full_hours if h not in stale}
        raw: list[_RawPart] = [_RawPart(h, h + HOUR, stamps=stamps.get(h)) for h in stale_full]
        for lo, hi in pieces:
            hour = hour_of(hi)
            in_hour = stamps.get(hour, frozenset())
            if not any(lo < ts <= hi for ts in in_hour):
                continue  # no snapshot ended inside this piece
            if hour in states and hour not in stale and not any(ts > hi for ts in in_hour):
                hourly.add(hour)
            else:
                raw.append(_RawPart(hour, hi, stamps=frozenset(ts for ts in in_hour if ts <= hi)))
            if lo > hour:
                raw.append(_RawPart(hour, lo, -1, stamps=frozenset(ts for ts in in_hour if ts <= lo)))
        if not hourly:
            return list(raw)
        run_lo, run_hi = min(hourly), max(hourly) + HOUR
        run = _HourlyPart(
            run_lo,
            run_hi,
            exclude=tuple(h for h in range(run_lo, run_hi, HOUR) if h not in hourly),
            fingerprint=tuple(states[h] for h in sorted(hourly) if h in states),
        )
        return [run, *raw]

    @staticmethod
    def _stamps(connection: Connection, cluster_id: str, hours: set[int]) -> dict[int, frozenset[int]]:
        """The snapshot ends of each of these hours."""
        if not hours:
            return {}
        log = schema.snapshot_log
        out: dict[int, set[int]] = {hour: set() for hour in hours}
        for hour in hours:
            in_hour = and_(log.c.ts > hour, log.c.ts <= hour + HOUR)
            rows = connection.execute(select(log.c.ts).where(log.c.cluster_id == cluster_id, in_hour))
            out[hour].update(rows.scalars())
        return {hour: frozenset(values) for hour, values in out.items()}

    @staticmethod
    def _covered(connection: Connection, cluster_id: str, parts: list[_Part]) -> float:
        total = 0.0
        for part in parts:
            log, _, seconds = _coverage_columns(isinstance(part, _RawPart))
            value = connection.execute(
                select(func.sum(seconds)).where(log.c.cluster_id == cluster_id, _time_filter(log, part))
            ).scalar()
            total += part.sign * float(value or 0.0)
        return total


def _begin_sqlite_read(connection: Connection) -> None:
    """Open the SQLite transaction the driver would not open for SELECTs.

    Python's sqlite3 only begins a transaction before a write, so each SELECT
    would otherwise see the database as of its own moment: a snapshot stored
    between the snapshot-log read and the row read could be counted twice by
    the prefix cache, or once without its covered seconds.
    """
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


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


def _coverage_columns(is_raw: bool) -> tuple[Table, ColumnElement[Any], ColumnElement[Any]]:
    if is_raw:
        return schema.snapshot_log, schema.snapshot_log.c.ts, schema.snapshot_log.c.window_seconds
    return schema.cluster_hourly, schema.cluster_hourly.c.hour, schema.cluster_hourly.c.covered_seconds


def _time_filter(table: Table, part: _Part) -> ColumnElement[bool]:
    if isinstance(part, _RawPart):
        return and_(table.c.ts > part.lo, table.c.ts <= part.hi)
    condition = and_(table.c.hour >= part.lo, table.c.hour < part.hi)
    if part.exclude:
        condition = and_(condition, table.c.hour.not_in(part.exclude))
    return condition


def _row_count(table: Table) -> ColumnElement[Any]:
    """How many raw rows stand behind a group: counted for raw rows, recorded in hourly ones."""
    if "sample_count" in table.c:
        return func.sum(table.c.sample_count)
    return func.count()


def _where(
    table: Table, cluster_id: str, part: _Part, family: Family[Any], keys: Collection[tuple[str, ...]] | None
) -> list[ColumnElement[bool]]:
    return [table.c.cluster_id == cluster_id, _time_filter(table, part), *_key_filter(table, family, keys)]


def _key_filter(
    table: Table, family: Family[Any], keys: Collection[tuple[str, ...]] | None
) -> list[ColumnElement[bool]]:
    if keys is None:
        return []
    columns = [table.c[k] for k in family.keys]
    if len(columns) == 1:
        return [columns[0].in_([key[0] for key in keys])]
    if len(keys) == 1:
        (key,) = keys
        return [and_(*(column == value for column, value in zip(columns, key, strict=True)))]
    if len(keys) <= 50:
        return [or_(*(and_(*(c == v for c, v in zip(columns, key, strict=True))) for key in keys))]
    return [tuple_(*columns).in_(list(keys))]
