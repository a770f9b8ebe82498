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

The plan itself is pure time-window maths (``domain.timewindow.prefix_parts``);
the SQL of one part is in ``stats_sql``, history reads in ``stats_history``.
Prefixes and runs of hourly rows are what ``read_cache.PartCache`` keeps
between requests: a refreshing dashboard then reads only the snapshots that
arrived since its last request. All parts of one read run in one transaction
so that the freshness check and the rows it vouches for agree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.engine import Connection

from adapters.storage import schema, stats_sql
from adapters.storage.read_cache import HourRun, PartCache, run_delta
from adapters.storage.row_sums import RowSums
from adapters.storage.stats_history import read_history
from adapters.storage.stats_sql import Keys, T
from adapters.storage.traffic_families import EDGES, INGRESS, WORKLOADS, Family, build_totals, new_sums
from application.ports.query import ClusterInfo, Interval, RouteInfo
from domain.rollup import EdgeKey, WorkloadKey
from domain.timewindow import HOUR, HourlyPart, Part, hour_of, prefix_parts, stamp_hours
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals

# A cached run to derive a wanted run from: (hours to read, the run, hours to add, hours to take away).
_Derivation = tuple[int, HourRun[RowSums], list[int], list[int]]


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

    def workload_reported(self, cluster_id: str, key: WorkloadKey) -> bool:
        namespace, name = key
        with self._engine.connect() as connection:
            return stats_sql.any_row(
                connection, (WORKLOADS.raw, WORKLOADS.hourly), cluster_id,
                lambda t: and_(t.c.namespace == namespace, t.c.name == name),
            ) or stats_sql.any_row(
                connection, (EDGES.raw, EDGES.hourly), cluster_id,
                lambda t: or_(and_(t.c.src_ns == namespace, t.c.src_name == name),
                              and_(t.c.dst_ns == namespace, t.c.dst_name == name)),
            )

    def backend_reported(self, cluster_id: str, service_key: str) -> bool:
        with self._engine.connect() as connection:
            return stats_sql.any_row(
                connection, (INGRESS.raw, INGRESS.hourly), cluster_id,
                lambda t: t.c.service_key == service_key,
            )

    # -- stitched totals ---------------------------------------------------------

    def covered_seconds(self, cluster_id: str, start: int, end: int) -> float:
        with self._reading() as connection:
            return stats_sql.covered(connection, cluster_id, self._plan(connection, cluster_id, start, end))

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
        keys: Keys | None,
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
        self, connection: Connection, family: Family[T], cluster_id: str, part: Part, keys: Keys | None
    ) -> RowSums:
        """The unsigned sums of one part, from the cache when it still holds them."""
        key_set = None if keys is None else frozenset(keys)
        if isinstance(part, HourlyPart):
            return self._run_sums(connection, family, cluster_id, part, keys, key_set)
        if part.stamps is None:
            return stats_sql.read_sums(connection, family, cluster_id, part, keys)
        prefix_key = ("prefix", family.raw.name, cluster_id, part.lo, key_set)
        best = self._cache.best_prefix(prefix_key, part.stamps)
        if best is not None and best[0] == part.stamps:
            return best[1]
        if best is None:
            sums = stats_sql.read_sums(connection, family, cluster_id, part, keys)
        else:
            known, sums = best[0], best[1].copy()
            missing = sorted(part.stamps - known)
            sums.merge(stats_sql.read_sums(connection, family, cluster_id, part, keys, only=missing), 1)
        self._cache.put_prefix(prefix_key, part.stamps, sums)
        return sums

    def _run_sums(
        self,
        connection: Connection,
        family: Family[T],
        cluster_id: str,
        part: HourlyPart,
        keys: Keys | None,
        key_set: frozenset[tuple[str, ...]] | None,
    ) -> RowSums:
        """A run of hourly rows: cached, derived from a cached overlapping run, or read."""
        known = {state[0]: state for state in part.fingerprint}
        wanted = {
            hour: known.get(hour) for hour in range(part.lo, part.hi, HOUR) if hour not in part.exclude
        }
        run_key = ("hourly", family.raw.name, cluster_id, key_set)
        best: _Derivation | None = None
        for run in self._cache.runs(run_key):
            delta = run_delta(run.hours(), wanted)
            if delta is None:
                continue
            add, remove = delta
            if best is None or len(add) + len(remove) < best[0]:
                best = (len(add) + len(remove), run, add, remove)
        if best is not None and best[0] == 0:
            return best[1].value
        if best is not None and best[0] < len(wanted) and _unchanged(connection, cluster_id, best):
            _, run, add, remove = best
            sums = run.value.copy()
            for hour, sign in [(h, 1) for h in add] + [(h, -1) for h in remove]:
                one_hour = HourlyPart(hour, hour + HOUR)
                sums.merge(stats_sql.read_sums(connection, family, cluster_id, one_hour, keys), sign)
        else:
            sums = stats_sql.read_sums(connection, family, cluster_id, part, keys)
        self._cache.put_run(run_key, HourRun(part.lo, part.hi, tuple(sorted(wanted.items())), sums))
        return sums

    # -- history -----------------------------------------------------------------

    def workload_history(
        self, cluster_id: str, start: int, end: int, step: int, key: WorkloadKey, hourly: bool
    ) -> list[Interval[WorkloadTotals]]:
        with self._reading() as connection:
            return read_history(
                connection, WORKLOADS, cluster_id, start, end, step, [key], hourly, WorkloadTotals
            )

    def ingress_history(
        self, cluster_id: str, start: int, end: int, step: int, service_keys: Collection[str], hourly: bool
    ) -> list[Interval[IngressTotals]]:
        keys = [(k,) for k in service_keys]
        with self._reading() as connection:
            return read_history(
                connection, INGRESS, cluster_id, start, end, step, keys, hourly, IngressTotals
            )

    # -- the stitching plan --------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with stats_sql.reading(self._engine) as connection:
            yield connection

    @staticmethod
    def _plan(connection: Connection, cluster_id: str, start: int, end: int) -> list[Part]:
        """Which rows make up ``(start, end]``; see the module docstring."""
        if end <= start:
            return []
        states = stats_sql.rollup_states(connection, cluster_id, lo=hour_of(start + 1), hi=hour_of(end))
        stamps = stats_sql.snapshot_stamps(connection, cluster_id, stamp_hours(start, end, states))
        return prefix_parts(start, end, states, stamps)


def _unchanged(connection: Connection, cluster_id: str, best: _Derivation) -> bool:
    """Whether the hours to take away still have the state they had when the run was read."""
    _, run, _, remove = best
    if not remove:
        return True
    then = run.hours()
    now = stats_sql.rollup_states(connection, cluster_id, remove)
    return all(now.get(hour) == then[hour] for hour in remove)
