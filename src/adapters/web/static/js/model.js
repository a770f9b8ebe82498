// The one place that knows the query API's field names (src/adapters/api/schemas.py).
// Everything else in the page works on the shapes returned here.

const num = (value) => (typeof value === "number" && Number.isFinite(value) ? value : null);
const str = (value) => (value === null || value === undefined ? "" : String(value));
const list = (value) => (Array.isArray(value) ? value : []);

// Node ids are "namespace/name"; a Kubernetes namespace never contains "/".
export function splitId(id) {
  const slash = id.indexOf("/");
  return slash < 0 ? { namespace: "", name: id } : { namespace: id.slice(0, slash), name: id.slice(slash + 1) };
}

export function nodeFrom(raw) {
  raw = raw || {};
  return {
    id: str(raw.id),
    name: str(raw.name),
    namespace: str(raw.namespace),
    status: str(raw.status) || "unknown",
    rps: num(raw.rps),
    avg: num(raw.avg_latency),
    p50: num(raw.p50_latency),
    p95: num(raw.p95_latency),
    p99: num(raw.p99_latency),
    error_rate: num(raw.error_rate),
    availability: num(raw.availability),
    mtls_percent: num(raw.mtls_percent),
    total_requests: num(raw.total_requests),
    errors: num(raw.errors),
  };
}

export function edgeFrom(raw) {
  return {
    source: str(raw.source),
    target: str(raw.target),
    rps: num(raw.rps),
    avg: num(raw.avg_latency),
    error_rate: num(raw.error_rate),
    total_requests: num(raw.total_requests),
    failures: num(raw.failures),
  };
}

export function topologyFrom(raw) {
  return { nodes: list(raw.nodes).map(nodeFrom), edges: list(raw.edges).map(edgeFrom) };
}

export function bucketsFrom(raw) {
  return list(raw).map((bucket) => ({ le: str(bucket.le), count: num(bucket.count) ?? 0 }));
}

function statusCodesFrom(raw) {
  return list(raw).map((item) => ({ key: str(item.code), count: num(item.count) ?? 0, percent: num(item.percent), errors: null }));
}

function methodsFrom(raw) {
  return list(raw).map((item) => ({ key: str(item.method), count: num(item.requests) ?? 0, errors: num(item.errors) }));
}

function targetsFrom(raw) {
  raw = raw || {};
  return {
    availability: num(raw.availability),
    p95: num(raw.p95_ms),
    source: str(raw.source),
    window: str(raw.window),
    latency_threshold_ms: num(raw.latency_threshold_ms),
    latency_target: num(raw.latency_target),
    alerting: raw.alerting !== false,
  };
}

// One objective over its SLO window (SPEC §10), as the detail and domain answers carry them.
export function objectivesFrom(raw) {
  return list(raw).map((item) => ({
    sli: str(item.sli),
    window: str(item.window),
    window_start: num(item.window_start),
    target: num(item.target),
    threshold_ms: num(item.threshold_ms),
    total: num(item.total),
    good: num(item.good),
    sli_percent: num(item.sli_percent),
    budget_remaining: num(item.budget_remaining),
    estimated: item.estimated === true,
  }));
}

// A stored target as GET /api/v2/slo/targets lists it (the PUT fields).
export function storedTargetsFrom(raw) {
  return list(raw.targets).map((item) => ({
    cluster_id: str(item.cluster_id),
    target_type: str(item.target_type),
    key: str(item.key),
    window: str(item.window),
    availability_target: num(item.availability_target),
    p95_target_ms: num(item.p95_target_ms),
    latency_threshold_ms: num(item.latency_threshold_ms),
    latency_target: num(item.latency_target),
    alerting: item.alerting !== false,
  }));
}

// An edge seen from one end: the peer is the other end.
function peerFrom(edge, peerEnd) {
  const id = str(edge[peerEnd]);
  return { id, ...splitId(id), ...edgeFrom(edge) };
}

export function detailFrom(raw) {
  return {
    node: nodeFrom(raw.node),
    targets: targetsFrom(raw.targets),
    error_budget: num(raw.error_budget),
    objectives: objectivesFrom(raw.objectives),
    step_seconds: num(raw.step_seconds),
    history: list(raw.history).map((point) => ({
      timestamp: num(point.timestamp),
      rps: num(point.rps),
      p95: num(point.p95),
      error_rate: num(point.error_rate),
      availability: num(point.availability),
      mtls_percent: num(point.mtls_percent),
    })),
    upstreams: list(raw.upstreams).map((edge) => peerFrom(edge, "source")),
    downstreams: list(raw.downstreams).map((edge) => peerFrom(edge, "target")),
    status_codes: statusCodesFrom(raw.status_codes),
    latency_buckets: bucketsFrom(raw.latency_buckets),
  };
}

export function clustersFrom(raw) {
  return list(raw.clusters).map((item) => ({ id: str(item.cluster_id), lastSnapshot: num(item.last_snapshot) }));
}

function metricsFrom(raw) {
  raw = raw || {};
  return {
    rps: num(raw.rps),
    total_requests: num(raw.total_requests),
    errors: num(raw.errors),
    availability: num(raw.availability),
    error_rate: num(raw.error_rate),
    avg: num(raw.avg_latency),
    p50: num(raw.p50_latency),
    p95: num(raw.p95_latency),
    p99: num(raw.p99_latency),
  };
}

function domainServiceFrom(raw) {
  return {
    service_key: str(raw.service_key),
    service_name: str(raw.service_name),
    namespace: str(raw.namespace),
    port: num(raw.port),
    paths: list(raw.paths).map(str),
    current: metricsFrom(raw.current),
    previous: metricsFrom(raw.previous),
    targets: targetsFrom(raw.targets),
    status: str(raw.status) || "unknown",
    error_budget: num(raw.error_budget),
    backend_service_ids: list(raw.backend_service_ids).map(str),
  };
}

export function domainFrom(raw) {
  const summary = raw.summary || {};
  return {
    domain: str(raw.domain),
    tls: raw.tls === true,
    status: str(raw.status) || "unknown",
    error_budget: num(raw.error_budget),
    targets: targetsFrom(raw.targets),
    objectives: objectivesFrom(raw.objectives),
    summary: metricsFrom(summary),
    previous: metricsFrom(raw.previous_summary),
    latency_buckets: bucketsFrom(summary.latency_distribution),
    methods: methodsFrom(summary.methods),
    status_codes: statusCodesFrom(summary.status_codes),
    services: list(raw.services).map(domainServiceFrom),
  };
}

export function domainsFrom(raw) {
  const summary = raw.summary || {};
  return {
    domains: list(raw.domains).map(domainFrom),
    summary: {
      total_domains: num(summary.total_domains),
      counts: summary.status_counts || {},
      total_requests: num(summary.total_requests),
      rps: num(summary.rps),
      availability: num(summary.availability),
    },
  };
}

export function domainHistoryFrom(raw) {
  return list(raw.points).map((point) => ({
    timestamp: num(point.timestamp),
    rps: num(point.rps),
    availability: num(point.availability),
    p95: num(point.p95),
  }));
}

export function statusChangesFrom(raw) {
  return list(raw.changes).map((change) => ({
    target_type: str(change.target_type),
    key: str(change.key),
    old_status: str(change.old_status) || "unknown",
    new_status: str(change.new_status) || "unknown",
    availability: num(change.availability),
    p95: num(change.p95),
    changed_at: num(change.changed_at),
  }));
}

// Unix seconds from a number or an RFC 3339 string (the alert answers may carry either).
function instant(value) {
  if (typeof value === "number") return num(value);
  if (typeof value === "string" && value) {
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) ? parsed / 1000 : null;
  }
  return null;
}

// Label and annotation values are strings (SPEC §11): numbers are parsed here, once.
function decimal(value) {
  if (typeof value === "number") return num(value);
  const parsed = typeof value === "string" && value.trim() ? Number(value) : NaN;
  return Number.isFinite(parsed) ? parsed : null;
}

const SLI_OF_ALERT = { MeshsloErrorBudgetBurn: "availability", MeshsloLatencyBudgetBurn: "latency" };

export function alertsFrom(raw) {
  return list(raw.alerts).map((item) => {
    const labels = item.labels || {};
    const annotations = item.annotations || {};
    return {
      alertname: str(labels.alertname),
      sli: SLI_OF_ALERT[labels.alertname] || "",
      severity: str(labels.severity),
      cluster: str(labels.cluster),
      target_type: str(labels.target_type),
      key: str(labels.key),
      slo_window: str(labels.slo_window),
      long_window: str(labels.long_window),
      short_window: str(labels.short_window),
      tier: decimal(labels.burn_tier),
      summary: str(annotations.summary),
      description: str(annotations.description),
      budget: decimal(annotations.error_budget_remaining),
      state: str(item.state),
      started_at: instant(item.started_at),
      resolved_at: instant(item.resolved_at),
      burn_long: decimal(item.burn_rate_long) ?? decimal(annotations.burn_rate_long),
      burn_short: decimal(item.burn_rate_short) ?? decimal(annotations.burn_rate_short),
    };
  });
}

export function budgetFrom(raw) {
  return list(raw.objectives).map((item) => ({
    sli: str(item.sli),
    window: str(item.window),
    target: num(item.target),
    threshold_ms: num(item.threshold_ms),
    points: list(item.points).map((point) => ({
      timestamp: instant(point.timestamp),
      budget_remaining: num(point.budget_remaining),
    })),
  }));
}
