"""A small, known mesh and ingress posted to a real master for the browser tests.

Three ordinary workloads, one whose name is an HTML injection attempt, call
edges between them, and three domains (one of them also hostile) routed to
backends. Six one-minute snapshots end at ``now``, so every range from 15m up
covers them.
"""

from __future__ import annotations

from typing import Any

import httpx

CLUSTER = "browser-1"
# A second cluster that reported only once, hours ago: no traffic in recent ranges.
IDLE_CLUSTER = "idle-1"
XSS_WORKLOAD = "<img src=x onerror=alert(1)>"
XSS_DOMAIN = "<script>alert(2)</script>.example.com"
XSS_PATH = "/<img src=y onerror=alert(3)>"
SNAPSHOTS = 6
WINDOW = 60
# What the tests ask the master about: the known cluster over a range covering every snapshot.
PARAMS = {"cluster_id": CLUSTER, "time_range": "1h"}


def answer(api: httpx.Client, path: str) -> dict[str, Any]:
    """The master's JSON answer at ``path`` about the known data."""
    response = api.get(path, params=PARAMS)
    response.raise_for_status()
    return response.json()


def _service(namespace: str, name: str, ok: int, failed: int, tls: int) -> dict[str, Any]:
    total = ok + failed
    return {
        "namespace": namespace,
        "name": name,
        "requests": [
            {"status_code": "200", "classification": "success", "delta": ok},
            {"status_code": "503", "classification": "failure", "delta": failed},
        ],
        # Cumulative: 50 % ≤ 5 ms, 80 % ≤ 25 ms, 95 % ≤ 100 ms, all ≤ 500 ms.
        "latency_buckets": {
            "5": total // 2,
            "25": total * 8 // 10,
            "100": total * 95 // 100,
            "500": total,
            "+Inf": total,
        },
        "latency_sum": total * 20.0,
        "latency_count": total,
        "tls_request_delta": tls,
        "total_request_delta": total,
    }


def _edge(src: str, dst: str, requests: int, failures: int) -> dict[str, Any]:
    src_ns, src_name = src.split("/", 1)
    dst_ns, dst_name = dst.split("/", 1)
    return {
        "src_ns": src_ns,
        "src_name": src_name,
        "dst_ns": dst_ns,
        "dst_name": dst_name,
        "request_delta": requests,
        "failure_delta": failures,
        "latency_sum": requests * 12.0,
        "latency_count": requests,
    }


def _ingress(key: str, ok_get: int, ok_post: int, failed_get: int) -> dict[str, Any]:
    total = ok_get + ok_post + failed_get
    return {
        "service_key": key,
        "requests": [
            {"code": "200", "method": "GET", "delta": ok_get},
            {"code": "201", "method": "POST", "delta": ok_post},
            {"code": "503", "method": "GET", "delta": failed_get},
        ],
        "latency_buckets": {"100": total * 9 // 10, "300": total, "1200": total, "+Inf": total},
        "latency_sum": total * 60.0,
        "latency_count": total,
    }


ROUTES = [
    {
        "name": "shop",
        "namespace": "shop",
        "domain": "shop.example.com",
        "path_prefix": "/",
        "service_key": "shop-frontend-80",
        "service_name": "frontend",
        "service_port": 80,
        "tls": True,
    },
    {
        "name": "api",
        "namespace": "shop",
        "domain": "api.example.com",
        "path_prefix": "/v1",
        "service_key": "shop-checkout-8080",
        "service_name": "checkout",
        "service_port": 8080,
        "tls": False,
    },
    {
        "name": "hostile",
        "namespace": "xss",
        "domain": XSS_DOMAIN,
        "path_prefix": XSS_PATH,
        "service_key": "xss-hostile-80",
        "service_name": XSS_WORKLOAD,
        "service_port": 80,
        "tls": True,
    },
]

WORKLOAD_IDS = ["shop/frontend", "shop/checkout", "payments/payments", f"xss/{XSS_WORKLOAD}"]
EDGE_IDS = [
    ("shop/frontend", "shop/checkout"),
    ("shop/checkout", "payments/payments"),
    ("shop/frontend", f"xss/{XSS_WORKLOAD}"),
]
DOMAINS = ["shop.example.com", "api.example.com", XSS_DOMAIN]


def snapshots(now: int, cluster: str = CLUSTER) -> list[dict[str, Any]]:
    """The snapshots, oldest first; the last one ends at ``now``."""
    result = []
    for index in range(SNAPSHOTS):
        end = now - (SNAPSHOTS - 1 - index) * WINDOW
        result.append(
            {
                "cluster_id": cluster,
                "agent_version": "browser-test",
                "slo_data": {
                    "timestamp": end,
                    "window_start": end - WINDOW,
                    "services": [
                        _service("shop", "frontend", ok=118, failed=2, tls=120),
                        _service("shop", "checkout", ok=57 + index, failed=3, tls=30),
                        _service("payments", "payments", ok=30, failed=0, tls=0),
                        _service("xss", XSS_WORKLOAD, ok=10, failed=0, tls=10),
                    ],
                    "edges": [
                        _edge("shop/frontend", "shop/checkout", 60, 1),
                        _edge("shop/checkout", "payments/payments", 30, 0),
                        _edge("shop/frontend", f"xss/{XSS_WORKLOAD}", 10, 0),
                    ],
                    "ingress": [
                        _ingress("shop-frontend-80", ok_get=280, ok_post=15, failed_get=5),
                        _ingress("shop-checkout-8080", ok_get=50, ok_post=10, failed_get=0),
                        _ingress("xss-hostile-80", ok_get=10, ok_post=0, failed_get=1),
                    ],
                    "routes": ROUTES,
                },
            }
        )
    return result
