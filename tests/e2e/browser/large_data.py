"""A large mesh for render-time measurements: many workloads and call edges.

One snapshot, deterministic (seeded); namespaces, rps spread over four orders
of magnitude, some failures and partial mTLS, so every colour and size shows.
"""

from __future__ import annotations

import random
from typing import Any

WINDOW = 60


def large_snapshot(now: int, workloads: int, edges: int, cluster: str, seed: int = 11) -> dict[str, Any]:
    rng = random.Random(seed)
    names = [(f"team-{index % 25:02d}", f"service-{index:04d}") for index in range(workloads)]
    services = []
    for namespace, name in names:
        total = int(10 ** rng.uniform(0, 4))
        failed = total * rng.choice([0, 0, 0, 1, 5]) // 100
        tls = rng.choice([total, total, total // 2, 0])
        services.append(
            {
                "namespace": namespace,
                "name": name,
                "requests": [
                    {"status_code": "200", "classification": "success", "delta": total - failed},
                    {"status_code": "500", "classification": "failure", "delta": failed},
                ],
                "latency_buckets": {
                    "10": total // 2,
                    "100": total * 9 // 10,
                    "1000": total,
                    "+Inf": total,
                },
                "latency_sum": total * 40.0,
                "latency_count": total,
                "tls_request_delta": tls,
                "total_request_delta": total,
            }
        )
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < edges:
        source, target = rng.randrange(workloads), rng.randrange(workloads)
        if source != target:
            pairs.add((source, target))
    edge_rows = []
    for source, target in sorted(pairs):
        requests = int(10 ** rng.uniform(0, 3))
        edge_rows.append(
            {
                "src_ns": names[source][0],
                "src_name": names[source][1],
                "dst_ns": names[target][0],
                "dst_name": names[target][1],
                "request_delta": requests,
                "failure_delta": requests * rng.choice([0, 0, 2]) // 100,
                "latency_sum": requests * 15.0,
                "latency_count": requests,
            }
        )
    return {
        "cluster_id": cluster,
        "agent_version": "render-benchmark",
        "slo_data": {
            "timestamp": now,
            "window_start": now - WINDOW,
            "services": services,
            "edges": edge_rows,
        },
    }
