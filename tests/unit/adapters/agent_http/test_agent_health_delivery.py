"""/healthz over real HTTP while the run loop can neither deliver nor spool, and /metrics'
too_large count; the loop on fake time, a fake master, a real spool made to fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.unit.adapters.agent_http.test_agent_http import samples
from tests.unit.application.agent.delivery_fakes import BrokenSpool, delivered_total
from tests.unit.application.agent.loop_rig import RATE, Rig

from adapters.agent_http.metrics import agent_registry
from adapters.agent_http.server import AgentHttpServer
from application.agent.cycle import AgentLoop

STALE_AFTER = 3600.0  # far beyond these tests: only the delivery rule can fail /healthz


class Agent:
    """A loop with its HTTP server, on a spool that can be broken (a full disk) and mended."""

    def __init__(self, tmp_path: Path) -> None:
        self.rig = Rig(tmp_path)
        self.spool = BrokenSpool(self.rig.spool)
        self.spool.broken = False
        self.loop: AgentLoop = self.rig.loop(cycles=0, interval=10.0, spool=self.spool)
        sender = self.rig.sender
        self.server = AgentHttpServer("127.0.0.1", 0, self.loop.status, sender,
                                      agent_registry(self.loop.status, sender),
                                      stale_after=STALE_AFTER, wall_clock=self.rig.time.wall)

    def cycle(self) -> None:
        self.rig.time.advance(10)
        self.loop.run_cycle()

    def health(self) -> tuple[int, dict[str, object]]:
        response = httpx.get(f"http://127.0.0.1:{self.server.port}/healthz")
        return response.status_code, response.json()

    def metrics(self) -> dict[str, float]:
        return samples(httpx.get(f"http://127.0.0.1:{self.server.port}/metrics").text)


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    agent = Agent(tmp_path)
    agent.server.start()
    agent.loop.start()
    agent.loop.run_cycle()  # the baseline
    try:
        yield agent
    finally:
        agent.server.stop()


def break_both(agent: Agent) -> None:
    agent.rig.master.down = True
    agent.spool.broken = True
    agent.cycle()


def test_healthz_fails_at_once_when_the_master_is_down_and_the_spool_cannot_be_written(
    agent: Agent,
) -> None:
    agent.rig.master.down = True
    agent.cycle()  # master down, spool fine: the snapshot is safe on disk
    assert agent.health()[0] == 200

    agent.spool.broken = True
    agent.cycle()
    code, body = agent.health()
    assert code == 503 and body["ok"] is False
    reason = str(body["reason"])
    assert "can be neither delivered nor spooled" in reason
    assert "HTTP 503" in reason and "No space left on device" in reason


def test_healthz_recovers_as_soon_as_the_spool_works_again(agent: Agent) -> None:
    break_both(agent)
    break_both(agent)
    assert agent.health()[0] == 503
    agent.spool.broken = False
    agent.cycle()  # the master is still down: the backlog is secured on disk
    code, body = agent.health()
    assert code == 200 and body["reason"] is None and body["spool_depth"] == 3


def test_healthz_recovers_as_soon_as_the_master_takes_snapshots_again(agent: Agent) -> None:
    break_both(agent)
    assert agent.health()[0] == 503
    agent.rig.master.down = False
    agent.cycle()  # the spool is still broken; the master takes what memory held
    code, body = agent.health()
    assert code == 200 and body["reason"] is None and body["spool_depth"] == 0
    assert delivered_total(agent.rig.master.taken) == RATE * 20


def test_an_oversize_snapshot_is_dropped_counted_and_the_counters_move_on(agent: Agent) -> None:
    master = agent.rig.master
    agent.cycle()
    master.max_json_bytes = 10
    agent.cycle()  # this interval is too large: dropped, not spooled
    assert len(agent.spool) == 0 and agent.rig.sender.backlog == 0
    # The state moved on past it, and does not keep it for a restart to re-deliver.
    saved = agent.rig.store.saved[-1]
    assert saved["pending"] is None and saved["collect"] == agent.rig.collector.export_state()
    master.max_json_bytes = None
    agent.cycle()
    first, second = master.taken
    # The next snapshot starts where the dropped one ended: its interval alone is lost.
    assert second.slo_data.window_start == first.slo_data.timestamp + 10
    assert delivered_total(master.taken) == RATE * 20
    assert agent.health()[0] == 200  # the agent can deliver: it is healthy
    values = agent.metrics()
    assert values["meshslo_agent_snapshots_total{result=too_large}"] == 1
    assert values["meshslo_agent_snapshots_total{result=sent}"] == 2
    assert values["meshslo_agent_snapshots_total{result=spooled}"] == 0
