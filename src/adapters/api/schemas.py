"""JSON response and request models of the query API (SPEC §6).

These names are the public API the dashboard and scripts rely on: change them
only additively. Times are unix seconds (UTC); latencies are milliseconds;
rates are per second over the seconds the snapshots actually covered;
percentages are 0–100. Any value that cannot be computed (no traffic, no
observations) is ``null``, never NaN.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from application.query.shaping import finite
from domain.targets import TARGET_TYPES, TARGET_WINDOWS


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    @field_validator("*")
    @classmethod
    def _no_nan(cls, value: Any) -> Any:
        return finite(value) if isinstance(value, float) else value


class RangeInfo(_Out):
    cluster_id: str
    start: int = Field(description="Range start (exclusive), unix seconds")
    end: int = Field(description="Range end (inclusive), unix seconds")
    covered_seconds: float = Field(description="Seconds the cluster's snapshots covered: the rps denominator")


class LatencyBucket(_Out):
    """One bar of a latency histogram: observations in ``(previous le, le]``."""

    le: str = Field(description="Upper bound in ms as text, or '+Inf'")
    count: float


class StatusCodeCount(_Out):
    code: str = Field(description="Status class: 2xx, 3xx, 4xx or 5xx")
    count: int
    percent: float | None = None


class MethodCount(_Out):
    method: str = Field(description="GET, POST, PUT, DELETE, PATCH or OTHER")
    requests: int
    errors: int
    error_rate: float | None = None


class TargetInfo(_Out):
    availability: float | None = Field(description="Availability target, percent; null: none")
    p95_ms: float = Field(description="p95 warning threshold, ms")
    window: str | None = Field(default=None, description="The target's window; null for the defaults")
    source: str = Field(description="'target' when set for this key, 'default' otherwise")
    latency_threshold_ms: float | None = Field(default=None, description="Latency objective threshold, ms")
    latency_target: float | None = Field(default=None, description="Latency objective, percent")
    alerting: bool = True


class ObjectiveOut(_Out):
    """One objective over its SLO window, ending at the range's end (SPEC §10)."""

    sli: str = Field(description="availability or latency")
    window: str
    window_start: int = Field(description="Start of the window, unix seconds (exclusive)")
    target: float = Field(description="Percent of good events the objective asks for")
    threshold_ms: float | None = Field(description="Latency objective threshold; null for availability")
    total: float = Field(description="Events in the window")
    good: float = Field(description="Good events in the window")
    sli_percent: float | None = Field(description="Good events in percent; null without events")
    budget_remaining: float | None = Field(
        description="Percent of the window's error budget left (at most 100, below 0 when overspent)")
    estimated: bool = Field(description="Latency interpolated inside a bucket (threshold not a bucket bound)")


# ---- service mesh -------------------------------------------------------------


class MeshNode(_Out):
    id: str = Field(description="namespace/name")
    name: str
    namespace: str
    rps: float
    avg_latency: float | None
    p50_latency: float | None
    p95_latency: float | None
    p99_latency: float | None
    error_rate: float | None
    availability: float | None
    mtls_percent: float | None
    total_requests: int
    errors: int = 0
    status: str = Field(description="healthy, warning, critical or unknown")


class MeshEdge(_Out):
    source: str = Field(description="Caller node id, namespace/name")
    target: str = Field(description="Callee node id, namespace/name")
    rps: float
    avg_latency: float | None
    error_rate: float | None
    total_requests: int
    failures: int = 0


class TopologyResponse(RangeInfo):
    nodes: list[MeshNode]
    edges: list[MeshEdge]


_NO_SNAPSHOT = "; null when no snapshot falls in the interval (no data, drawn as a gap)"
_NO_REQUESTS = "; null without requests (and so without a snapshot)"


class ServiceHistoryPoint(_Out):
    timestamp: int = Field(description="End of the interval the point covers")
    rps: float | None = Field(description="Requests per covered second" + _NO_SNAPSHOT)
    p95: float | None = Field(description="95th percentile latency, ms" + _NO_REQUESTS)
    error_rate: float | None = Field(description="Percent of requests that failed" + _NO_REQUESTS)
    availability: float | None = Field(description="Percent of requests that succeeded" + _NO_REQUESTS)
    mtls_percent: float | None = Field(description="Percent of requests over mTLS" + _NO_REQUESTS)
    total_requests: int = 0
    avg_latency: float | None = None


class ServiceDetailResponse(RangeInfo):
    node: MeshNode
    targets: TargetInfo
    error_budget: float | None
    objectives: list[ObjectiveOut]
    step_seconds: int = Field(description="Length of each history interval")
    history: list[ServiceHistoryPoint]
    upstreams: list[MeshEdge] = Field(description="Callers of this workload (edges whose target it is)")
    downstreams: list[MeshEdge] = Field(description="Workloads this one calls (edges whose source it is)")
    status_codes: list[StatusCodeCount]
    latency_buckets: list[LatencyBucket]


# ---- ingress domains -----------------------------------------------------------


class IngressMetricsOut(_Out):
    rps: float
    total_requests: int
    errors: int
    availability: float | None
    error_rate: float | None
    avg_latency: float | None
    p50_latency: float | None
    p95_latency: float | None
    p99_latency: float | None


class DomainService(_Out):
    service_key: str = Field(description="Ingress backend key ns-svc-port")
    service_name: str
    port: int
    namespace: str
    paths: list[str]
    current: IngressMetricsOut
    previous: IngressMetricsOut = Field(description="The same-length period right before the range")
    targets: TargetInfo
    status: str
    error_budget: float | None
    objectives: list[ObjectiveOut]
    latency_distribution: list[LatencyBucket]
    methods: list[MethodCount]
    status_codes: list[StatusCodeCount]
    backend_service_ids: list[str] = Field(description="Mesh node ids (namespace/name) behind this backend")


class DomainSummary(IngressMetricsOut):
    """The domain's backends together: sums and merged buckets, never averaged percentiles."""

    latency_distribution: list[LatencyBucket]
    methods: list[MethodCount]
    status_codes: list[StatusCodeCount]


class DomainOut(_Out):
    domain: str
    tls: bool
    services: list[DomainService]
    summary: DomainSummary
    previous_summary: IngressMetricsOut
    targets: TargetInfo
    status: str
    error_budget: float | None
    objectives: list[ObjectiveOut]


class StatusCounts(_Out):
    healthy: int = 0
    warning: int = 0
    critical: int = 0
    unknown: int = 0


class DomainsGlobalSummary(_Out):
    total_domains: int
    status_counts: StatusCounts
    total_requests: int
    errors: int
    rps: float
    availability: float | None
    error_rate: float | None
    unrouted_service_keys: list[str] = Field(
        default_factory=list, description="Backends with traffic but no route (counted in the totals)"
    )


class DomainsResponse(RangeInfo):
    domains: list[DomainOut]
    summary: DomainsGlobalSummary


class DomainDetailResponse(RangeInfo):
    domain: DomainOut


class DomainHistoryPoint(_Out):
    timestamp: int = Field(description="End of the interval the point covers")
    rps: float | None = Field(description="Requests per covered second" + _NO_SNAPSHOT)
    total_requests: int
    errors: int
    availability: float | None = Field(description="Percent of requests below 500" + _NO_REQUESTS)
    error_rate: float | None = Field(description="Percent of requests 500 and above" + _NO_REQUESTS)
    avg_latency: float | None
    p50: float | None
    p95: float | None = Field(description="95th percentile latency, ms" + _NO_REQUESTS)
    p99: float | None


class DomainHistoryResponse(RangeInfo):
    domain: str
    step_seconds: int
    points: list[DomainHistoryPoint]


# ---- targets, status history, clusters ------------------------------------------


_WINDOWS_TEXT = "1d, 7d, 28d or 30d (rolling), week (ISO, from Monday 00:00 UTC) or month (calendar, UTC)"


class TargetOut(_Out):
    cluster_id: str
    target_type: str
    key: str
    window: str = Field(description=_WINDOWS_TEXT)
    availability_target: float | None = Field(description="Percent; null: no availability objective")
    p95_target_ms: float | None = Field(description="Status warning threshold; null: the master's default")
    latency_threshold_ms: float | None = Field(description="Latency objective: requests within this")
    latency_target: float | None = Field(description="Latency objective: percent of requests within")
    alerting: bool
    updated_at: int


class TargetDeleted(_Out):
    deleted: int = Field(description="Targets deleted (1; a missing target answers 404)")


class TargetsResponse(_Out):
    targets: list[TargetOut]


# The target rules (domain.target_rules) check these with their own messages; the document states them.
_TYPES: dict[str, Any] = {"enum": list(TARGET_TYPES)}
_WINDOWS: dict[str, Any] = {"enum": list(TARGET_WINDOWS)}
_PERCENT: dict[str, Any] = {"exclusiveMinimum": 0, "exclusiveMaximum": 100}
_POSITIVE: dict[str, Any] = {"exclusiveMinimum": 0}


class TargetIn(BaseModel):
    """Body of ``PUT /api/v2/slo/targets``; ``cluster_id`` may be omitted when one cluster exists.

    Strict: ``"99.5"`` or ``true`` is not a percentage and ``"yes"`` or ``1`` not an ``alerting``
    switch; a client that sends them has a bug the master should not paper over.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    cluster_id: str | None = None
    target_type: str = Field(
        description="service (key ns/name) or ingress (key: domain or ns-svc-port)", json_schema_extra=_TYPES)
    key: str = Field(description="As the cluster reported it; no leading or trailing blanks",
                     json_schema_extra={"pattern": r"^\S(.*\S)?$"})
    window: str = Field(default="1d", description=_WINDOWS_TEXT, json_schema_extra=_WINDOWS)
    availability_target: float | None = Field(
        default=None, description="Percent, 0 < value < 100; null: no availability objective",
        json_schema_extra=_PERCENT)
    p95_target_ms: float | None = Field(
        default=None, description="Status warning threshold, milliseconds > 0; null: the master's default",
        json_schema_extra=_POSITIVE)
    latency_threshold_ms: float | None = Field(
        default=None, description="Latency objective threshold, milliseconds > 0 (with latency_target)",
        json_schema_extra=_POSITIVE)
    latency_target: float | None = Field(
        default=None, description="Percent of requests within latency_threshold_ms, 0 < value < 100",
        json_schema_extra=_PERCENT)
    alerting: bool = Field(default=True, description="Burn-rate alerts for this target's objectives")


class StatusChangeOut(_Out):
    id: int | None
    cluster_id: str
    target_type: str
    key: str
    old_status: str
    new_status: str
    availability: float | None
    p95: float | None
    error_budget: float | None
    changed_at: int


class StatusHistoryResponse(_Out):
    changes: list[StatusChangeOut]


class ClusterOut(_Out):
    cluster_id: str
    first_seen: int
    last_snapshot: int = Field(description="Timestamp of the newest snapshot received")
    last_received: int
    agent_version: str


class ClustersResponse(_Out):
    clusters: list[ClusterOut]
