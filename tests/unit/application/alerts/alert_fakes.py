"""In-memory fakes of the alerting ports and of the key traffic reader."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from application.ports.alerts import Notification, NotificationFailed, ObjectiveGauge
from domain.alerts import Alert, AlertKey
from domain.key_traffic import KeyTraffic
from domain.rollup import WorkloadKey
from domain.totals import IngressTotals, WorkloadTotals


def workload(requests: int, errors: int = 0, buckets: dict[str, float] | None = None) -> WorkloadTotals:
    return WorkloadTotals(requests=requests, errors=errors, buckets=dict(buckets or {}),
                          latency_count=requests, total_requests=requests)


@dataclass
class FakeTraffic:
    """Traffic per window length (seconds): ``by_length[3600] = {("shop", "cart"): totals}``.

    A length without an entry falls back to ``default`` (the same totals in every window).
    """

    by_length: dict[int, dict[WorkloadKey, WorkloadTotals]] = field(default_factory=dict)
    default: dict[WorkloadKey, WorkloadTotals] = field(default_factory=dict)
    backends: dict[str, IngressTotals] = field(default_factory=dict)
    routes: dict[str, set[str]] = field(default_factory=dict)
    cluster_ids: list[str] = field(default_factory=lambda: ["c1"])
    asked: list[tuple[int, int]] = field(default_factory=list)

    def clusters(self) -> list[str]:
        return list(self.cluster_ids)

    def traffic(self, cluster_id: str, start: int, end: int) -> KeyTraffic:
        self.asked.append((start, end))
        workloads = self.by_length.get(end - start, self.default)
        return KeyTraffic(workloads, self.backends, self.routes)


@dataclass
class FakeRound:
    store: FakeAlertStore
    cluster_id: str
    taken: bool

    def alerts(self) -> dict[AlertKey, Alert]:
        return {k: a for k, a in self.store.rows.items() if k.cluster_id == self.cluster_id}

    def save(self, alerts: Iterable[Alert]) -> None:
        assert self.taken, "a round not taken must not write"
        for alert in alerts:
            self.store.rows[alert.id] = alert
        self.store.saves += 1


@dataclass
class FakeAlertStore:
    rows: dict[AlertKey, Alert] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    held_elsewhere: bool = False
    saves: int = 0

    @contextmanager
    def round(self, cluster_id: str, round_number: int) -> Iterator[FakeRound]:
        taken = not self.held_elsewhere and self.done.get(cluster_id, -1) < round_number
        held = FakeRound(self, cluster_id, taken)
        yield held
        if taken:
            self.done[cluster_id] = round_number

    def listing(self, state: str | None = None, cluster_id: str | None = None,
                target_type: str | None = None, key: str | None = None) -> list[Alert]:
        found = [a for a in self.rows.values()
                 if state in (None, a.state) and cluster_id in (None, a.id.cluster_id)
                 and target_type in (None, a.id.target_type) and key in (None, a.id.key)]
        return sorted(found, key=lambda a: a.started_at, reverse=True)

    def delete_resolved_before(self, timestamp: int) -> int:
        old = [k for k, a in self.rows.items() if a.resolved_at is not None and a.resolved_at < timestamp]
        for k in old:
            del self.rows[k]
        return len(old)


@dataclass
class FakeNotifier:
    receiver: str = "alertmanager"
    down: bool = False
    sent: list[list[Notification]] = field(default_factory=list)

    def send(self, notifications: Sequence[Notification]) -> None:
        if self.down:
            raise NotificationFailed("connection refused")
        self.sent.append(list(notifications))


@dataclass
class FakeAlertMetrics:
    outcomes: list[tuple[str, str]] = field(default_factory=list)
    gauges: list[ObjectiveGauge] = field(default_factory=list)
    firing: dict[str, int] = field(default_factory=dict)

    def notification(self, receiver: str, outcome: str) -> None:
        self.outcomes.append((receiver, outcome))

    def evaluated(self, gauges: Sequence[ObjectiveGauge], firing: dict[str, int]) -> None:
        self.gauges = list(gauges)
        self.firing = dict(firing)
