"""The three traffic families: workloads, call edges, ingress backends.

For each: its raw and hourly tables, the key columns, the summed columns (the
same names in both tables), how a sum becomes a ``domain.totals`` object and
how a totals object becomes those columns again. Ingest, the rollup and the
stitched reader all map totals to columns through here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Table

from adapters.storage import schema
from adapters.storage.row_sums import RowSums
from domain.totals import EdgeTotals, IngressTotals, RequestTotals, WorkloadTotals

T = TypeVar("T", WorkloadTotals, EdgeTotals, IngressTotals)
Row = dict[str, Any]

_STATUS_COLUMNS = tuple(schema.STATUS_COLUMNS.values())
_METHOD_COLUMNS = tuple(column for pair in schema.METHOD_COLUMNS.values() for column in pair)
_FLOAT_COLUMNS = frozenset({"latency_sum"})
_STATUS_PAIRS = tuple(schema.STATUS_COLUMNS.items())
_METHOD_PAIRS = tuple(schema.METHOD_COLUMNS.items())


@dataclass(frozen=True, slots=True)
class Family(Generic[T]):
    raw: Table
    hourly: Table
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    build: Callable[[dict[str, Any], dict[str, float]], T]
    # The summed columns of a totals object (buckets apart: each table writer encodes them).
    columns: Callable[[T], Row]

    @property
    def has_buckets(self) -> bool:
        return "buckets" in self.raw.c

    def key_columns(self, key: Hashable) -> Row:
        """``("shop", "web")`` → ``{"namespace": "shop", "name": "web"}``; a one-column key may be bare."""
        values = key if isinstance(key, tuple) else (key,)
        return dict(zip(self.keys, values, strict=True))

    def typed_sums(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Database sums (NULL for no rows, Decimal on PostgreSQL, floats once merged) as counts and ms."""
        return {name: _number(name, values[name]) for name in self.sums}


def _number(column: str, value: Any) -> int | float:
    if column in _FLOAT_COLUMNS:
        return 0.0 if value is None else float(value)
    return 0 if value is None else round(value)


def _request_columns(totals: RequestTotals) -> Row:
    row = {
        "requests": totals.requests,
        "errors": totals.errors,
        "latency_sum": totals.latency_sum,
        "latency_count": totals.latency_count,
    }
    classes = totals.status_classes
    for cls, column in _STATUS_PAIRS:
        row[column] = classes.get(cls, 0)
    return row


def _request_fields(sums: dict[str, Any], buckets: dict[str, float]) -> dict[str, Any]:
    """The ``RequestTotals`` part of a workload or backend."""
    return {
        "latency_sum": sums["latency_sum"],
        "latency_count": sums["latency_count"],
        "buckets": buckets,
        "requests": sums["requests"],
        "errors": sums["errors"],
        "status_classes": {cls: sums[column] for cls, column in _STATUS_PAIRS},
    }


def _workload(sums: dict[str, Any], buckets: dict[str, float]) -> WorkloadTotals:
    return WorkloadTotals(
        **_request_fields(sums, buckets),
        tls_requests=sums["tls_requests"],
        total_requests=sums["total_requests"],
    )


def _workload_columns(totals: WorkloadTotals) -> Row:
    row = _request_columns(totals)
    row["tls_requests"] = totals.tls_requests
    row["total_requests"] = totals.total_requests
    return row


def _edge(sums: dict[str, Any], _buckets: dict[str, float]) -> EdgeTotals:
    return EdgeTotals(
        requests=sums["requests"],
        failures=sums["failures"],
        latency_sum=sums["latency_sum"],
        latency_count=sums["latency_count"],
    )


def _edge_columns(totals: EdgeTotals) -> Row:
    return {
        "requests": totals.requests,
        "failures": totals.failures,
        "latency_sum": totals.latency_sum,
        "latency_count": totals.latency_count,
    }


def _ingress(sums: dict[str, Any], buckets: dict[str, float]) -> IngressTotals:
    methods = {
        method: [sums[requests], sums[errors]]
        for method, (requests, errors) in _METHOD_PAIRS
        if sums[requests] or sums[errors]
    }
    return IngressTotals(**_request_fields(sums, buckets), methods=methods)


def _ingress_columns(totals: IngressTotals) -> Row:
    row = _request_columns(totals)
    methods = totals.methods
    for method, (requests_column, errors_column) in _METHOD_PAIRS:
        row[requests_column], row[errors_column] = methods.get(method, (0, 0))
    return row


WORKLOADS: Family[WorkloadTotals] = Family(
    schema.service_raw, schema.service_hourly, schema.WORKLOAD_KEYS,
    ("requests", "errors", *_STATUS_COLUMNS, "latency_sum", "latency_count",
     "tls_requests", "total_requests"),
    _workload, _workload_columns,
)
EDGES: Family[EdgeTotals] = Family(
    schema.edge_raw, schema.edge_hourly, schema.EDGE_KEYS,
    ("requests", "failures", "latency_sum", "latency_count"),
    _edge, _edge_columns,
)
INGRESS: Family[IngressTotals] = Family(
    schema.ingress_raw, schema.ingress_hourly, schema.INGRESS_KEYS,
    ("requests", "errors", *_STATUS_COLUMNS, "latency_sum", "latency_count", *_METHOD_COLUMNS),
    _ingress, _ingress_columns,
)


def build_totals(family: Family[T], sums: RowSums) -> dict[Any, T]:
    """Totals objects of the keys with rows behind them."""
    return {
        key: family.build(family.typed_sums(dict(zip(family.sums, sums.sums[key], strict=True))),
                          sums.bucket_dict(key))
        for key in sums.present()
    }


def new_sums(family: Family[Any]) -> RowSums:
    """Empty sums of this family's columns."""
    return RowSums(len(family.sums))
