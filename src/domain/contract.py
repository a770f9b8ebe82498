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

Delta = Annotated[int, Field(ge=0)]
FiniteSum = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1, max_length=253)]
ClusterId = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


@lru_cache(maxsize=4096)  # the same few bounds arrive thousands of times per snapshot
def validate_bucket_key(key: str) -> str:
    """A bucket key is a finite number or ``+Inf``; anything else is refused."""
    if key == INF_KEY:
        return key
    # Plain number text only: Decimal alone would also take " 5 " and "1_0".
    if not _NUMBER_TEXT.fullmatch(key):
        raise ValueError(f"bucket key {key!r} is neither a number nor '+Inf'")
    try:
        bound = Decimal(key)
    except InvalidOperation:
        raise ValueError(f"bucket key {key!r} is neither a number nor '+Inf'") from None
    if not bound.is_finite():
        raise ValueError(f"bucket key {key!r} is neither a number nor '+Inf'")
    return key


def bucket_bound(key: str) -> float:
    """The upper bound a bucket key stands for."""
    return math.inf if key == INF_KEY else float(key)


class _Model(BaseModel):
    # Strict: a string where a number belongs is a wrong type, not something to coerce.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class _Histogram(_Model):
    latency_buckets: dict[str, Delta] = Field(default_factory=dict)
    latency_sum: FiniteSum = 0.0
    latency_count: Delta = 0

    @field_validator("latency_buckets")
    @classmethod
    def _keys_are_bounds(cls, buckets: dict[str, int]) -> dict[str, int]:
        for key in buckets:
            validate_bucket_key(key)
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


class EdgeMetrics(_Model):
    src_ns: Name
    src_name: Name
    dst_ns: Name
    dst_name: Name
    request_delta: Delta = 0
    failure_delta: Delta = 0
    latency_sum: FiniteSum = 0.0
    latency_count: Delta = 0


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
