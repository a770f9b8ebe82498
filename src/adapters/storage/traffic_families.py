"""The three traffic families the stitched reader sums: workloads, call edges, ingress backends.

For each: its raw and hourly tables, the key columns, the summed columns (the
same names in both tables) and how a sum becomes a ``domain.totals`` object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Table

from adapters.storage import schema
from adapters.storage.row_sums import BoundIndex, RowSums
from domain.totals import STATUS_CLASSES, EdgeTotals, IngressTotals, WorkloadTotals

T = TypeVar("T", WorkloadTotals, EdgeTotals, IngressTotals)

_STATUS_COLUMNS = tuple(f"status_{c}" for c in STATUS_CLASSES)
_METHOD_COLUMNS = tuple(f"{m}_{kind}" for m in schema.METHODS for kind in ("requests", "errors"))
_FLOAT_COLUMNS = frozenset({"latency_sum"})


@dataclass(frozen=True, slots=True)
class Family(Generic[T]):
    raw: Table
    hourly: Table
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    has_buckets: bool
    build: Callable[[dict[str, Any], dict[str, float]], T]


def _workload(sums: dict[str, Any], buckets: dict[str, float]) -> WorkloadTotals:
    return WorkloadTotals(
        latency_sum=sums["latency_sum"],
        latency_count=sums["latency_count"],
        buckets=buckets,
        requests=sums["requests"],
        errors=sums["errors"],
        status_classes={c: sums[f"status_{c}"] for c in STATUS_CLASSES},
        tls_requests=sums["tls_requests"],
        total_requests=sums["total_requests"],
    )


def _edge(sums: dict[str, Any], _buckets: dict[str, float]) -> EdgeTotals:
    return EdgeTotals(
        requests=sums["requests"],
        failures=sums["failures"],
        latency_sum=sums["latency_sum"],
        latency_count=sums["latency_count"],
    )


def _ingress(sums: dict[str, Any], buckets: dict[str, float]) -> IngressTotals:
    methods = {
        m.upper(): [sums[f"{m}_requests"], sums[f"{m}_errors"]]
        for m in schema.METHODS
        if sums[f"{m}_requests"] or sums[f"{m}_errors"]
    }
    return IngressTotals(
        latency_sum=sums["latency_sum"],
        latency_count=sums["latency_count"],
        buckets=buckets,
        requests=sums["requests"],
        errors=sums["errors"],
        status_classes={c: sums[f"status_{c}"] for c in STATUS_CLASSES},
        methods=methods,
    )


WORKLOADS: Family[WorkloadTotals] = Family(
    raw=schema.service_raw,
    hourly=schema.service_hourly,
    keys=("namespace", "name"),
    sums=("requests", "errors", *_STATUS_COLUMNS, "latency_sum", "latency_count",
          "tls_requests", "total_requests"),
    has_buckets=True,
    build=_workload,
)
EDGES: Family[EdgeTotals] = Family(
    raw=schema.edge_raw,
    hourly=schema.edge_hourly,
    keys=("src_ns", "src_name", "dst_ns", "dst_name"),
    sums=("requests", "failures", "latency_sum", "latency_count"),
    has_buckets=False,
    build=_edge,
)
INGRESS: Family[IngressTotals] = Family(
    raw=schema.ingress_raw,
    hourly=schema.ingress_hourly,
    keys=("service_key",),
    sums=("requests", "errors", *_STATUS_COLUMNS, "latency_sum", "latency_count", *_METHOD_COLUMNS),
    has_buckets=True,
    build=_ingress,
)


def build_totals(family: Family[T], sums: RowSums) -> dict[Any, T]:
    """Totals objects of the keys with rows behind them."""
    out: dict[Any, T] = {}
    names = family.sums
    for key in sums.present():
        named = {
            name: (value if name in _FLOAT_COLUMNS else round(value))
            for name, value in zip(names, sums.sums[key], strict=True)
        }
        out[key] = family.build(named, sums.bucket_dict(key))
    return out


# One bound table per family, shared by every reader: sums of one family merge position by position.
_BOUNDS: dict[str, BoundIndex] = {WORKLOADS.raw.name: BoundIndex(), EDGES.raw.name: BoundIndex(),
                                  INGRESS.raw.name: BoundIndex()}


def new_sums(family: Family[Any]) -> RowSums:
    """Empty sums of this family's columns."""
    return RowSums(len(family.sums), _BOUNDS[family.raw.name])
