"""What the query service answers: plain data, shaped like the API's JSON (SPEC §6).

The REST adapter turns these into its response models attribute by attribute,
so field names here are the public names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RangeView:
    cluster_id: str
    start: int
    end: int
    covered_seconds: float


@dataclass(frozen=True, slots=True)
class LatencyBucketView:
    le: str
    count: float


@dataclass(frozen=True, slots=True)
class StatusCodeView:
    code: str
    count: int
    percent: float | None


@dataclass(frozen=True, slots=True)
class MethodView:
    method: str
    requests: int
    errors: int
    error_rate: float | None


@dataclass(frozen=True, slots=True)
class TargetView:
    availability: float | None
    p95_ms: float
    window: str | None
    source: str  # "target" or "default"
    latency_threshold_ms: float | None = None
    latency_target: float | None = None
    alerting: bool = True


@dataclass(frozen=True, slots=True)
class ObjectiveView:
    """One objective over its SLO window (SPEC §10), ending at the range's end."""

    sli: str  # "availability" or "latency"
    window: str
    window_start: int
    target: float  # percent
    threshold_ms: float | None
    total: float
    good: float
    sli_percent: float | None
    budget_remaining: float | None
    estimated: bool


@dataclass(frozen=True, slots=True)
class NodeView:
    id: str
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
    errors: int
    status: str


@dataclass(frozen=True, slots=True)
class EdgeView:
    source: str
    target: str
    rps: float
    avg_latency: float | None
    error_rate: float | None
    total_requests: int
    failures: int


@dataclass(frozen=True, slots=True)
class TopologyView(RangeView):
    nodes: list[NodeView]
    edges: list[EdgeView]


@dataclass(frozen=True, slots=True)
class ServiceHistoryPointView:
    timestamp: int
    rps: float | None
    p95: float | None
    error_rate: float | None
    availability: float | None
    mtls_percent: float | None
    total_requests: int
    avg_latency: float | None


@dataclass(frozen=True, slots=True)
class ServiceDetailView(RangeView):
    node: NodeView
    targets: TargetView
    error_budget: float | None
    objectives: list[ObjectiveView]
    step_seconds: int
    history: list[ServiceHistoryPointView]
    upstreams: list[EdgeView]
    downstreams: list[EdgeView]
    status_codes: list[StatusCodeView]
    latency_buckets: list[LatencyBucketView]


@dataclass(frozen=True, slots=True)
class IngressMetricsView:
    rps: float
    total_requests: int
    errors: int
    availability: float | None
    error_rate: float | None
    avg_latency: float | None
    p50_latency: float | None
    p95_latency: float | None
    p99_latency: float | None


@dataclass(frozen=True, slots=True)
class DomainServiceView:
    service_key: str
    service_name: str
    port: int
    namespace: str
    paths: list[str]
    current: IngressMetricsView
    previous: IngressMetricsView
    targets: TargetView
    status: str
    error_budget: float | None
    objectives: list[ObjectiveView]
    latency_distribution: list[LatencyBucketView]
    methods: list[MethodView]
    status_codes: list[StatusCodeView]
    backend_service_ids: list[str]


@dataclass(frozen=True, slots=True)
class DomainSummaryView(IngressMetricsView):
    latency_distribution: list[LatencyBucketView]
    methods: list[MethodView]
    status_codes: list[StatusCodeView]


@dataclass(frozen=True, slots=True)
class DomainView:
    domain: str
    tls: bool
    services: list[DomainServiceView]
    summary: DomainSummaryView
    previous_summary: IngressMetricsView
    targets: TargetView
    status: str
    error_budget: float | None
    objectives: list[ObjectiveView]


@dataclass(frozen=True, slots=True)
class StatusCountsView:
    healthy: int
    warning: int
    critical: int
    unknown: int


@dataclass(frozen=True, slots=True)
class DomainsGlobalSummaryView:
    total_domains: int
    status_counts: StatusCountsView
    total_requests: int
    errors: int
    rps: float
    availability: float | None
    error_rate: float | None
    unrouted_service_keys: list[str]


@dataclass(frozen=True, slots=True)
class DomainsView(RangeView):
    domains: list[DomainView]
    summary: DomainsGlobalSummaryView


@dataclass(frozen=True, slots=True)
class DomainDetailView(RangeView):
    domain: DomainView


@dataclass(frozen=True, slots=True)
class DomainHistoryPointView:
    timestamp: int
    rps: float | None
    total_requests: int
    errors: int
    availability: float | None
    error_rate: float | None
    avg_latency: float | None
    p50: float | None
    p95: float | None
    p99: float | None


@dataclass(frozen=True, slots=True)
class DomainHistoryView(RangeView):
    domain: str
    step_seconds: int
    points: list[DomainHistoryPointView]
