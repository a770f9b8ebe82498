"""Alert and error-budget endpoints (SPEC §11); reads, so they need the read token when one is set."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from adapters.api.auth import require_read_token
from adapters.api.params import cluster_param, unprocessable
from adapters.api.query import answer
from application.ports.query import QueryService

router = APIRouter(tags=["alerts"], dependencies=[Depends(require_read_token)])


class AlertOut(BaseModel):
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str
    started_at: int
    resolved_at: int | None
    burn_rate_long: float | None
    burn_rate_short: float | None


class AlertsResponse(BaseModel):
    alerts: list[AlertOut]


class BudgetPointOut(BaseModel):
    timestamp: int
    budget_remaining: float | None


class ObjectiveBudgetOut(BaseModel):
    sli: str
    window: str
    target: float
    threshold_ms: float | None
    points: list[BudgetPointOut]


class BudgetResponse(BaseModel):
    objectives: list[ObjectiveBudgetOut]


@router.get("/api/v2/slo/alerts", response_model=AlertsResponse)
@inject
def alerts(
    state: str = Query("all", description="firing, resolved or all"),
    cluster_id: str | None = Depends(cluster_param),
    target_type: str | None = Query(None, description="service or ingress"),
    key: str | None = Query(None, description="target key: ns/name, a domain or a backend key"),
    service: QueryService = Depends(Provide["query_service"]),
) -> AlertsResponse:
    """Burn-rate alerts, newest first, with the labels exactly as sent to the receivers."""
    found = answer(lambda: service.alerts(state, cluster_id, target_type, key))
    return AlertsResponse(alerts=[AlertOut.model_validate(a, from_attributes=True) for a in found])


@router.get("/api/v2/slo/budget", response_model=BudgetResponse)
@inject
def budget(
    target_type: str = Query(..., description="service or ingress"),
    key: str = Query(..., description="target key: ns/name, a domain or a backend key"),
    window: str | None = Query(None, description="1d, 7d, 28d, 30d, week or month (default: every target)"),
    cluster_id: str | None = Depends(cluster_param),
    service: QueryService = Depends(Provide["query_service"]),
) -> BudgetResponse:
    """Each objective's remaining error budget over its window, as points oldest first."""
    if not key.strip():
        raise unprocessable("key must not be empty")
    found = answer(lambda: service.budget(cluster_id, target_type, key.strip(), window))
    return BudgetResponse(
        objectives=[ObjectiveBudgetOut.model_validate(o, from_attributes=True) for o in found])
