"""Rollup storage: reading an hour's raw rows summed per key, writing its hourly rows.

Plain sums are done by the database (``GROUP BY``); only the bucket JSON of
service and ingress rows is merged in Python, which keeps an hour of a large
cluster (hundreds of thousands of raw rows) within seconds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update
from sqlalchemy.sql import Select

from adapters.storage import schema
from adapters.storage.locks import job_lock
from adapters.storage.traffic_families import EDGES, INGRESS, WORKLOADS, Family, T
from domain.histogram import merge_buckets
from domain.rollup import (
    Coverage,
    HourRollup,
    IngressRolled,
    LatencyFigures,
    Rolled,
    ingress_figures,
    service_figures,
)
from domain.timewindow import HOUR
from domain.totals import EdgeTotals, WorkloadTotals

_HOURLY_TABLES = (schema.service_hourly, schema.edge_hourly, schema.ingress_hourly, schema.cluster_hourly)


def _in_hour(table: Any, cluster_id: str, hour: int) -> Any:
    return and_(table.c.cluster_id == cluster_id, table.c.ts > hour, table.c.ts <= hour + HOUR)


def _sums(family: Family[Any], cluster_id: str, hour: int) -> Select:
    table = family.raw
    return (
        select(
            *(table.c[k] for k in family.keys),
            *(func.sum(table.c[m]).label(m) for m in family.sums),
            func.sum(table.c.window_seconds).label("covered_seconds"),
            func.count().label("sample_count"),
        )
        .where(_in_hour(table, cluster_id, hour))
        .group_by(*(table.c[k] for k in family.keys))
    )


def _coverage(covered_seconds: Any, sample_count: Any) -> Coverage:
    # SUM is NULL over no rows.
    return Coverage(float(covered_seconds or 0.0), int(sample_count or 0))


def _key(family: Family[Any], row: Mapping[str, Any]) -> Hashable:
    """The rollup's key of a row: a tuple, or the bare value of a one-column key."""
    if len(family.keys) == 1:
        return row[family.keys[0]]
    return tuple(row[k] for k in family.keys)


def merge_bucket_texts(texts: Iterable[str]) -> dict[str, float]:
    """Sum JSON bucket maps with ``histogram.merge_buckets``."""
    return merge_buckets(json.loads(text) for text in texts if text and text != "{}")


class SqlHourRebuild:
    """One (cluster, hour) rebuild inside one transaction (see ``HourRebuild``)."""

    def __init__(self, connection: Connection, cluster_id: str, hour: int, locked: bool) -> None:
        self._connection = connection
        self.cluster_id = cluster_id
        self.hour = hour
        self.locked = locked

    def read_version(self) -> int | None:
        state = schema.rollup_state
        return self._connection.execute(
            select(state.c.version).where(state.c.cluster_id == self.cluster_id, state.c.hour == self.hour)
        ).scalar_one_or_none()

    def read_raw(self) -> HourRollup:
        rollup = HourRollup(self.cluster_id, self.hour)
        rollup.services = self._read_services()
        rollup.edges = self._read_edges()
        rollup.ingress = self._read_ingress()
        log = schema.snapshot_log
        covered, samples = self._connection.execute(
            select(func.sum(log.c.window_seconds), func.count()).where(
                _in_hour(log, self.cluster_id, self.hour)
            )
        ).one()
        rollup.coverage = _coverage(covered, samples)
        return rollup

    def _read_sums(self, family: Family[T]) -> Iterator[tuple[Any, T, Coverage]]:
        """Per key: the totals of the hour's raw rows (without buckets) and their coverage."""
        for row in self._connection.execute(_sums(family, self.cluster_id, self.hour)).mappings():
            totals = family.build(family.typed_sums(row), {})
            yield _key(family, row), totals, _coverage(row["covered_seconds"], row["sample_count"])

    def _read_services(self) -> dict[tuple[str, str], Rolled[WorkloadTotals]]:
        out = {key: Rolled(totals, coverage) for key, totals, coverage in self._read_sums(WORKLOADS)}
        table = WORKLOADS.raw
        buckets = select(table.c.namespace, table.c.name, table.c.buckets).where(
            _in_hour(table, self.cluster_id, self.hour)
        )
        texts: dict[tuple[str, str], list[str]] = defaultdict(list)
        for namespace, name, text_value in self._connection.execute(buckets):
            texts[(namespace, name)].append(text_value)
        for key, values in texts.items():
            if key in out:  # see _read_ingress
                out[key].totals.buckets = merge_bucket_texts(values)
        return out

    def _read_edges(self) -> dict[tuple[str, str, str, str], Rolled[EdgeTotals]]:
        return {key: Rolled(totals, coverage) for key, totals, coverage in self._read_sums(EDGES)}

    def _read_ingress(self) -> dict[str, IngressRolled]:
        out = {key: IngressRolled(totals, coverage) for key, totals, coverage in self._read_sums(INGRESS)}
        table = INGRESS.raw
        newest_route: dict[str, int] = {}
        details = select(
            table.c.service_key, table.c.ts, table.c.domain, table.c.path, table.c.buckets
        ).where(_in_hour(table, self.cluster_id, self.hour))
        texts: dict[str, list[str]] = defaultdict(list)
        for key, ts, domain, path, text_value in self._connection.execute(details):
            rolled = out.get(key)
            if rolled is None:
                # Stored by ingest between the sums and this read. Its version bump came
                # after read_version, so the compare-and-set keeps the hour dirty and the
                # next run rebuilds it with this row.
                continue
            texts[key].append(text_value)
            # The route as last seen in the hour: routes can change mid-hour.
            if (domain or path) and ts >= newest_route.get(key, -1):
                newest_route[key] = ts
                rolled.domain, rolled.path = domain, path
        for key, values in texts.items():
            out[key].totals.buckets = merge_bucket_texts(values)
        return out

    def replace_hourly(self, rollup: HourRollup) -> None:
        where = {"cluster_id": self.cluster_id, "hour": self.hour}
        for table in _HOURLY_TABLES:
            self._connection.execute(
                delete(table).where(table.c.cluster_id == self.cluster_id, table.c.hour == self.hour)
            )
        services = [
            _hourly_row(where, WORKLOADS, key, rolled, _histogram_columns(rolled, service_figures))
            for key, rolled in rollup.services.items()
        ]
        edges = [_hourly_row(where, EDGES, key, rolled, {}) for key, rolled in rollup.edges.items()]
        ingress = [
            _hourly_row(where, INGRESS, key, rolled, {
                "domain": rolled.domain,
                "path": rolled.path,
                **_histogram_columns(rolled, ingress_figures),
            })
            for key, rolled in rollup.ingress.items()
        ]
        for table, rows in (
            (schema.service_hourly, services),
            (schema.edge_hourly, edges),
            (schema.ingress_hourly, ingress),
        ):
            if rows:
                self._connection.execute(insert(table), rows)
        if rollup.coverage.sample_count:
            self._connection.execute(
                insert(schema.cluster_hourly),
                [{**where, **_coverage_columns(rollup.coverage)}],
            )

    def mark_aggregated(self, version: int, now: int) -> bool:
        state = schema.rollup_state
        result = self._connection.execute(
            update(state)
            .where(
                state.c.cluster_id == self.cluster_id,
                state.c.hour == self.hour,
                state.c.version == version,
            )
            .values(aggregated_version=version, aggregated_at=now)
        )
        return result.rowcount == 1


def _coverage_columns(coverage: Coverage) -> dict[str, Any]:
    return {"covered_seconds": coverage.covered_seconds, "sample_count": coverage.sample_count}


def _histogram_columns(rolled: Rolled[Any], figures_of: Callable[[Any], LatencyFigures]) -> dict[str, Any]:
    """The merged buckets and the figures taken from them."""
    figures = figures_of(rolled.totals)
    return {
        "buckets": json.dumps(rolled.totals.buckets, sort_keys=True),
        **{field.name: getattr(figures, field.name) for field in fields(figures)},
    }


def _hourly_row(
    where: dict[str, Any], family: Family[T], key: Hashable, rolled: Rolled[T], extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        **where,
        **family.key_columns(key),
        **family.columns(rolled.totals),
        **extra,
        **_coverage_columns(rolled.coverage),
    }


class SqlRollupRepository:
    """``RollupStore`` on SQLAlchemy Core (SQLite and PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def clusters(self) -> list[str]:
        state = schema.rollup_state
        with self._engine.connect() as connection:
            return list(connection.execute(select(state.c.cluster_id).distinct()).scalars())

    def dirty_hours(self, oldest_hour: int) -> list[tuple[str, int]]:
        state = schema.rollup_state
        query = select(state.c.cluster_id, state.c.hour).where(
            state.c.version != state.c.aggregated_version, state.c.hour >= oldest_hour
        )
        with self._engine.connect() as connection:
            return [(c, int(h)) for c, h in connection.execute(query.order_by(state.c.hour))]

    def stale_dirty_hours(self, before_hour: int) -> list[tuple[str, int]]:
        state = schema.rollup_state
        query = select(state.c.cluster_id, state.c.hour).where(
            state.c.version != state.c.aggregated_version, state.c.hour < before_hour
        )
        with self._engine.connect() as connection:
            return [(c, int(h)) for c, h in connection.execute(query)]

    def settle(self, cluster_id: str, hour: int, now: int) -> bool:
        state = schema.rollup_state
        with self._engine.begin() as connection:
            result = connection.execute(
                update(state)
                .where(state.c.cluster_id == cluster_id, state.c.hour == hour)
                .values(aggregated_version=state.c.version, aggregated_at=now)
            )
            return result.rowcount == 1

    @contextmanager
    def rebuild(self, cluster_id: str, hour: int) -> Iterator[SqlHourRebuild]:
        with self._engine.begin() as connection:
            locked = job_lock(connection, f"meshslo.aggregate.{cluster_id}.{hour}")
            yield SqlHourRebuild(connection, cluster_id, hour, locked)
