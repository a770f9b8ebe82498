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
from adapters.api.http_errors import error_responses
from adapters.api.params import (
    TimeWindow,
    cluster_param,
    enum_query,
    instant_query,
    optional_instant,
    optional_time_window,
    text_query,
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
from domain.slo_windows import WINDOWS
from domain.targets import TARGET_TYPES

# 401 (and 403 for writes) is documented with the security schemes when a token is set
# (adapters.api.openapi); each route lists the refusals its query can give.
router = APIRouter(tags=["query"], dependencies=[Depends(require_read_token)], responses=error_responses(503))
READ_ERRORS = error_responses(404, 422)
TYPE_DOC = "service or ingress"
KEY_DOC = "namespace/name, domain or ns-svc-port"
SINCE_DOC = "Changes at or after this time (unix s or RFC 3339); not with a window"

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


@router.get("/api/v2/slo/mesh/topology", response_model=TopologyResponse, responses=READ_ERRORS)
@inject
def topology(
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> TopologyResponse:
    return _as(TopologyResponse, answer(lambda: service.topology(cluster_id, window.start, window.end)))


@router.get("/api/v2/slo/mesh/service/detail", response_model=ServiceDetailResponse, responses=READ_ERRORS)
@inject
def service_detail(
    namespace: str = text_query(..., "Workload namespace"),
    name: str = text_query(..., "Workload name (deployment, statefulset or daemonset)"),
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> ServiceDetailResponse:
    namespace, name = _required(namespace, "namespace"), _required(name, "name")
    view = answer(lambda: service.service_detail(cluster_id, window.start, window.end, namespace, name))
    return _as(ServiceDetailResponse, view)


@router.get("/api/v2/slo/domains/v2", response_model=DomainsResponse, responses=READ_ERRORS)
@inject
def domains(
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> DomainsResponse:
    return _as(DomainsResponse, answer(lambda: service.domains(cluster_id, window.start, window.end)))


@router.get("/api/v2/slo/domains/detail", response_model=DomainDetailResponse, responses=READ_ERRORS)
@inject
def domain_detail(
    domain: str = text_query(..., "Domain (host) as routed by the ingress"),
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> DomainDetailResponse:
    domain = _required(domain, "domain")
    view = answer(lambda: service.domain_detail(cluster_id, window.start, window.end, domain))
    return _as(DomainDetailResponse, view)


@router.get("/api/v2/slo/domains/history", response_model=DomainHistoryResponse, responses=READ_ERRORS)
@inject
def domain_history(
    domain: str = text_query(..., "Domain (host) as routed by the ingress"),
    cluster_id: str | None = Depends(cluster_param),
    window: TimeWindow = Depends(time_window),
    service: QueryService = Depends(Provide["query_service"]),
) -> DomainHistoryResponse:
    domain = _required(domain, "domain")
    view = answer(lambda: service.domain_history(cluster_id, window.start, window.end, domain))
    return _as(DomainHistoryResponse, view)


@router.get("/api/v2/slo/targets", response_model=TargetsResponse, responses=READ_ERRORS)
@inject
def list_targets(
    cluster_id: str | None = Depends(cluster_param),
    target_type: str | None = enum_query(TARGET_TYPES, None, TYPE_DOC),
    service: QueryService = Depends(Provide["query_service"]),
) -> TargetsResponse:
    records = answer(lambda: service.list_targets(cluster_id, target_type))
    return TargetsResponse(targets=[_as(TargetOut, record) for record in records])


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


_UPSERT_RULES = """Beyond the schema (each refusal a 422 naming the field): a `service` key is
`namespace/name`; the key is one the cluster reported (a workload, a routed domain or a backend key);
`latency_threshold_ms` and `latency_target` go together; at least one objective is set; `cluster_id`
may be left out only while one cluster has reported."""

router.add_api_route("/api/v2/slo/targets", upsert_target, methods=["PUT"], response_model=TargetOut,
                     summary="Create or replace a target", description=_UPSERT_RULES,
                     dependencies=[Depends(require_admin_token)],
                     responses=error_responses(400, 404, 408, 413, 422, s413="body larger than 64 KiB"))


@router.delete("/api/v2/slo/targets", response_model=TargetDeleted, responses=READ_ERRORS,
               dependencies=[Depends(require_admin_token)])
@inject
def delete_target(
    cluster_id: str | None = Depends(cluster_param),
    target_type: str = enum_query(TARGET_TYPES, ..., TYPE_DOC),
    key: str = text_query(..., KEY_DOC),
    window: str = enum_query(WINDOWS, ..., "the target's window"),
    service: QueryService = Depends(Provide["query_service"]),
) -> TargetDeleted:
    kind = _required(target_type, "target_type")
    name = _required(key, "key")
    span = _required(window, "window")
    deleted = answer(lambda: service.delete_target(cluster_id, kind, name, span))
    return TargetDeleted(deleted=deleted)


@router.get("/api/v2/slo/status-history", response_model=StatusHistoryResponse, responses=READ_ERRORS)
@inject
def status_history(
    cluster_id: str | None = Depends(cluster_param),
    target_type: str | None = enum_query(TARGET_TYPES, None, TYPE_DOC),
    key: str | None = Query(None, description=KEY_DOC),
    since: str | None = instant_query(SINCE_DOC),
    limit: int = Query(100, ge=1, le=1000, description="At most this many changes, newest first"),
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
