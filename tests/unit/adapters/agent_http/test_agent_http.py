"""The agent's /healthz and /metrics over real HTTP on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.unit.application.agent.delivery_fakes import FakeMasterClient, make_snapshot

from adapters.agent_http.metrics import agent_registry
from adapters.agent_http.server import AgentHttpServer
from adapters.master_client.spool import DiskSpool
from application.agent.send import SendUseCase
from application.agent.status import AgentStatus
from domain.agent.stats import CollectStats


class Clock:
    now = 1_764_000_000.0

    def __call__(self) -> float:
        return self.now


Rig = tuple[AgentHttpServer, AgentStatus, SendUseCase, FakeMasterClient, Clock]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    status = AgentStatus(started_at=Clock.now)
    master = FakeMasterClient()
    sender = SendUseCase(master, DiskSpool(tmp_path, max_items=2))
    clock = Clock()
    server = AgentHttpServer("127.0.0.1", 0, status, sender, agent_registry(status, sender),
                             stale_after=90.0, wall_clock=clock)
    server.start()
    try:
        yield server, status, sender, master, clock
    finally:
        server.stop()


def samples(text: str) -> dict[str, float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def test_healthz_before_any_cycle_is_ok(rig: Rig) -> None:
    server = rig[0]
    response = httpx.get(f"http://127.0.0.1:{server.port}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["spool_depth"] == 0 and body["last_success"] is None


def test_healthz_turns_503_when_success_is_stale_and_reports_spool_depth(rig: Rig) -> None:
    server, status, sender, master, clock = rig
    status.last_cycle_ok, status.last_success_at = True, clock.now
    master.down = True
    sender.deliver(make_snapshot(100))
    status.collector_healthy = False
    body = httpx.get(f"http://127.0.0.1:{server.port}/healthz").json()
    assert body["ok"] is True and body["spool_depth"] == 1 and body["collector_healthy"] is False

    clock.now += 91
    status.last_cycle_ok, status.last_error = False, "scrape failed: refused"
    response = httpx.get(f"http://127.0.0.1:{server.port}/healthz")
    assert response.status_code == 503
    assert response.json()["last_error"] == "scrape failed: refused"


def test_metrics_expose_the_loops_figures(rig: Rig) -> None:
    server, status, sender, master, clock = rig
    status.cycles, status.scrape_failures = 5, 1
    status.scrape_seconds_sum, status.scrape_seconds_count = 2.5, 4
    status.last_scrape_bytes = 12345
    status.collect = CollectStats(bytes_read=50000, samples=800, malformed_lines=3,
                                  skipped={"no_workload": 40}, deltas_emitted=700, resets=2)
    status.last_success_at = clock.now
    sender.deliver(make_snapshot(100))
    master.overlapping = {110}
    sender.deliver(make_snapshot(110))
    master.down = True
    for ts in (130, 160, 190):
        sender.deliver(make_snapshot(ts))  # three spooled into a spool of two: one dropped
    response = httpx.get(f"http://127.0.0.1:{server.port}/metrics")
    assert response.status_code == 200
    values = samples(response.text)
    assert values["meshslo_agent_cycles_total"] == 5
    assert values["meshslo_agent_scrape_failures_total"] == 1
    assert values["meshslo_agent_scrape_duration_seconds_sum"] == 2.5
    assert values["meshslo_agent_scrape_duration_seconds_count"] == 4
    assert values["meshslo_agent_last_scrape_size_bytes"] == 12345
    assert values["meshslo_agent_series_seen_total"] == 800
    assert values["meshslo_agent_series_malformed_total"] == 3
    assert values["meshslo_agent_series_dropped_total"] == 40
    assert values["meshslo_agent_deltas_emitted_total"] == 700
    assert values["meshslo_agent_counter_resets_total"] == 2
    assert values["meshslo_agent_snapshots_total{result=sent}"] == 1
    assert values["meshslo_agent_snapshots_total{result=failed}"] == 3
    assert values["meshslo_agent_snapshots_total{result=spooled}"] == 3
    assert values["meshslo_agent_snapshots_total{result=dropped}"] == 1
    assert values["meshslo_agent_snapshots_total{result=already_stored}"] == 1
    assert values["meshslo_agent_spool_depth"] == 2
    assert values["meshslo_agent_last_success_timestamp_seconds"] == clock.now


def test_unknown_path_is_404(rig: Rig) -> None:
    assert httpx.get(f"http://127.0.0.1:{rig[0].port}/nope").status_code == 404
