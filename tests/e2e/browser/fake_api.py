"""A query API that serves fixed, schema-validated answers, plus the real page.

Every answer is built from the query API's own response models
(``adapters.api.schemas``), so the page is tested against the real field names.
Used where a real master cannot easily produce the situation: 500 workloads and
2,000 edges, API failures, a slow answer.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request

from adapters.api import alerts as alert_schemas
from adapters.api import schemas
from adapters.web import routes

STATUSES = ("healthy", "warning", "critical", "unknown")
RANGE = {"cluster_id": "fake-1", "start": 1_764_309_600, "end": 1_764_313_200, "covered_seconds": 3600.0}


def _bucket_list() -> list[schemas.LatencyBucket]:
    return [
        schemas.LatencyBucket(le=le, count=c) for le, c in (("5", 40), ("10", 50), ("50", 25), ("+Inf", 5))
    ]


def _node(namespace: str, name: str, rps: float, rng: random.Random) -> schemas.MeshNode:
    errors_pct = rng.choice([0.0, 0.2, 2.5, 7.0])
    total = int(rps * 3600)
    errors = int(total * errors_pct / 100)
    return schemas.MeshNode(
        id=f"{namespace}/{name}",
        name=name,
        namespace=namespace,
        rps=rps,
        avg_latency=12.5,
        p50_latency=8.0,
        p95_latency=40.0 + rng.random() * 300,
        p99_latency=480.0,
        error_rate=errors_pct,
        availability=100 - errors_pct,
        mtls_percent=rng.choice([100.0, 60.0, 0.0]),
        total_requests=total,
        errors=errors,
        status=rng.choice(STATUSES),
    )


@dataclass
class FakeData:
    clusters: list[schemas.ClusterOut] = field(default_factory=list)
    topology: schemas.TopologyResponse | None = None
    domains: schemas.DomainsResponse | None = None
    failing: set[str] = field(default_factory=set)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # Per time_range: a different topology, and a delay before answering (stale-answer tests).
    topology_by_range: dict[str, schemas.TopologyResponse] = field(default_factory=dict)
    delay_by_range: dict[str, float] = field(default_factory=dict)
    changes: list[schemas.StatusChangeOut] = field(default_factory=list)
    # SPEC §11 answers: {"labels", "annotations", "state", ...} rows, and /budget's objectives.
    alerts: list[dict[str, Any]] = field(default_factory=list)
    budget: list[dict[str, Any]] = field(default_factory=list)


def large_topology(workloads: int, edges: int, seed: int = 7) -> schemas.TopologyResponse:
    rng = random.Random(seed)
    nodes = [
        _node(f"ns-{i % 25:02d}", f"svc-{i:04d}", round(math.exp(rng.uniform(-2, 6)), 3), rng)
        for i in range(workloads)
    ]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < edges:
        a, b = rng.randrange(workloads), rng.randrange(workloads)
        if a != b:
            pairs.add((a, b))
    mesh_edges = [
        schemas.MeshEdge(
            source=nodes[a].id,
            target=nodes[b].id,
            rps=round(rng.uniform(0.01, 50), 3),
            avg_latency=5.0,
            error_rate=rng.choice([0.0, 3.0]),
            total_requests=1000,
            failures=0,
        )
        for a, b in sorted(pairs)
    ]
    return schemas.TopologyResponse(**RANGE, nodes=nodes, edges=mesh_edges)


def one_cluster() -> list[schemas.ClusterOut]:
    return [
        schemas.ClusterOut(
            cluster_id="fake-1",
            first_seen=RANGE["start"],
            last_snapshot=RANGE["end"],
            last_received=RANGE["end"],
            agent_version="0.1.0",
        )
    ]


def empty_domains() -> schemas.DomainsResponse:
    summary = schemas.DomainsGlobalSummary(
        total_domains=0,
        status_counts=schemas.StatusCounts(),
        total_requests=0,
        errors=0,
        rps=0.0,
        availability=None,
        error_rate=None,
    )
    return schemas.DomainsResponse(**RANGE, domains=[], summary=summary)


def default_objective(total: int, bad: int) -> schemas.ObjectiveOut:
    """The master's default availability objective (99 % over 1d) over ``total`` requests."""
    return schemas.ObjectiveOut(
        sli="availability", window="1d", window_start=RANGE["end"] - 86400, target=99.0, threshold_ms=None,
        total=total, good=total - bad, sli_percent=(100 - bad * 100 / total) if total else None,
        budget_remaining=(100 - bad * 100 / total * 100) if total else None, estimated=False,
    )  # fmt: skip


def create_fake_app(data: FakeData) -> FastAPI:
    app = FastAPI()
    app.include_router(routes.router)

    def answer(name: str, request: Request, model: Any) -> Any:
        data.requests.append((name, dict(request.query_params)))
        if name in data.failing:
            raise HTTPException(status_code=503, detail=f"{name} is unavailable (test)")
        if model is None:
            raise HTTPException(status_code=404, detail="nothing here (test)")
        return model.model_dump(mode="json")

    @app.get("/api/v2/clusters")
    def clusters(request: Request) -> Any:
        return answer("clusters", request, schemas.ClustersResponse(clusters=data.clusters))

    @app.get("/api/v2/slo/mesh/topology")
    def topology(request: Request) -> Any:
        time_range = request.query_params.get("time_range", "")
        time.sleep(data.delay_by_range.get(time_range, 0.0))
        empty = schemas.TopologyResponse(**RANGE, nodes=[], edges=[])
        return answer("topology", request, data.topology_by_range.get(time_range) or data.topology or empty)

    @app.get("/api/v2/slo/mesh/service/detail")
    def detail(request: Request, namespace: str, name: str) -> Any:
        node = next(
            (n for n in (data.topology.nodes if data.topology else []) if n.id == f"{namespace}/{name}"), None
        )
        model = None
        if node is not None:
            target = schemas.TargetInfo(availability=99.0, p95_ms=300.0, source="default")
            model = schemas.ServiceDetailResponse(
                **RANGE,
                node=node,
                targets=target,
                error_budget=50.0,
                objectives=[default_objective(node.total_requests, node.errors)],
                step_seconds=300,
                history=[
                    schemas.ServiceHistoryPoint(
                        timestamp=RANGE["start"] + 300 * (i + 1),
                        rps=node.rps,
                        p95=node.p95_latency,
                        error_rate=node.error_rate,
                        availability=node.availability,
                        mtls_percent=node.mtls_percent,
                    )
                    for i in range(12)
                ],
                upstreams=[e for e in data.topology.edges if e.target == node.id],
                downstreams=[e for e in data.topology.edges if e.source == node.id],
                status_codes=[
                    schemas.StatusCodeCount(code="2xx", count=node.total_requests - node.errors),
                    schemas.StatusCodeCount(code="5xx", count=node.errors),
                ],
                latency_buckets=_bucket_list(),
            )
        return answer("detail", request, model)

    @app.get("/api/v2/slo/status-history")
    def status_history(request: Request, target_type: str | None = None, key: str | None = None) -> Any:
        limit = int(request.query_params.get("limit", "100"))
        chosen = [
            change
            for change in data.changes
            if (target_type is None or change.target_type == target_type)
            and (key is None or change.key == key)
        ]
        chosen.sort(key=lambda change: change.changed_at, reverse=True)
        return answer("status-history", request, schemas.StatusHistoryResponse(changes=chosen[:limit]))

    @app.get("/api/v2/slo/domains/history")
    def domain_history(request: Request, domain: str) -> Any:
        model = schemas.DomainHistoryResponse(**RANGE, domain=domain, step_seconds=300, points=[])
        return answer("domain-history", request, model)

    @app.get("/api/v2/slo/alerts")
    def alerts(request: Request, state: str = "firing", key: str | None = None) -> Any:
        data.requests.append(("alerts", dict(request.query_params)))
        chosen = [
            alert
            for alert in data.alerts
            if state in ("all", alert["state"]) and key in (None, alert["labels"]["key"])
        ]
        return alert_schemas.AlertsResponse.model_validate({"alerts": chosen}).model_dump(mode="json")

    @app.get("/api/v2/slo/budget")
    def budget(request: Request) -> Any:
        data.requests.append(("budget", dict(request.query_params)))
        body = {"objectives": data.budget}
        return alert_schemas.BudgetResponse.model_validate(body).model_dump(mode="json")

    @app.get("/api/v2/slo/domains/v2")
    def domains(request: Request) -> Any:
        return answer("domains", request, data.domains or empty_domains())

    return app


def status_change(target_type: str, key: str, old: str, new: str, at: int) -> schemas.StatusChangeOut:
    return schemas.StatusChangeOut(
        id=at, cluster_id="fake-1", target_type=target_type, key=key, old_status=old, new_status=new,
        availability=97.5, p95=120.0, error_budget=50.0, changed_at=at,
    )  # fmt: skip
