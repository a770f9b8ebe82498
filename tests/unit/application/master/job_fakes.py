"""In-memory fakes of the background jobs' ports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from domain.slo_windows import ROLLING_WINDOWS
from domain.targets import StatusChange, TargetRecord
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals


def workload(requests: int, errors: int = 0, buckets: dict[str, float] | None = None) -> WorkloadTotals:
    return WorkloadTotals(requests=requests, errors=errors, buckets=dict(buckets or {}),
                          latency_count=requests, total_requests=requests)


def backend(requests: int, errors: int = 0, buckets: dict[str, float] | None = None) -> IngressTotals:
    return IngressTotals(
        requests=requests, errors=errors, buckets=dict(buckets or {}), latency_count=requests
    )


@dataclass
class FakeStats:
    """Totals per (cluster, window seconds); records the ranges asked for."""

    workloads: dict[tuple[str, int], dict[tuple[str, str], WorkloadTotals]] = field(default_factory=dict)
    backends: dict[tuple[str, int], dict[str, IngressTotals]] = field(default_factory=dict)
    asked: list[tuple[str, str, int, int]] = field(default_factory=list)
    cluster_ids: list[str] = field(default_factory=lambda: ["c1"])

    def set_workloads(self, cluster: str, window: str, totals: dict[tuple[str, str], WorkloadTotals]) -> None:
        self.workloads[(cluster, ROLLING_WINDOWS[window])] = totals

    def set_backends(self, cluster: str, window: str, totals: dict[str, IngressTotals]) -> None:
        self.backends[(cluster, ROLLING_WINDOWS[window])] = totals

    def clusters(self) -> list[str]:
        return list(self.cluster_ids)

    def covered_seconds(self, cluster_id: str, start: int, end: int) -> float:
        return float(end - start)

    def workload_totals(self, cluster_id: str, start: int, end: int) -> dict[tuple[str, str], WorkloadTotals]:
        self.asked.append(("workloads", cluster_id, start, end))
        return self.workloads.get((cluster_id, end - start), {})

    def edge_totals(
        self, cluster_id: str, start: int, end: int
    ) -> dict[tuple[str, str, str, str], EdgeTotals]:
        return {}

    def ingress_totals(self, cluster_id: str, start: int, end: int) -> dict[str, IngressTotals]:
        self.asked.append(("ingress", cluster_id, start, end))
        return self.backends.get((cluster_id, end - start), {})


@dataclass
class FakeTargets:
    records: list[TargetRecord] = field(default_factory=list)

    def list(self, cluster_id: str | None = None, target_type: str | None = None) -> list[TargetRecord]:
        return [r for r in self.records if cluster_id in (None, r.cluster_id)
                and target_type in (None, r.target_type)]

    def upsert(self, target: TargetRecord) -> TargetRecord:
        self.records.append(target)
        return target


@dataclass
class FakeStatusUpdate:
    store: FakeStatusStore
    cluster_id: str
    locked: bool

    def current(self) -> dict[tuple[str, str], str]:
        return self.store.current(self.cluster_id)

    def record(self, changes: list[StatusChange]) -> None:
        for change in changes:
            self.store.history.append(change)
            key = (change.cluster_id, change.target_type, change.key)
            if change.new_status == "unknown":
                self.store.statuses.pop(key, None)
            else:
                self.store.statuses[key] = change.new_status


@dataclass
class FakeStatusStore:
    statuses: dict[tuple[str, str, str], str] = field(default_factory=dict)
    history: list[StatusChange] = field(default_factory=list)
    routes: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    lock_held_elsewhere: bool = False

    @contextmanager
    def update(self, cluster_id: str) -> Iterator[FakeStatusUpdate]:
        yield FakeStatusUpdate(self, cluster_id, locked=not self.lock_held_elsewhere)

    def current(self, cluster_id: str) -> dict[tuple[str, str], str]:
        return {(t, k): s for (c, t, k), s in self.statuses.items() if c == cluster_id}

    def domains(self, cluster_id: str) -> dict[str, set[str]]:
        return self.routes.get(cluster_id, {})
