"""The master's rules that an OpenAPI document cannot state, for the fuzzer's schema-valid cases.

JSON Schema describes each value on its own: it cannot say "start before end", "time_range or
start/end, not both", "a timestamp within ten minutes of the master's clock", "failures at most the
requests", or "a key this cluster reported". Every operation's description states these rules and
the master refuses a request breaking them with 422; schemathesis would count each such refusal of
a schema-valid (positive) case as a failure. So the positive cases are moved into the space the
rules allow before they are sent, keeping every value the generator drew that the rules do not
touch. Negative cases are left exactly as generated: the master must refuse all of them.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from adapters.api.params import InvalidParameter, resolve_window

HOUR = 3600
_WINDOW_PARAMS = ("time_range", "start", "end")
# Each stored positive snapshot gets its own 30 s window, one minute apart, so that none overlaps
# another of its cluster (the master refuses overlaps with 409, which would hide the storing).
_SNAPSHOT_SLOTS = itertools.count(1)


def fit_window(query: dict[str, Any], now: float) -> None:
    """time_range or start/end; end only with start; start before end, at most 90 days apart."""
    if query.get("time_range") is not None:
        query.pop("start", None)
        query.pop("end", None)
    if query.get("since") is not None and any(query.get(name) is not None for name in _WINDOW_PARAMS):
        query.pop("since")
    if query.get("start") is None:
        query.pop("end", None)
    try:
        resolve_window(query.get("time_range"), query.get("start"), query.get("end"), now)
    except InvalidParameter:
        query["start"], query["end"] = str(int(now) - HOUR), str(int(now))


def fit_target(body: dict[str, Any], reported: dict[str, str]) -> None:
    """A key the cluster reported (else 422 by design: a target for nothing is a typo); latency
    threshold and target together; at least one objective."""
    body["key"] = reported[body.get("target_type", "service")]
    if (body.get("latency_threshold_ms") is None) != (body.get("latency_target") is None):
        body["latency_threshold_ms"] = body["latency_target"] = None
    if body.get("availability_target") is None and body.get("latency_target") is None:
        body["availability_target"] = 99.0


def _fit_histogram(item: dict[str, Any]) -> None:
    buckets = item.get("latency_buckets")
    if not isinstance(buckets, dict) or not buckets:
        return
    by_bound: dict[float, tuple[str, int]] = {}
    for key, count in buckets.items():
        bound = math.inf if key == "+Inf" else float(key)
        if math.isfinite(bound) or key == "+Inf":  # "1e999" is a number's text, yet no finite bound
            by_bound.setdefault(bound, (key, count))
    ordered = sorted(by_bound.items())[:63]
    # Cumulative: each bound counts at least what the ones below it do; +Inf counts them all.
    running = 0
    fitted: dict[str, int] = {}
    for bound, (key, count) in ordered:
        if bound == math.inf:
            continue
        running = max(running, count)
        fitted[key] = running
    fitted["+Inf"] = max(running, item.get("latency_count", 0))
    item["latency_buckets"] = fitted
    item["latency_count"] = fitted["+Inf"]


def fit_snapshot(body: dict[str, Any], now: float) -> None:
    """A recent 30 s window of its own; parts at most their wholes; histograms cumulative with +Inf."""
    data = body["slo_data"]
    data["timestamp"] = int(now) - 60 * next(_SNAPSHOT_SLOTS)
    data["window_start"] = data["timestamp"] - 30
    for edge in data.get("edges", []):
        edge["failure_delta"] = min(edge.get("failure_delta", 0), edge.get("request_delta", 0))
    for service in data.get("services", []):
        service["tls_request_delta"] = min(service.get("tls_request_delta", 0),
                                           service.get("total_request_delta", 0))
        _fit_histogram(service)
    for ingress in data.get("ingress", []):
        _fit_histogram(ingress)
