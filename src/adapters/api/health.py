"""Liveness, readiness and self-metrics (SPEC §6)."""

from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from adapters.api.auth import require_read_token
from adapters.observability.master_metrics import MasterMetrics
from application.master.readiness import ReadinessCheck

router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    status: str = Field(description="ready, or unavailable (with 503)")
    detail: str | None = Field(default=None, description="Why the master is not ready")


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database is reachable", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "the database is unreachable or unmigrated"}})
@inject
async def readyz(readiness: ReadinessCheck = Depends(Provide["readiness"])) -> JSONResponse:
    problem = await run_in_threadpool(readiness.problem)
    if problem is not None:
        return JSONResponse({"status": "unavailable", "detail": problem}, status_code=503)
    return JSONResponse({"status": "ready"})


# /metrics names every cluster that reported: a read like the query API (Prometheus sends the
# token with ``authorization: {type: Bearer, credentials_file: ...}`` in its scrape config).
@router.get(
    "/metrics",
    summary="The master's own Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
    dependencies=[Depends(require_read_token)],
)
@inject
def metrics(registry_owner: MasterMetrics = Depends(Provide["metrics"])) -> Response:
    return Response(generate_latest(registry_owner.registry), media_type=CONTENT_TYPE_LATEST)
