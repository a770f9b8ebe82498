"""An agent loop on fake time, a counter growing at RATE/s, a fake master and a real spool."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.unit.application.agent.delivery_fakes import FakeCounterCollector, FakeMasterClient, FakeTime

from adapters.agent_state.state_file import state_document, state_from_document
from adapters.master_client.spool import DiskSpool
from application.agent.cycle import AgentLoop, LoopOptions
from application.agent.send import SendUseCase
from application.ports.delivery import SavedState

RATE = 7  # requests per second counted by the fake counter


class Crash(BaseException):
    """The process dying at a chosen point (not an Exception: nothing in the agent may catch it)."""


class RecordingStore:
    """Keeps each saved state as the JSON object the state file would hold."""

    def __init__(self) -> None:
        self.saved: list[dict[str, Any]] = []

    def load(self) -> SavedState | None:
        return state_from_document(copy.deepcopy(self.saved[-1])) if self.saved else None

    def save(self, state: SavedState) -> None:
        self.saved.append(copy.deepcopy(state_document(state)))


class Rig:
    """One agent: fake time, a counter growing at RATE/s, a fake master, a real spool."""

    def __init__(self, tmp_path: Path, time: FakeTime | None = None, scrape_cost: float = 0.0) -> None:
        self.time = time or FakeTime()
        self.scrape_cost = scrape_cost
        self.master = FakeMasterClient()
        self.spool = DiskSpool(tmp_path / "spool", max_items=1000)
        self.store: Any = RecordingStore()

    def counter(self) -> int:
        return int(self.time.now) * RATE

    def loop(self, cycles: int, interval: float = 10.0, flush_timeout: float = 30.0,
             spool: Any = None, cluster_id: str = "c1", health: Any = None,
             state_max_age: float = 3600.0) -> AgentLoop:
        rig = self

        class Collector(FakeCounterCollector):
            def run(self):  # type: ignore[no-untyped-def]
                result = super().run()
                rig.time.advance(rig.scrape_cost)
                return result

        self.collector = Collector(self.time.monotonic, self.counter)
        self.sender = SendUseCase(self.master, spool if spool is not None else self.spool)
        return AgentLoop(
            self.collector, self.sender,
            LoopOptions(cluster_id=cluster_id, interval=interval, cycles=cycles,
                        flush_timeout=flush_timeout, state_max_age=state_max_age),
            stop=self.time, state_store=self.store, health_check=health,
            monotonic=self.time.monotonic, wall_clock=self.time.wall,
        )
