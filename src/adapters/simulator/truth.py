"""Ground truth: the exact increments the model produced, step by step.

Only what the agent is meant to count is recorded (inbound traffic of
workloads outside the excluded namespaces, minus probes and the proxy admin
port; outbound calls to a workload; every ingress backend). Truth between two
scrapes ``A`` and ``B`` is the sum of the steps ``A+1 … B``: the scrape ``A``
is the agent's baseline.

Latency: workload buckets and counts exclude kubelet probes (the agent's
probe compensation removes them, and they all sit in the lowest bucket);
``latency_sum`` is the histograms' ``_sum`` increase, which includes the
probes' time because nothing can separate it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.contract import INF_KEY
from domain.histogram import format_bound

Key = tuple[str, ...]


@dataclass(slots=True)
class StepTruth:
    """Increments of one step, keyed flat so that windows add up cheaply.

    ``keys`` is shared by every step of a model: each step's dictionary then
    points at the same key tuples instead of holding copies of its own.
    """

    keys: dict[Key, Key] = field(default_factory=dict)
    counts: dict[Key, float] = field(default_factory=dict)

    def add(self, key: Key, amount: float = 1) -> None:
        key = self.keys.setdefault(key, key)
        self.counts[key] = self.counts.get(key, 0) + amount


def _cumulative(per_bucket: dict[str, int], keys: Iterable[str]) -> dict[str, int]:
    out, running = {}, 0
    for key in keys:
        running += per_bucket.get(key, 0)
        out[key] = running
    return out


@dataclass
class Truth:
    from_step: int
    to_step: int
    workloads: dict[str, dict[str, Any]]
    edges: dict[str, dict[str, Any]]
    backends: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"from_step": self.from_step, "to_step": self.to_step, "workloads": self.workloads,
                "edges": self.edges, "backends": self.backends}


def summarise(steps: Iterable[StepTruth], from_step: int, to_step: int,
              bucket_keys: dict[str, list[str]]) -> Truth:
    """Add steps up into per-workload, per-edge and per-backend figures.

    ``bucket_keys`` lists every bucket key (ascending) per latency scale
    (``"linkerd"``, ``"traefik"``, ``"nginx"``) so that every bound appears.
    """
    total: dict[Key, float] = defaultdict(float)
    for step in steps:
        for key, amount in step.counts.items():
            total[key] += amount

    workloads: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}
    backends: dict[str, dict[str, Any]] = {}
    buckets: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    scales: dict[tuple[str, str], str] = {}

    def workload(wid: str) -> dict[str, Any]:
        return workloads.setdefault(wid, {"total": 0, "errors": 0, "tls": 0, "requests": {},
                                          "latency_sum": 0.0, "latency_count": 0})

    def edge(eid: str) -> dict[str, Any]:
        return edges.setdefault(eid, {"requests": 0, "failures": 0, "latency_sum": 0.0, "latency_count": 0})

    def backend(bid: str) -> dict[str, Any]:
        return backends.setdefault(bid, {"total": 0, "errors": 0, "requests": {},
                                         "latency_sum": 0.0, "latency_count": 0})

    for key, amount in sorted(total.items()):
        kind, ident, what, *rest = key
        if kind == "w":
            item = workload(ident)
            if what == "req":
                status_code, classification, tls = rest
                item["total"] += int(amount)
                item["tls"] += int(amount) if tls == "true" else 0
                item["errors"] += int(amount) if classification == "failure" else 0
                label = f"{status_code}|{classification}"
                item["requests"][label] = item["requests"].get(label, 0) + int(amount)
            elif what == "bucket":
                buckets[("w", ident)][rest[0]] = int(amount)
                scales[("w", ident)] = "linkerd"
                item["latency_count"] += int(amount)
            elif what == "sum":
                item["latency_sum"] += amount
        elif kind == "e":
            item = edge(ident)
            if what == "req":
                item["requests"] += int(amount)
            elif what == "fail":
                item["failures"] += int(amount)
            elif what == "sum":
                item["latency_sum"] += amount
            elif what == "count":
                item["latency_count"] += int(amount)
        elif kind == "b":
            item = backend(ident)
            if what == "req":
                code, method = rest
                item["total"] += int(amount)
                item["errors"] += int(amount) if code[:1] == "5" else 0
                label = f"{code}|{method}"
                item["requests"][label] = item["requests"].get(label, 0) + int(amount)
            elif what == "bucket":
                scale, bound = rest
                buckets[("b", ident)][bound] = int(amount)
                scales[("b", ident)] = scale
                item["latency_count"] += int(amount)
            elif what == "sum":
                item["latency_sum"] += amount

    for (kind, ident), per_bucket in buckets.items():
        keys = bucket_keys[scales[(kind, ident)]]
        target = workloads[ident] if kind == "w" else backends[ident]
        target["latency_buckets"] = _cumulative(per_bucket, keys)
    for item in (*workloads.values(), *backends.values()):
        item.setdefault("latency_buckets", {})
    return Truth(from_step, to_step, workloads, edges, backends)


def truth_between(
    kept: Sequence[tuple[int, StepTruth]],
    latest: int,
    first_observed: int | None,
    last_observed: int | None,
    keys: dict[str, list[str]],
    from_step: int | None = None,
    to_step: int | None = None,
) -> Truth:
    """Exact increments of the kept steps ``from_step+1 … to_step``.

    Defaults: from the first scrape the client received (its baseline), or the
    oldest step still kept, to the last scrape it received.
    """
    oldest = kept[0][0] if kept else latest + 1
    if from_step is None and first_observed is not None:
        from_step = max(first_observed, oldest - 1)
    start = from_step
    end = last_observed if to_step is None else to_step
    if start is None or end is None:
        start = end = latest
    if end < start:
        raise ValueError(f"to_step ({end}) is before from_step ({start})")
    if end > latest:
        raise ValueError(f"to_step ({end}) is beyond the latest step ({latest})")
    if start + 1 < oldest and end > start:
        raise ValueError(f"steps before {oldest} are no longer kept")
    return summarise((t for step, t in kept if start < step <= end), start, end, keys)


def linkerd_bucket_keys(bounds_ms: Iterable[float]) -> list[str]:
    return [format_bound(float(b)) for b in sorted(bounds_ms)] + [INF_KEY]


