"""The agent → master contract, version 1 (SPEC §3).

Field names are the JSON names on the wire. Every number is an increment over
``(window_start, timestamp]``; latency buckets are cumulative (observations
``<= le``), keyed by the upper bound in milliseconds or ``+Inf``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CONTRACT_VERSION = 1
INF_KEY = "+Inf"

# No real 30 s interval counts more than this for one item (it would be 3e10 requests a second);
# the bound is what lets every stored and queried sum fit 64-bit integers: see
# adapters/storage/ingest_repository.py (MAX_STORED_COUNT) for the arithmetic.
MAX_COUNT = 10**12
# Milliseconds: 10**12 requests of 10**6 ms each. Sums are floats, so this only keeps them far from infinity.
MAX_LATENCY_SUM_MS = 1e18
# Linkerd has 26 bounds, the ingress controllers about a dozen: 64 leaves room for unusual layouts,
# while every read merges each row's buckets and would slow down with each extra key.
MAX_BUCKETS = 64

Delta = Annotated[int, Field(ge=0, le=MAX_COUNT)]
FiniteSum = Annotated[float, Field(ge=0, le=MAX_LATENCY_SUM_MS, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, max_length=253)]
ClusterId = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


_INF_BOUND = Decimal("Infinity")


@lru_cache(maxsize=4096)  # the same few bounds arrive thousands of times per snapshot
def bucket_key_bound(key: str) -> Decimal:
    """The exact bound a bucket key stands for (``10``, ``10.0`` and ``1e1`` are one bound).

    A bucket key is a finite number or ``+Inf``; anything else is refused.
    """
    if key == INF_KEY:
        return _INF_BOUND
    # Plain number text only: Decimal alone would also take " 5 " and "1_0".
    if not _NUMBER_TEXT.fullmatch(key):
        raise ValueError(f"bucket key {key!r} is neither a number nor '+Inf'")
    try:
        bound = Decimal(key)
    except InvalidOperation:
        raise ValueError(f"bucket key {key!r} is neither a number nor '+Inf'") from None
    if not bound.is_finite():
        raise ValueError(f"bucket key {key!r} is neither a number nor '+Inf'")
    return bound


def validate_bucket_key(key: str) -> str:
    """A bucket key is a finite number or ``+Inf``; anything else is refused."""
    bucket_key_bound(key)
    return key


def check_buckets(buckets: dict[str, int]) -> None:
    """At most MAX_BUCKETS keys, each bound once, and ``+Inf`` whenever there are buckets.

    The agent writes every bound in one canonical form (``domain.agent.units``) and
    always ends a histogram with ``+Inf`` (``domain.agent.aggregate``), so none of
    this refuses what it sends. Counts above ``latency_count`` and non-cumulative
    counts are not refused: probe compensation and per-series counter resets
    produce them, and the quantile maths makes buckets monotonic (SPEC §5).
    """
    if not buckets:
        return
    if len(buckets) > MAX_BUCKETS:
        raise ValueError(f"{len(buckets)} bucket keys, more than the limit of {MAX_BUCKETS}")
    seen: dict[Decimal, str] = {}
    for key in buckets:
        bound = bucket_key_bound(key)
        first = seen.setdefault(bound, key)
        if first != key:
            raise ValueError(f"bucket keys {first!r} and {key!r} are the same bound, given twice")
    if INF_KEY not in buckets:
        raise ValueError(f"no {INF_KEY!r} bucket: every histogram with buckets must have one")


def bucket_bound(key: str) -> float:
    """The upper bound a bucket key stands for."""
    return math.inf if key == INF_KEY else float(key)


class _Model(BaseModel):
    # Strict: a string where a number belongs is a wrong type, not something to coerce.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class _Histogram(_Model):
    # maxProperties tells the OpenAPI document's readers; check_buckets enforces it with a clearer message.
    latency_buckets: dict[str, Delta] = Field(
        default_factory=dict, json_schema_extra={"maxProperties": MAX_BUCKETS}
    )
    latency_sum: FiniteSum = 0.0
    latency_count: Delta = 0

    @field_validator("latency_buckets")
    @classmethod
    def _keys_are_bounds(cls, buckets: dict[str, int]) -> dict[str, int]:
        check_buckets(buckets)
        return buckets


class ServiceRequests(_Model):
    status_code: Annotated[str, Field(max_length=16)]
    classification: Literal["success", "failure"]
    delta: Delta


class ServiceMetrics(_Histogram):
    namespace: Name
    name: Name
    requests: list[ServiceRequests] = Field(default_factory=list)
    tls_request_delta: Delta = 0
    total_request_delta: Delta = 0

    @model_validator(mode="after")
    def _tls_is_part_of_total(self) -> ServiceMetrics:
        # SPEC §2.4: tls_request_delta counts those of the total_request_delta requests with tls="true".
        if self.tls_request_delta > self.total_request_delta:
            raise ValueError(
                f"tls_request_delta ({self.tls_request_delta}) must not exceed "
                f"total_request_delta ({self.total_request_delta})"
            )
        return self


class EdgeMetrics(_Model):
    src_ns: Name
    src_name: Name
    dst_ns: Name
    dst_name: Name
    request_delta: Delta = 0
    failure_delta: Delta = 0
    latency_sum: FiniteSum = 0.0
    latency_count: Delta = 0

    @model_validator(mode="after")
    def _failures_are_part_of_requests(self) -> EdgeMetrics:
        # SPEC §2.4: failure_delta counts those of the request_delta requests classified as failures.
        if self.failure_delta > self.request_delta:
            raise ValueError(
                f"failure_delta ({self.failure_delta}) must not exceed request_delta ({self.request_delta})"
            )
        return self


class IngressRequests(_Model):
    code: Annotated[str, Field(max_length=16)]
    method: Annotated[str, Field(max_length=32)]
    delta: Delta


class IngressMetrics(_Histogram):
    service_key: Name
    requests: list[IngressRequests] = Field(default_factory=list)


class Route(_Model):
    name: Annotated[str, Field(max_length=253)] = ""
    namespace: Annotated[str, Field(max_length=253)] = ""
    domain: Name
    path_prefix: Annotated[str, Field(min_length=1, max_length=2048)] = "/"
    service_key: Name
    service_name: Annotated[str, Field(max_length=253)] = ""
    service_port: Annotated[int, Field(ge=0, le=65535)] = 0
    tls: bool = False


def first_route_by_key(routes: Iterable[Route]) -> dict[str, Route]:
    """For each backend, its route with the smallest (domain, path): a stable, documented choice."""
    chosen: dict[str, Route] = {}
    for route in routes:
        current = chosen.get(route.service_key)
        if current is None or (route.domain, route.path_prefix) < (current.domain, current.path_prefix):
            chosen[route.service_key] = route
    return chosen


class SLOData(_Model):
    timestamp: Annotated[int, Field(gt=0)]
    window_start: Annotated[int, Field(ge=0)]
    services: list[ServiceMetrics] = Field(default_factory=list)
    edges: list[EdgeMetrics] = Field(default_factory=list)
    ingress: list[IngressMetrics] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)

    @model_validator(mode="after")
    def _window_is_forward(self) -> SLOData:
        if self.window_start >= self.timestamp:
            raise ValueError(
                f"window_start ({self.window_start}) must be before timestamp ({self.timestamp})"
            )
        return self

    @property
    def window_seconds(self) -> int:
        return self.timestamp - self.window_start


class SLOSnapshot(_Model):
    cluster_id: ClusterId
    agent_version: Annotated[str, Field(max_length=64)] = ""
    slo_data: SLOData


# A snapshot's end may be this far ahead of the master's clock (clocks of agents and master drift).
MAX_FUTURE_SECONDS = 600
# The longest window: an agent whose scrapes failed for a day, or that restarts from a day-old state
# file, starts again rather than spreading a day's increments over one snapshot (SPEC §2.3).
MAX_WINDOW_SECONDS = 24 * 3600


def window_problem(slo_data: SLOData, now: float, oldest_age: float) -> str | None:
    """Why the snapshot's window cannot be accepted at ``now``, or None when it can.

    ``oldest_age`` is the raw retention: an older snapshot would be stored only for the
    cleaner to remove it, and could no longer be rolled up into its hour.
    """
    end, start = slo_data.timestamp, slo_data.window_start
    if end > now + MAX_FUTURE_SECONDS:
        return (
            f"slo_data.timestamp ({end}) is {end - int(now)} s ahead of the master's clock ({int(now)}); "
            f"the limit is {MAX_FUTURE_SECONDS} s"
        )
    if end < now - oldest_age:
        return (
            f"slo_data.timestamp ({end}) is older than the raw retention of {oldest_age:g} s "
            f"(master's clock {int(now)})"
        )
    if end - start > MAX_WINDOW_SECONDS:
        return (
            f"slo_data.window_start ({start}): the window of {end - start} s is longer than the limit of "
            f"{MAX_WINDOW_SECONDS} s"
        )
    return None
