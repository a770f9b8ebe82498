"""Alert and error-budget endpoints (SPEC §11); reads, so they need the read token when one is set."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from adapters.api.auth import require_read_token
from adapters.api.http_errors import error_responses
from adapters.api.params import cluster_param, enum_query, text_query, unprocessable
from adapters.api.query import KEY_DOC, TYPE_DOC, answer
from application.ports.query import QueryService
from application.query.alerts import ALERT_STATES
from domain.slo_windows import WINDOWS
from domain.targets import TARGET_TYPES

router = APIRouter(tags=["alerts"], dependencies=[Depends(require_read_token)],
                   responses=error_responses(404, 422, 503))


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
    state: str = enum_query(ALERT_STATES, "all", "firing, resolved or all"),
    cluster_id: str | None = Depends(cluster_param),
    target_type: str | None = enum_query(TARGET_TYPES, None, TYPE_DOC),
    key: str | None = text_query(None, "target key: " + KEY_DOC),
    service: QueryService = Depends(Provide["query_service"]),
) -> AlertsResponse:
    """Burn-rate alerts, newest first, with the labels exactly as sent to the receivers."""
    if key is not None and not key.strip():
        raise unprocessable("key must not be empty")
    found = answer(lambda: service.alerts(state, cluster_id, target_type, key))
    return AlertsResponse(alerts=[AlertOut.model_validate(a, from_attributes=True) for a in found])


@router.get("/api/v2/slo/budget", response_model=BudgetResponse)
@inject
def budget(
    target_type: str = enum_query(TARGET_TYPES, ..., TYPE_DOC),
    key: str = text_query(..., "target key: " + KEY_DOC),
    window: str | None = enum_query(WINDOWS, None, "1d, 7d, 28d, 30d, week or month (default: every target)"),
    cluster_id: str | None = Depends(cluster_param),
    service: QueryService = Depends(Provide["query_service"]),
) -> BudgetResponse:
    """Each objective's remaining error budget over its window, as points oldest first."""
    if not key.strip():
        raise unprocessable("key must not be empty")
    found = answer(lambda: service.budget(cluster_id, target_type, key.strip(), window))
    return BudgetResponse(
        objectives=[ObjectiveBudgetOut.model_validate(o, from_attributes=True) for o in found])
