"""Query API routers (SPEC §6).

Handlers only parse parameters, call the query service and serialise its
answer; every route requires the read token when one is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel

from adapters.api.auth import require_admin_token, require_read_token
from adapters.api.params import (
    TimeWindow,
    cluster_param,
    optional_instant,
    optional_time_window,
    time_window,
    unprocessable,
)
from adapters.api.schemas import (
    ClusterOut,
    ClustersResponse,
    DomainDetailResponse,
    DomainHistoryResponse,
    DomainsResponse,
    ServiceDetailResponse,
    StatusChangeOut,
    StatusHistoryResponse,
    TargetDeleted,
    TargetIn,
    TargetOut,
    TargetsResponse,
    TopologyResponse,
)
from application.ports.query import QueryService
from application.query.errors import (
    ClusterRequired,
    InvalidInput,
    NoClusters,
    NotFound,
    QueryError,
    UnknownCluster,
)

router = APIRouter(
    tags=["query"],
    dependencies=[Depends(require_read_token)],
    responses={503: {"description": "the database is unavailable; the message names it"}},
)

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

_STATUS_OF: dict[type[QueryError], int] = {
    NoClusters: status.HTTP_404_NOT_FOUND,
    UnknownCluster: status.HTTP_404_NOT_FOUND,
    NotFound: status.HTTP_404_NOT_FOUND,
    ClusterRequired: 422,
    InvalidInput: 422,
}


def answer(call: Callable[[], R]) -> R:
    """Run a query, turning the service's refusals into HTTP errors with its message."""
    try:
        return call()
    except QueryError as error:
        code = _STATUS_OF.get(type(error), 422)
        raise HTTPException(status_code=code, detail=str(error)) from None


def _as(model: type[M], view: object) -> M:
    return model.model_validate(view, from_attributes=True)


def _required(value: str, name: str) -> str:
    if not value.strip():
        raise unprocessable(f"{name} must not be empty")
    return value.strip()


@router.get("/api/v2/slo/mesh/topology", response_model=TopologyResponse)
@inject
def topology(
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> TopologyResponse:
    return _as(TopologyResponse, answer(lambda: service.topology(cluster_id, window.start, window.end)))


@router.get("/api/v2/slo/mesh/service/detail", response_model=ServiceDetailResponse)
@inject
def service_detail(
    namespace: str = Query(..., description="Workload namespace"),
    name: str = Query(..., description="Workload name (deployment, statefulset or daemonset)"),
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> ServiceDetailResponse:
    namespace, name = _required(namespace, "namespace"), _required(name, "name")
    view = answer(lambda: service.service_detail(cluster_id, window.start, window.end, namespace, name))
    return _as(ServiceDetailResponse, view)


@router.get("/api/v2/slo/domains/v2", response_model=DomainsResponse)
@inject
def domains(
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> DomainsResponse:
    return _as(DomainsResponse, answer(lambda: service.domains(cluster_id, window.start, window.end)))


@router.get("/api/v2/slo/domains/detail", response_model=DomainDetailResponse)
@inject
def domain_detail(
    domain: str = Query(..., description="Domain (host) as routed by the ingress"),
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> DomainDetailResponse:
    domain = _required(domain, "domain")
    view = answer(lambda: service.domain_detail(cluster_id, window.start, window.end, domain))
    return _as(DomainDetailResponse, view)


@router.get("/api/v2/slo/domains/history", response_model=DomainHistoryResponse)
@inject
def domain_history(
    domain: str = Query(..., description="Domain (host) as routed by the ingress"),
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> DomainHistoryResponse:
    domain = _required(domain, "domain")
    view = answer(lambda: service.domain_history(cluster_id, window.start, window.end, domain))
    return _as(DomainHistoryResponse, view)


@router.get("/api/v2/slo/targets", response_model=TargetsResponse)
@inject
def list_targets(
    cluster_id: str | None = Depends(cluster_param),
    target_type: str | None = Query(None, description="service or ingress"),
    service: QueryService = Depends(Provide["query_service"]),
) -> TargetsResponse:
    records = answer(lambda: service.list_targets(cluster_id, target_type))
    return TargetsResponse(targets=[_as(TargetOut, record) for record in records])


@router.put("/api/v2/slo/targets", response_model=TargetOut, dependencies=[Depends(require_admin_token)])
@inject
def upsert_target(
    body: TargetIn,
    service: QueryService = Depends(Provide["query_service"]),
) -> TargetOut:
    record = answer(
        lambda: service.upsert_target(
            body.cluster_id, body.target_type, body.key, body.window,
            body.availability_target, body.p95_target_ms,
            body.latency_threshold_ms, body.latency_target, body.alerting,
        )
    )
    return _as(TargetOut, record)


@router.delete("/api/v2/slo/targets", response_model=TargetDeleted,
               dependencies=[Depends(require_admin_token)])
@inject
def delete_target(
    cluster_id: str | None = Depends(cluster_param),
    target_type: str | None = Query(None, description="service or ingress"),
    key: str | None = Query(None, description="namespace/name, domain or ns-svc-port"),
    window: str | None = Query(None, description="the target's window"),
    service: QueryService = Depends(Provide["query_service"]),
) -> TargetDeleted:
    kind = _required(target_type or "", "target_type")
    name = _required(key or "", "key")
    span = _required(window or "", "window")
    deleted = answer(lambda: service.delete_target(cluster_id, kind, name, span))
    return TargetDeleted(deleted=deleted)


@router.get("/api/v2/slo/status-history", response_model=StatusHistoryResponse)
@inject
def status_history(
    cluster_id: str | None = Depends(cluster_param),
    target_type: str | None = Query(None, description="service or ingress"),
    key: str | None = Query(None, description="namespace/name, domain or ns-svc-port"),
    since: str | None = Query(None, description="Changes at or after this time (unix s or RFC 3339)"),
    limit: int = Query(100, description="At most this many changes, newest first (1–1000)"),
    window: TimeWindow | None = Depends(optional_time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> StatusHistoryResponse:
    since_ts = optional_instant(since, "since")
    until_ts = None
    if window is not None:
        if since_ts is not None:
            raise unprocessable("give either since or time_range/start/end, not both")
        # The window is (start, end] like every other endpoint's; since is inclusive.
        since_ts, until_ts = window.start + 1, window.end
    changes = answer(
        lambda: service.status_history(cluster_id, target_type, key, since_ts, limit, until_ts)
    )
    return StatusHistoryResponse(changes=[_as(StatusChangeOut, change) for change in changes])


@router.get("/api/v2/clusters", response_model=ClustersResponse)
@inject
def clusters(service: QueryService = Depends(Provide["query_service"])) -> ClustersResponse:
    return ClustersResponse(clusters=[_as(ClusterOut, info) for info in service.clusters()])
