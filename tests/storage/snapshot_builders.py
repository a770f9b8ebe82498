"""Snapshots for master tests, built as the JSON an agent sends (SPEC §3)."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Engine, func, select

from adapters.storage import schema
from adapters.storage.engine import make_engine


def service(namespace: str = "shop", name: str = "checkout", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "requests": [
            {"status_code": "200", "classification": "success", "delta": 118},
            {"status_code": "503", "classification": "failure", "delta": 2},
        ],
        "latency_buckets": {"5": 40, "10": 90, "50": 115, "+Inf": 120},
        "latency_sum": 1834.0,
        "latency_count": 120,
        "tls_request_delta": 100,
        "total_request_delta": 120,
    }
    item.update(overrides)
    return item


def edge(src: str = "frontend", dst: str = "checkout", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "src_ns": "shop",
        "src_name": src,
        "dst_ns": "shop",
        "dst_name": dst,
        "request_delta": 60,
        "failure_delta": 1,
        "latency_sum": 900.5,
        "latency_count": 60,
    }
    item.update(overrides)
    return item


def ingress(service_key: str = "shop-frontend-80", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "service_key": service_key,
        "requests": [
            {"code": "200", "method": "GET", "delta": 300},
            {"code": "502", "method": "POST", "delta": 4},
            {"code": "404", "method": "OPTIONS", "delta": 6},
        ],
        "latency_buckets": {"100": 280, "300": 299, "1200": 310, "5000": 310, "+Inf": 310},
        "latency_sum": 15000.0,
        "latency_count": 310,
    }
    item.update(overrides)
    return item


def route(domain: str = "shop.example.com", service_key: str = "shop-frontend-80", **overrides: Any) -> dict:
    item: dict[str, Any] = {
        "name": "shop",
        "namespace": "shop",
        "domain": domain,
        "path_prefix": "/",
        "service_key": service_key,
        "service_name": "frontend",
        "service_port": 80,
        "tls": True,
    }
    item.update(overrides)
    return item


def snapshot(
    cluster_id: str = "prod-eu-1",
    timestamp: int = 1_764_312_030,
    window: int = 30,
    services: list[dict] | None = None,
    edges: list[dict] | None = None,
    ingresses: list[dict] | None = None,
    routes: list[dict] | None = None,
) -> dict[str, Any]:
    return {
        "cluster_id": cluster_id,
        "agent_version": "0.1.0",
        "slo_data": {
            "timestamp": timestamp,
            "window_start": timestamp - window,
            "services": [service()] if services is None else services,
            "edges": [edge()] if edges is None else edges,
            "ingress": [ingress()] if ingresses is None else ingresses,
            "routes": [route()] if routes is None else routes,
        },
    }


def with_change(document: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """A deep copy of ``document`` with the value at ``path`` replaced (or deleted when value is DELETE)."""
    changed = copy.deepcopy(document)
    target = changed
    for part in path[:-1]:
        target = target[part]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


DELETE = object()


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema: proves that a rejected snapshot stored nothing."""
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in schema.metadata.tables.items()
        }


def stored_rows(database_url: str) -> dict[str, int]:
    """``row_counts`` of the database at ``database_url``, on an engine of its own."""
    engine = make_engine(database_url)
    try:
        return row_counts(engine)
    finally:
        engine.dispose()
