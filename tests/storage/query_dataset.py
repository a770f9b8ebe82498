"""Stores filled through the real ingest path, for the query storage tests."""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any

from sqlalchemy import Engine
from tests.storage.stores import open_store

from application.master.aggregator import Aggregator
from application.master.ingest import IngestUseCase
from application.query.service import SloQueryService
from domain.contract import SLOSnapshot

LINKERD_BOUNDS = ("1", "5", "10", "50", "100", "500", "1000", "+Inf")
TRAEFIK_BOUNDS_MS = ("100", "300", "1200", "5000", "+Inf")


def ingest(engine: Engine, document: dict[str, Any], received_at: int | None = None) -> None:
    moment = received_at if received_at is not None else document["slo_data"]["timestamp"] + 1
    use_case = IngestUseCase(open_store(engine).ingest, clock=lambda: moment)
    use_case.ingest(SLOSnapshot.model_validate(document))


def aggregate(engine: Engine, now: int) -> None:
    """Run the aggregator over every dirty hour (raw rows are all still there)."""
    Aggregator(open_store(engine).rollups, raw_retention_seconds=10**9).run(now)


def service_of(engine: Engine) -> SloQueryService:
    return SloQueryService(
        open_store(engine).stats, open_store(engine).targets, open_store(engine).status, clock=lambda: 0
    )


def _cumulative(rng: random.Random, bounds: tuple[str, ...], total: int) -> dict[str, int]:
    counts = sorted(rng.randint(0, total) for _ in bounds[:-1])
    return {**dict(zip(bounds[:-1], counts, strict=True)), "+Inf": total}


def random_snapshot(rng: random.Random, cluster_id: str, timestamp: int, window: int) -> dict[str, Any]:
    """A snapshot with random traffic over fixed keys (some absent at random)."""
    services = []
    for namespace, name in (("shop", "frontend"), ("shop", "checkout"), ("shop", "cart"), ("pay", "api")):
        if rng.random() < 0.15:
            continue
        ok, bad = rng.randint(1, 500), rng.randint(0, 20)
        services.append({
            "namespace": namespace, "name": name,
            "requests": [
                {"status_code": "200", "classification": "success", "delta": ok},
                {"status_code": rng.choice(["500", "503", "404"]), "classification": "failure", "delta": bad},
            ],
            "latency_buckets": _cumulative(rng, LINKERD_BOUNDS, ok + bad),
            "latency_sum": rng.uniform(1, 50) * (ok + bad), "latency_count": ok + bad,
            "tls_request_delta": rng.randint(0, ok + bad), "total_request_delta": ok + bad,
        })
    edges = []
    for src, dst_ns, dst in (("frontend", "shop", "checkout"), ("checkout", "pay", "api"),
                             ("frontend", "shop", "cart"), ("cart", "shop", "ghost")):
        if rng.random() < 0.15:
            continue
        requests = rng.randint(1, 300)
        edges.append({
            "src_ns": "shop", "src_name": src, "dst_ns": dst_ns, "dst_name": dst,
            "request_delta": requests, "failure_delta": rng.randint(0, requests // 10),
            "latency_sum": rng.uniform(1, 80) * requests, "latency_count": requests,
        })
    ingresses = []
    for key in ("shop-frontend-80", "shop-cart-8080", "pay-api-443", "shop-orphan-80"):
        if rng.random() < 0.15:
            continue
        get_ok, post_bad, put_ok = rng.randint(1, 400), rng.randint(0, 15), rng.randint(0, 30)
        total = get_ok + post_bad + put_ok
        ingresses.append({
            "service_key": key,
            "requests": [
                {"code": "200", "method": "GET", "delta": get_ok},
                {"code": "503", "method": "POST", "delta": post_bad},
                {"code": "201", "method": "PUT", "delta": put_ok},
            ],
            "latency_buckets": _cumulative(rng, TRAEFIK_BOUNDS_MS, total),
            "latency_sum": rng.uniform(5, 900) * total, "latency_count": total,
        })
    routes = [
        _route("shop.example.com", "/", "shop-frontend-80", "frontend", 80, "shop", True),
        _route("shop.example.com", "/cart", "shop-cart-8080", "cart", 8080, "shop", True),
        _route("pay.example.com", "/", "pay-api-443", "api", 443, "pay", False),
    ]
    return {
        "cluster_id": cluster_id,
        "agent_version": "0.1.0",
        "slo_data": {
            "timestamp": timestamp, "window_start": timestamp - window,
            "services": services, "edges": edges, "ingress": ingresses, "routes": routes,
        },
    }


def _route(domain: str, path: str, key: str, service: str, port: int, namespace: str, tls: bool) -> dict:
    return {
        "name": f"{namespace}-{service}", "namespace": namespace, "domain": domain, "path_prefix": path,
        "service_key": key, "service_name": service, "service_port": port, "tls": tls,
    }


def plain(value: Any) -> Any:
    """Views as nested dicts/lists, for comparison."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def assert_close(left: Any, right: Any, path: str = "", rel: float = 1e-9) -> None:
    """Equal structures; floats equal within rounding."""
    if isinstance(left, dict):
        assert isinstance(right, dict), f"{path}: {right!r} is not a mapping"
        assert left.keys() == right.keys(), f"{path}: keys {left.keys()} != {right.keys()}"
        for key in left:
            assert_close(left[key], right[key], f"{path}.{key}", rel)
    elif isinstance(left, list):
        assert isinstance(right, list) and len(left) == len(right), f"{path}: {left} != {right}"
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_close(a, b, f"{path}[{i}]", rel)
    elif isinstance(left, float) and not isinstance(right, bool):
        assert isinstance(right, float | int), f"{path}: {left!r} != {right!r}"
        assert math.isclose(left, right, rel_tol=rel, abs_tol=1e-9), f"{path}: {left!r} != {right!r}"
    else:
        assert left == right, f"{path}: {left!r} != {right!r}"
