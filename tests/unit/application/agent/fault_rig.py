"""A whole agent in one process, and its faults, for the double-fault tests.

The agent is the real one from the scrape on: an exposition rendered as text and read by
the real parser and collect use case, the real run loop and delivery, the real state file
and spool on disk. Each of its peers is a thin fault injector around a real part:

- ``ExpositionSource``: counters of a few pods that grow, reset (a process restart), vanish
  and come back; a scrape may fail (refused, a junk body: ``ScrapeError``).
- ``InProcessMaster``: the master's real ingest (``IngestUseCase`` on ``SqlIngestRepository``),
  so duplicates and 409s follow the real rules; the master may be down, or store a snapshot
  and lose the answer.
- ``FaultyStateFile`` / ``FaultySpool``: the real files, on a disk that may be full.

"SIGKILL" is ``Crash``, a BaseException nothing in the agent catches, raised at a drawn
point (``CRASH_POINTS``); the process is then thrown away and a new one built from what is
on disk (``AgentProcess``), as a supervisor restarting the pod would.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.unit.application.agent.delivery_fakes import FakeTime, WrappedSpool
from tests.unit.application.agent.loop_rig import Crash

from adapters.agent_state.state_file import StateFile
from adapters.exposition.parser import ExpositionParser
from adapters.master_client.snapshot_json import snapshot_json
from adapters.master_client.spool import DiskSpool
from application.agent.collect import CollectOptions, CollectUseCase
from application.agent.cycle import AgentLoop, LoopOptions
from application.agent.send import SendUseCase
from application.master.ingest import IngestUseCase
from application.ports.agent import AlreadyStored, DeliveryError, MasterClient, ScrapeError
from application.ports.delivery import SavedState, SpooledSnapshot, SpoolError
from application.ports.ingest import Window, WindowOverlap
from domain.contract import SLOSnapshot
from domain.series import Scrape

STEP = 30  # seconds between two states of the exposition, and the agent's interval
CRASH_POINTS = (
    "scrape",  # while the scrape is read
    "state.before_save", "state.after_save",
    "master.before_store", "master.after_store",  # after: stored, the answer never arrives
    "spool.before_append", "spool.after_append",
    "spool.before_remove", "spool.after_remove",
)
_SERIES = (
    'otel_response_total{{namespace="{namespace}",deployment="{workload}",pod="{pod}",'
    'direction="inbound",status_code="200",classification="success",tls="true",'
    'route_name="default",srv_port="8080"}} {value}'
)


@dataclass
class Faults:
    """What goes wrong next; every injector reads it. ``crash_at``: (point, hits to let pass)."""

    master_down: bool = False
    state_disk_full: bool = False
    spool_disk_full: bool = False
    scrape_failures: list[str] = field(default_factory=list)  # "refused" / "junk", one per scrape
    lost_answers: int = 0
    crash_at: tuple[str, int] | None = None

    def hit(self, point: str) -> None:
        if self.crash_at is None or self.crash_at[0] != point:
            return
        if self.crash_at[1] > 0:
            self.crash_at = (point, self.crash_at[1] - 1)
            return
        self.crash_at = None
        raise Crash(point)

    def calm(self) -> None:
        self.master_down = self.state_disk_full = self.spool_disk_full = False
        self.scrape_failures.clear()
        self.lost_answers = 0
        self.crash_at = None


@dataclass
class Pod:
    namespace: str
    workload: str
    name: str
    value: int = 0
    present: bool = True

    @property
    def workload_key(self) -> tuple[str, str]:
        return self.namespace, self.workload


class Exposition:
    """The counters behind the endpoint, one state per step; ``frames[t]`` is what a scrape
    at step t reads (None: the series is absent), ``increments[t]`` what each pod really
    counted during step t (the truth)."""

    def __init__(self, pods: list[Pod], start: int) -> None:
        self.pods = pods
        self.start = start
        self.frames: list[list[int | None]] = [[pod.value for pod in pods]]
        self.increments: list[list[int]] = [[0] * len(pods)]

    @property
    def step_now(self) -> int:
        return len(self.frames) - 1

    def time_of(self, step: int) -> int:
        return self.start + STEP * step

    def step_of(self, timestamp: int) -> int:
        step, rest = divmod(timestamp - self.start, STEP)
        assert rest == 0, f"{timestamp} is not a scrape time"
        return step

    def advance(self, growth: list[int], resets: set[int], gone: set[int], back: set[int]) -> None:
        """One step: pods vanish or come back (a new process, from 0), restart, then count."""
        counted = []
        for index, pod in enumerate(self.pods):
            if index in gone:
                pod.present = False
            elif index in back and not pod.present:
                pod.present, pod.value = True, 0
            if index in resets:
                pod.value = 0
            increment = growth[index] if pod.present else 0
            pod.value += increment
            counted.append(increment)
        self.frames.append([pod.value if pod.present else None for pod in self.pods])
        self.increments.append(counted)

    def text(self) -> bytes:
        lines = ["# TYPE otel_response_total counter"]
        lines += [_SERIES.format(namespace=p.namespace, workload=p.workload, pod=p.name, value=p.value)
                  for p in self.pods if p.present]
        return ("\n".join(lines) + "\n").encode()

    def truth(self, after: int, until: int) -> dict[tuple[str, str], int]:
        """What each workload really counted in steps (after, until]."""
        totals: dict[tuple[str, str], int] = {}
        for step in range(after + 1, until + 1):
            for pod, counted in zip(self.pods, self.increments[step], strict=True):
                totals[pod.workload_key] = totals.get(pod.workload_key, 0) + counted
        return totals

    def delta_rule(self, after: int, until: int) -> dict[tuple[str, str], int]:
        """What SPEC §2.3 makes of a window from the scrapes at both ends alone: a series
        must be in both (else first sighting / forgotten), and a lower value is a restart."""
        totals: dict[tuple[str, str], int] = {}
        for pod, before, now in zip(self.pods, self.frames[after], self.frames[until], strict=True):
            if before is not None and now is not None:
                totals[pod.workload_key] = totals.get(pod.workload_key, 0) + (
                    now - before if now >= before else now)
        return totals


class ExpositionSource:
    """``MetricsSource`` over the exposition's current state, through the real parser."""

    def __init__(self, exposition: Exposition, faults: Faults, clock: Callable[[], float]) -> None:
        self._exposition = exposition
        self._faults = faults
        self._clock = clock
        self._parser = ExpositionParser()
        self.scraped_steps: list[int] = []  # steps of the scrapes that succeeded

    def scrape(self) -> Scrape:
        self._faults.hit("scrape")
        if self._faults.scrape_failures:
            kind = self._faults.scrape_failures.pop(0)
            raise ScrapeError("connection refused" if kind == "refused" else "body is not an exposition")
        scrape = self._parser.parse([self._exposition.text()], timestamp=self._clock())
        self.scraped_steps.append(self._exposition.step_now)
        return scrape

    def healthy(self) -> bool:
        return True


class NoRoutes:
    def routes(self) -> list[Any]:
        return []


class InProcessMaster:
    """The master's real ingest behind a wire it may drop; 409s become ``AlreadyStored``."""

    def __init__(self, ingest: IngestUseCase, faults: Faults) -> None:
        self._ingest = ingest
        self._faults = faults
        self.refused: list[Window] = []  # every 409 answered, in order

    def check_size(self, snapshot: SLOSnapshot) -> None:
        """No size limit here: this rig's snapshots are small (size limits: test_send_limits.py)."""

    def send(self, snapshot: SLOSnapshot) -> None:
        self._faults.hit("master.before_store")
        if self._faults.master_down:
            raise DeliveryError("master unavailable: HTTP 503", retryable=True)
        received = SLOSnapshot.model_validate_json(snapshot_json(snapshot))  # what the wire carries
        try:
            self._ingest.ingest(received)
        except WindowOverlap as error:
            self.refused.append(error.window)
            raise AlreadyStored(f"HTTP 409: {error}") from None
        self._faults.hit("master.after_store")
        if self._faults.lost_answers:
            self._faults.lost_answers -= 1
            raise DeliveryError("master unavailable: timed out (ReadTimeout)", retryable=True)


class FaultyStateFile:
    """The real state file on a disk that may be full (save raises ENOSPC as the OS would)."""

    def __init__(self, path: Path, faults: Faults) -> None:
        self._inner = StateFile(path)
        self._faults = faults
        self.loaded_nothing: bool | None = None  # after load(): whether there was no state

    def load(self) -> SavedState | None:
        state = self._inner.load()
        self.loaded_nothing = state is None
        return state

    def save(self, state: SavedState) -> None:
        self._faults.hit("state.before_save")
        if self._faults.state_disk_full:
            raise OSError(errno.ENOSPC, "No space left on device", str(self._inner.path))
        self._inner.save(state)
        self._faults.hit("state.after_save")


class FaultySpool(WrappedSpool):
    """The real spool on a disk that may be full."""

    def __init__(self, directory: Path, faults: Faults) -> None:
        super().__init__(DiskSpool(directory, max_items=10_000))
        self._faults = faults

    def append(self, snapshot: SLOSnapshot) -> None:
        self._faults.hit("spool.before_append")
        if self._faults.spool_disk_full:
            full = "[Errno 28] No space left on device"
            raise SpoolError(f"cannot write to spool {self.inner.directory}: {full}")
        self.inner.append(snapshot)
        self._faults.hit("spool.after_append")

    def remove(self, item: SpooledSnapshot) -> None:
        self._faults.hit("spool.before_remove")
        self.inner.remove(item)
        self._faults.hit("spool.after_remove")


class AgentProcess:
    """One run of the agent on the state file and spool directory in ``workdir``."""

    def __init__(self, workdir: Path, cluster_id: str, exposition: Exposition, client: MasterClient,
                 faults: Faults, time: FakeTime) -> None:
        self.source = ExpositionSource(exposition, faults, time.wall)
        self.state = FaultyStateFile(workdir / "state", faults)
        self.spool = FaultySpool(workdir / "spool", faults)
        collector = CollectUseCase(self.source, NoRoutes(), CollectOptions(cluster_id=cluster_id),
                                   clock=time.wall, sleep=time.advance)
        self.sender = SendUseCase(client, self.spool)
        self.loop = AgentLoop(
            collector, self.sender, LoopOptions(cluster_id=cluster_id, interval=STEP, flush_timeout=5 * STEP),
            stop=time, state_store=self.state, monotonic=time.monotonic, wall_clock=time.wall,
        )

    def die(self) -> None:
        """What the OS does for a killed process: its lock on the spool directory goes."""
        self.spool.inner.close()
