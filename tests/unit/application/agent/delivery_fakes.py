"""Fakes for the agent's delivery side: master client, spool failures, collector, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from application.ports.agent import AlreadyStored, DeliveryError, ScrapeError, SnapshotTooLarge
from application.ports.delivery import SpoolError
from domain.agent.stats import CollectStats
from domain.contract import ServiceMetrics, ServiceRequests, SLOData, SLOSnapshot


def make_snapshot(timestamp: int, delta: int = 1, cluster_id: str = "c1", window: int = 30) -> SLOSnapshot:
    service = ServiceMetrics(
        namespace="shop", name="checkout",
        requests=[ServiceRequests(status_code="200", classification="success", delta=delta)],
        total_request_delta=delta,
    )
    return SLOSnapshot(
        cluster_id=cluster_id,
        agent_version="test",
        slo_data=SLOData(timestamp=timestamp, window_start=timestamp - window, services=[service]),
    )


class FakeMasterClient:
    """Records what it took, once per timestamp like the real master (``repeats`` counts
    the re-sends it ignored). ``down`` makes every send a retryable failure;
    ``refuse`` holds timestamps answered with a permanent 4xx, ``overlapping`` those
    answered 409 (the master has the window's seconds from other snapshots),
    ``too_large_at_master`` those answered 413; ``max_json_bytes`` is the client's size
    limit (None: none)."""

    def __init__(self) -> None:
        self.down = False
        self.refuse: set[int] = set()
        self.overlapping: set[int] = set()
        self.taken: list[SLOSnapshot] = []
        self.refused: list[SLOSnapshot] = []
        self.repeats = 0
        self.attempts = 0
        self.on_send: Callable[[SLOSnapshot], None] | None = None
        self.max_json_bytes: int | None = None
        self.too_large_at_master: set[int] = set()

    def check_size(self, snapshot: SLOSnapshot) -> None:
        size, limit = len(snapshot.model_dump_json()), self.max_json_bytes
        if limit is not None and size > limit:
            raise SnapshotTooLarge(f"snapshot is {size} bytes of JSON, over the limit of {limit}")

    def send(self, snapshot: SLOSnapshot) -> None:
        self.check_size(snapshot)
        self.attempts += 1
        if self.on_send is not None:
            self.on_send(snapshot)
        if self.down:
            raise DeliveryError("master unavailable: HTTP 503", retryable=True)
        if snapshot.slo_data.timestamp in self.refuse:
            if snapshot not in self.refused:  # a re-delivery after a restart is refused again
                self.refused.append(snapshot)
            raise DeliveryError("refused: HTTP 422: slo_data.services.0.name: too long", retryable=False)
        if snapshot.slo_data.timestamp in self.too_large_at_master:
            raise SnapshotTooLarge("master refuses the snapshot as too large: HTTP 413")
        if snapshot.slo_data.timestamp in self.overlapping:
            data = snapshot.slo_data
            stored = f"({data.window_start - 5}, {data.timestamp - 5}]"
            raise AlreadyStored(f"HTTP 409: window ({data.window_start}, {data.timestamp}] overlaps the "
                                f"stored window {stored} of cluster c1")
        if snapshot.slo_data.timestamp in {taken.slo_data.timestamp for taken in self.taken}:
            self.repeats += 1  # the real master is idempotent on (cluster, timestamp) too
            return
        self.taken.append(snapshot)

    @property
    def taken_timestamps(self) -> list[int]:
        return [snapshot.slo_data.timestamp for snapshot in self.taken]


class WrappedSpool:
    """A real spool behind a wrapper: subclasses change ``append``/``remove``, the rest is the spool's."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def append(self, snapshot: SLOSnapshot) -> None:
        self.inner.append(snapshot)

    def oldest(self) -> Any:
        return self.inner.oldest()

    def remove(self, item: Any) -> None:
        self.inner.remove(item)

    def __len__(self) -> int:
        return len(self.inner)

    @property
    def dropped(self) -> int:
        return self.inner.dropped

    @property
    def corrupt(self) -> int:
        return self.inner.corrupt


class BrokenSpool(WrappedSpool):
    """A spool on a full disk, for as long as ``broken`` is True, wrapping a real one."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.broken = True

    def append(self, snapshot: SLOSnapshot) -> None:
        if self.broken:
            raise SpoolError("cannot write to spool: [Errno 28] No space left on device")
        self.inner.append(snapshot)


@dataclass
class FakeResult:
    snapshot: SLOSnapshot | None
    stats: CollectStats = field(default_factory=lambda: CollectStats(bytes_read=100))


class FakeCounterCollector:
    """Collect use case over one monotonically growing counter read from ``clock``.

    Each run reads ``reading()`` (the counter's current value) at ``clock()``
    (whole seconds) and emits the increment since the last committed reading,
    like the real use case: a failed scrape changes nothing, the first emits nothing.
    """

    def __init__(self, clock: Callable[[], float], reading: Callable[[], int]) -> None:
        self._clock = clock
        self._reading = reading
        self.fail_next = 0
        self.last: tuple[int, int] | None = None  # (timestamp, value)
        self.runs = 0

    def run(self) -> FakeResult:
        self.runs += 1
        if self.fail_next:
            self.fail_next -= 1
            raise ScrapeError("connection refused")
        timestamp, value = int(self._clock()), self._reading()
        previous = self.last
        self.last = (timestamp, value)
        if previous is None:
            return FakeResult(None)
        delta = value - previous[1]
        service = ServiceMetrics(
            namespace="shop", name="checkout",
            requests=[ServiceRequests(status_code="200", classification="success", delta=delta)],
            total_request_delta=delta,
        )
        data = SLOData(timestamp=timestamp, window_start=previous[0], services=[service])
        snapshot = SLOSnapshot(cluster_id="c1", agent_version="t", slo_data=data)
        return FakeResult(snapshot, CollectStats(bytes_read=100, deltas_emitted=1))

    def export_state(self) -> dict[str, Any]:
        return {"last": list(self.last) if self.last else None}

    @property
    def last_scrape_time(self) -> float | None:
        return float(self.last[0]) if self.last else None

    def restore_state(self, state: dict[str, Any]) -> None:
        last = state["last"]
        self.last = (int(last[0]), int(last[1])) if last else None


class FakeTime:
    """A monotonic and wall clock that only moves when the loop waits (or a test says so)."""

    def __init__(self, start: float = 1_764_000_000.0) -> None:
        self.now = start
        self.stop_at: float | None = None
        self.stopped = False
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    # StopSignal
    def wait(self, timeout: float | None = None) -> bool:
        seconds = timeout or 0.0
        self.waits.append(seconds)
        if self.stop_at is not None and self.now + seconds >= self.stop_at:
            self.now = max(self.now, self.stop_at)
            self.stopped = True
            return True
        self.now += seconds
        return self.stopped

    def is_set(self) -> bool:
        return self.stopped

    def set(self) -> None:
        self.stopped = True


def delivered_total(snapshots: list[SLOSnapshot]) -> int:
    return sum(s.total_request_delta for snapshot in snapshots for s in snapshot.slo_data.services)
