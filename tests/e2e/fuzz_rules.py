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
from decimal import Decimal
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


# Counts are kept below this, so that no sum of a snapshot's counts for one row passes the 10**12 a
# stored count may reach (the limit is on each count; the sums are refused at storing, with 422).
_SMALL = 10**7
_COUNT_FIELDS = ("delta", "request_delta", "failure_delta", "latency_count", "tls_request_delta",
                 "total_request_delta")


def _small_counts(item: dict[str, Any]) -> None:
    for name in _COUNT_FIELDS:
        if isinstance(item.get(name), int | float):
            item[name] = int(item[name]) % _SMALL
    if isinstance(item.get("latency_sum"), float):
        item["latency_sum"] = min(item["latency_sum"], 1e300)  # a row's sum must stay finite
    for request in item.get("requests", []):
        _small_counts(request)


def _fit_histogram(item: dict[str, Any]) -> None:
    """At most 64 keys, each bound once (``10`` and ``1e1`` are one), ``+Inf`` among them."""
    buckets = item.get("latency_buckets")
    if not isinstance(buckets, dict) or not buckets:
        return
    fitted: dict[str, int] = {}
    bounds: set[Decimal] = set()
    for key, count in buckets.items():
        if key == "+Inf" or len(fitted) >= 63:
            continue
        bound = Decimal(key)
        if bound not in bounds:
            bounds.add(bound)
            fitted[key] = int(count) % _SMALL
    fitted["+Inf"] = int(buckets.get("+Inf", 0)) % _SMALL
    item["latency_buckets"] = fitted


def fit_snapshot(body: dict[str, Any], now: float) -> None:
    """A recent 30 s window of its own; counts whose sums fit; parts at most their wholes; histograms
    with each bound once and ``+Inf``."""
    data = body["slo_data"]
    data["timestamp"] = int(now) - 60 * next(_SNAPSHOT_SLOTS)
    data["window_start"] = data["timestamp"] - 30
    for edge in data.get("edges", []):
        _small_counts(edge)
        edge["failure_delta"] = min(edge.get("failure_delta", 0), edge.get("request_delta", 0))
    for service in data.get("services", []):
        _small_counts(service)
        service["tls_request_delta"] = min(service.get("tls_request_delta", 0),
                                           service.get("total_request_delta", 0))
        _fit_histogram(service)
    for ingress in data.get("ingress", []):
        _small_counts(ingress)
        _fit_histogram(ingress)
