"""Turn one snapshot into the rows of the raw tables (pure, no I/O).

Items that appear twice in one snapshot (the same workload, edge or backend)
are summed, not dropped: every increment the agent counted is kept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from functools import lru_cache

from application.ports.ingest import Row, SnapshotRows
from domain.contract import EdgeMetrics, IngressMetrics, Route, ServiceMetrics, SLOSnapshot
from domain.slo import is_server_error, status_class
from domain.totals import METHODS, STATUS_CLASSES, method_bucket

_STATUS_COLUMNS = {cls: f"status_{cls}" for cls in STATUS_CLASSES}
_METHOD_COLUMNS = {m: (f"{m.lower()}_requests", f"{m.lower()}_errors") for m in METHODS}
_JSON = json.JSONEncoder(separators=(",", ":"))
_NO_CLASSES = dict.fromkeys(_STATUS_COLUMNS.values(), 0)
_NO_METHODS = {column: 0 for columns in _METHOD_COLUMNS.values() for column in columns}

# Codes and methods repeat thousands of times per snapshot: classify each once.


@lru_cache(maxsize=4096)
def _status_column(code: str) -> str | None:
    cls = status_class(code)
    return _STATUS_COLUMNS[cls] if cls is not None else None


@lru_cache(maxsize=4096)
def _ingress_columns(code: str, method: str) -> tuple[str | None, str, str, bool]:
    """(status class column, method requests column, method errors column, is an error)."""
    requests_column, errors_column = _METHOD_COLUMNS[method_bucket(method)]
    return _status_column(code), requests_column, errors_column, is_server_error(code)


# Counts are stored as 64-bit integers (BIGINT); a sum beyond that cannot be stored exactly.
MAX_STORED_COUNT = 2**63 - 1


class SnapshotOutOfRange(ValueError):
    """A snapshot whose numbers cannot be stored (counts beyond 64 bits, infinite sums)."""


def _check_storable(rows: list[Row], counts: tuple[str, ...], section: str, key: tuple[str, ...]) -> None:
    """Refuse what the database would refuse halfway through the transaction, with a clear message.

    The other count columns of a row are parts of the ones checked here
    (errors, status classes and methods are at most ``requests``).
    """
    for row in rows:
        for column in counts:
            if row[column] > MAX_STORED_COUNT:
                where = "/".join(str(row[k]) for k in key)
                raise SnapshotOutOfRange(
                    f"slo_data.{section} {where}: {column} = {row[column]} exceeds the largest "
                    f"storable count {MAX_STORED_COUNT}"
                )
        if not math.isfinite(row["latency_sum"]):
            where = "/".join(str(row[k]) for k in key)
            raise SnapshotOutOfRange(f"slo_data.{section} {where}: latency_sum adds up to infinity")


def _buckets_json(buckets: Mapping[str, int]) -> str:
    return _JSON.encode(buckets)


def _add_buckets(into: dict[str, int], buckets: Mapping[str, int]) -> None:
    for key, count in buckets.items():
        into[key] = into.get(key, 0) + count


def _service_row(item: ServiceMetrics) -> tuple[Row, dict[str, int]]:
    row: Row = {
        "namespace": item.namespace,
        "name": item.name,
        "requests": 0,
        "errors": 0,
        **_NO_CLASSES,
        "latency_sum": item.latency_sum,
        "latency_count": item.latency_count,
        "tls_requests": item.tls_request_delta,
        "total_requests": item.total_request_delta,
    }
    for request in item.requests:
        row["requests"] += request.delta
        if request.classification == "failure":
            row["errors"] += request.delta
        column = _status_column(request.status_code)
        if column is not None:
            row[column] += request.delta
    return row, dict(item.latency_buckets)


def _merge_counts(into: Row, other: Row, skip: Iterable[str]) -> None:
    for column, value in other.items():
        if column not in skip:
            into[column] += value


def service_rows(items: Iterable[ServiceMetrics]) -> list[Row]:
    merged: dict[tuple[str, str], tuple[Row, dict[str, int]]] = {}
    for item in items:
        row, buckets = _service_row(item)
        key = (item.namespace, item.name)
        if key in merged:
            mine, my_buckets = merged[key]
            _merge_counts(mine, row, ("namespace", "name"))
            _add_buckets(my_buckets, buckets)
        else:
            merged[key] = (row, buckets)
    out = []
    for row, buckets in merged.values():
        row["buckets"] = _buckets_json(buckets)
        out.append(row)
    return out


def edge_rows(items: Iterable[EdgeMetrics]) -> list[Row]:
    merged: dict[tuple[str, str, str, str], Row] = {}
    for item in items:
        key = (item.src_ns, item.src_name, item.dst_ns, item.dst_name)
        row: Row = {
            "src_ns": item.src_ns,
            "src_name": item.src_name,
            "dst_ns": item.dst_ns,
            "dst_name": item.dst_name,
            "requests": item.request_delta,
            "failures": item.failure_delta,
            "latency_sum": item.latency_sum,
            "latency_count": item.latency_count,
        }
        if key in merged:
            _merge_counts(merged[key], row, ("src_ns", "src_name", "dst_ns", "dst_name"))
        else:
            merged[key] = row
    return list(merged.values())


def first_route_by_key(routes: Iterable[Route]) -> dict[str, Route]:
    """For each backend, its route with the smallest (domain, path): a stable, documented choice."""
    chosen: dict[str, Route] = {}
    for route in routes:
        current = chosen.get(route.service_key)
        if current is None or (route.domain, route.path_prefix) < (current.domain, current.path_prefix):
            chosen[route.service_key] = route
    return chosen


def _ingress_row(item: IngressMetrics) -> Row:
    row: Row = {
        "service_key": item.service_key,
        "requests": 0,
        "errors": 0,
        **_NO_CLASSES,
        **_NO_METHODS,
        "latency_sum": item.latency_sum,
        "latency_count": item.latency_count,
    }
    for request in item.requests:
        delta = request.delta
        status_column, requests_column, errors_column, failed = _ingress_columns(request.code, request.method)
        row["requests"] += delta
        row[requests_column] += delta
        if failed:
            row["errors"] += delta
            row[errors_column] += delta
        if status_column is not None:
            row[status_column] += delta
    return row


def ingress_rows(
    items: Iterable[IngressMetrics], snapshot_routes: Iterable[Route], stored_routes: Iterable[Route]
) -> list[Row]:
    """Backends with their domain and path: the snapshot's routes first, else the stored mapping."""
    from_snapshot = first_route_by_key(snapshot_routes)
    from_store = first_route_by_key(stored_routes)
    merged: dict[str, tuple[Row, dict[str, int]]] = {}
    for item in items:
        row = _ingress_row(item)
        if item.service_key in merged:
            mine, buckets = merged[item.service_key]
            _merge_counts(mine, row, ("service_key",))
            _add_buckets(buckets, item.latency_buckets)
        else:
            merged[item.service_key] = (row, dict(item.latency_buckets))
    out = []
    for key, (row, buckets) in merged.items():
        route = from_snapshot.get(key) or from_store.get(key)
        row["domain"] = route.domain if route else ""
        row["path"] = route.path_prefix if route else ""
        row["buckets"] = _buckets_json(buckets)
        out.append(row)
    return out


def route_rows(routes: Iterable[Route]) -> list[Row]:
    """One row per (domain, path, backend); a repeated route keeps its last record."""
    rows: dict[tuple[str, str, str], Row] = {}
    for route in routes:
        rows[(route.domain, route.path_prefix, route.service_key)] = {
            "domain": route.domain,
            "path_prefix": route.path_prefix,
            "service_key": route.service_key,
            "name": route.name,
            "namespace": route.namespace,
            "service_name": route.service_name,
            "service_port": route.service_port,
            "tls": route.tls,
        }
    return list(rows.values())


def needs_stored_routes(snapshot: SLOSnapshot) -> bool:
    """Whether some backend has no route in the snapshot itself (then the stored mapping is read)."""
    keys = {route.service_key for route in snapshot.slo_data.routes}
    return any(item.service_key not in keys for item in snapshot.slo_data.ingress)


def snapshot_rows(
    snapshot: SLOSnapshot, received_at: int, stored_routes: Iterable[Route] = ()
) -> SnapshotRows:
    """The rows of one snapshot; raises SnapshotOutOfRange for numbers no column can hold."""
    data = snapshot.slo_data
    if data.timestamp > MAX_STORED_COUNT:
        raise SnapshotOutOfRange(f"slo_data.timestamp = {data.timestamp} is not a storable unix time")
    services = service_rows(data.services)
    _check_storable(services, ("requests", "latency_count", "tls_requests", "total_requests"), "services",
                    ("namespace", "name"))
    edges = edge_rows(data.edges)
    _check_storable(edges, ("requests", "failures", "latency_count"), "edges",
                    ("src_ns", "src_name", "dst_ns", "dst_name"))
    ingress = ingress_rows(data.ingress, data.routes, stored_routes)
    _check_storable(ingress, ("requests", "latency_count"), "ingress", ("service_key",))
    return SnapshotRows(
        cluster_id=snapshot.cluster_id,
        ts=data.timestamp,
        window_start=data.window_start,
        window_seconds=float(data.window_seconds),
        received_at=received_at,
        agent_version=snapshot.agent_version,
        services=services,
        edges=edges,
        ingress=ingress,
        routes=route_rows(data.routes),
    )
