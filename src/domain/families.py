"""The metric families the agent understands (SPEC §1), named without prefix."""

from __future__ import annotations

LINKERD_RESPONSES = "response_total"
LINKERD_LATENCY = "response_latency_ms"

TRAEFIK_REQUESTS = "traefik_service_requests_total"
TRAEFIK_DURATION = "traefik_service_request_duration_seconds"

NGINX_REQUESTS = "nginx_ingress_controller_requests"
# The OpenTelemetry Collector's prometheus exporter appends _total to monotonic sums.
NGINX_REQUESTS_TOTAL = "nginx_ingress_controller_requests_total"
NGINX_DURATION = "nginx_ingress_controller_request_duration_seconds"

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

COUNTER_FAMILIES = frozenset({LINKERD_RESPONSES, TRAEFIK_REQUESTS, NGINX_REQUESTS, NGINX_REQUESTS_TOTAL})
HISTOGRAM_FAMILIES = frozenset({LINKERD_LATENCY, TRAEFIK_DURATION, NGINX_DURATION})

# Every sample name the agent keeps; anything else is dropped at parse time.
SAMPLE_NAMES = frozenset(
    COUNTER_FAMILIES | {h + s for h in HISTOGRAM_FAMILIES for s in HISTOGRAM_SUFFIXES}
)
