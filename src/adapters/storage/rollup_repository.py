"""Rollup storage: reading an hour's raw rows summed per key, writing its hourly rows.

Plain sums are done by the database (``GROUP BY``); only the bucket JSON of
service and ingress rows is merged in Python, which keeps an hour of a large
cluster (hundreds of thousands of raw rows) within seconds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update
from sqlalchemy.sql import Select

from adapters.storage import schema
from adapters.storage.locks import job_lock
from domain.rollup import (
    Coverage,
    HourRollup,
    IngressRolled,
    Rolled,
    ingress_figures,
    service_figures,
)
from domain.timewindow import HOUR
from domain.totals import METHODS, STATUS_CLASSES, EdgeTotals, IngressTotals, WorkloadTotals

_CLASS_COLUMNS = {cls: f"status_{cls}" for cls in STATUS_CLASSES}  # "2xx" → "status_2xx"
_HOURLY_TABLES = (schema.service_hourly, schema.edge_hourly, schema.ingress_hourly, schema.cluster_hourly)
_METHOD_COLUMNS = {m: (f"{m.lower()}_requests", f"{m.lower()}_errors") for m in METHODS}


def _int(value: Any) -> int:
    # PostgreSQL's SUM of a bigint is numeric (Decimal); NULL when no rows.
    return int(value or 0)


def _float(value: Any) -> float:
    return float(value or 0.0)


def _in_hour(table: Any, cluster_id: str, hour: int) -> Any:
    return and_(table.c.cluster_id == cluster_id, table.c.ts > hour, table.c.ts <= hour + HOUR)


def _sums(table: Any, keys: list[str], measures: list[str], cluster_id: str, hour: int) -> Select:
    return (
        select(
            *(table.c[k] for k in keys),
            *(func.sum(table.c[m]).label(m) for m in measures),
            func.sum(table.c.window_seconds).label("covered_seconds"),
            func.count().label("sample_count"),
        )
        .where(_in_hour(table, cluster_id, hour))
        .group_by(*(table.c[k] for k in keys))
    )


def merge_bucket_texts(texts: Iterable[str]) -> dict[str, float]:
    """Sum JSON bucket maps key by key.

    The rows of one key nearly always share one bucket layout, so each layout's
    counts are summed column-wise (``zip``/``sum`` run in C) and only the few
    distinct layouts are merged key by key: about twice as fast as adding
    every key of every row.
    """
    by_layout: dict[tuple[str, ...], list[tuple[float, ...]]] = {}
    for text_value in texts:
        if not text_value or text_value == "{}":
            continue
        parsed = json.loads(text_value)
        by_layout.setdefault(tuple(parsed), []).append(tuple(parsed.values()))
    merged: dict[str, float] = {}
    for keys, rows in by_layout.items():
        for key, total in zip(keys, map(sum, zip(*rows, strict=True)), strict=True):
            merged[key] = merged.get(key, 0) + total
    return merged


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
        rollup.coverage = Coverage(_float(covered), _int(samples))
        return rollup

    def _read_services(self) -> dict[tuple[str, str], Rolled[WorkloadTotals]]:
        table = schema.service_raw
        measures = [
            "requests", "errors", *_CLASS_COLUMNS.values(),
            "latency_sum", "latency_count", "tls_requests", "total_requests",
        ]
        out: dict[tuple[str, str], Rolled[WorkloadTotals]] = {}
        for row in self._connection.execute(
            _sums(table, ["namespace", "name"], measures, self.cluster_id, self.hour)
        ).mappings():
            totals = WorkloadTotals(
                latency_sum=_float(row["latency_sum"]),
                latency_count=_int(row["latency_count"]),
                requests=_int(row["requests"]),
                errors=_int(row["errors"]),
                status_classes={cls: _int(row[col]) for cls, col in _CLASS_COLUMNS.items()},
                tls_requests=_int(row["tls_requests"]),
                total_requests=_int(row["total_requests"]),
            )
            coverage = Coverage(_float(row["covered_seconds"]), _int(row["sample_count"]))
            out[(row["namespace"], row["name"])] = Rolled(totals, coverage)
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
        keys = ["src_ns", "src_name", "dst_ns", "dst_name"]
        measures = ["requests", "failures", "latency_sum", "latency_count"]
        out: dict[tuple[str, str, str, str], Rolled[EdgeTotals]] = {}
        for row in self._connection.execute(
            _sums(schema.edge_raw, keys, measures, self.cluster_id, self.hour)
        ).mappings():
            totals = EdgeTotals(
                requests=_int(row["requests"]),
                failures=_int(row["failures"]),
                latency_sum=_float(row["latency_sum"]),
                latency_count=_int(row["latency_count"]),
            )
            coverage = Coverage(_float(row["covered_seconds"]), _int(row["sample_count"]))
            out[(row["src_ns"], row["src_name"], row["dst_ns"], row["dst_name"])] = Rolled(totals, coverage)
        return out

    def _read_ingress(self) -> dict[str, IngressRolled]:
        table = schema.ingress_raw
        method_columns = [col for pair in _METHOD_COLUMNS.values() for col in pair]
        measures = [
            "requests", "errors", *_CLASS_COLUMNS.values(), "latency_sum", "latency_count", *method_columns,
        ]
        out: dict[str, IngressRolled] = {}
        for row in self._connection.execute(
            _sums(table, ["service_key"], measures, self.cluster_id, self.hour)
        ).mappings():
            totals = IngressTotals(
                latency_sum=_float(row["latency_sum"]),
                latency_count=_int(row["latency_count"]),
                requests=_int(row["requests"]),
                errors=_int(row["errors"]),
                status_classes={cls: _int(row[col]) for cls, col in _CLASS_COLUMNS.items()},
                methods={
                    method: [_int(row[req]), _int(row[err])]
                    for method, (req, err) in _METHOD_COLUMNS.items()
                },
            )
            coverage = Coverage(_float(row["covered_seconds"]), _int(row["sample_count"]))
            out[row["service_key"]] = IngressRolled(totals, coverage)
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
        services = [_service_row(where, key, rolled) for key, rolled in rollup.services.items()]
        edges = [_edge_row(where, key, rolled) for key, rolled in rollup.edges.items()]
        ingress = [_ingress_row(where, key, rolled) for key, rolled in rollup.ingress.items()]
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


def _latency_columns(totals: WorkloadTotals | IngressTotals) -> dict[str, Any]:
    return {
        "latency_sum": totals.latency_sum,
        "latency_count": totals.latency_count,
        "buckets": json.dumps(totals.buckets, sort_keys=True),
        **{col: totals.status_classes.get(cls, 0) for cls, col in _CLASS_COLUMNS.items()},
        "requests": totals.requests,
        "errors": totals.errors,
    }


def _service_row(
    where: dict[str, Any], key: tuple[str, str], rolled: Rolled[WorkloadTotals]
) -> dict[str, Any]:
    totals = rolled.totals
    figures = service_figures(totals)
    return {
        **where,
        "namespace": key[0],
        "name": key[1],
        **_latency_columns(totals),
        "tls_requests": totals.tls_requests,
        "total_requests": totals.total_requests,
        "p50": figures.p50,
        "p95": figures.p95,
        "p99": figures.p99,
        "avg_latency": figures.avg_latency,
        "availability": figures.availability,
        "mtls_percent": figures.mtls_percent,
        **_coverage_columns(rolled.coverage),
    }


def _edge_row(
    where: dict[str, Any], key: tuple[str, str, str, str], rolled: Rolled[EdgeTotals]
) -> dict[str, Any]:
    totals = rolled.totals
    return {
        **where,
        "src_ns": key[0],
        "src_name": key[1],
        "dst_ns": key[2],
        "dst_name": key[3],
        "requests": totals.requests,
        "failures": totals.failures,
        "latency_sum": totals.latency_sum,
        "latency_count": totals.latency_count,
        **_coverage_columns(rolled.coverage),
    }


def _ingress_row(where: dict[str, Any], key: str, rolled: IngressRolled) -> dict[str, Any]:
    totals = rolled.totals
    figures = ingress_figures(totals)
    methods = {}
    for method, (req_col, err_col) in _METHOD_COLUMNS.items():
        requests, errors = totals.methods.get(method, (0, 0))
        methods[req_col] = requests
        methods[err_col] = errors
    return {
        **where,
        "service_key": key,
        "domain": rolled.domain,
        "path": rolled.path,
        **_latency_columns(totals),
        **methods,
        "p50": figures.p50,
        "p95": figures.p95,
        "p99": figures.p99,
        "avg_latency": figures.avg_latency,
        "availability": figures.availability,
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
