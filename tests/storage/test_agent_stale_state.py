"""Issue #12 row 5: ``--state-file`` on a full disk, then kill -9 and a restart from the old state.

The agent keeps delivering while its state file cannot be written, so the state on disk
grows old. Killed and restarted, it resumes from that old state, and its first interval
repeats seconds the master already has. The master (real API, real database) refuses that
window (409) and the agent takes the refusal as "already delivered": the master never
counts more than the truth, and what is lost is exactly the seconds from the last interval
delivered before the kill to the first scrape after the restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.unit.application.agent.delivery_fakes import FakeTime
from tests.unit.application.agent.fault_rig import STEP, AgentProcess, Exposition, Faults, Pod

from adapters.api.app import create_app
from adapters.master_client.http_client import HttpMasterClient, RetryPolicy
from adapters.storage import schema
from adapters.storage.engine import make_engine
from entrypoints.master_container import MasterContainer
from entrypoints.master_settings import MasterSettings

CLUSTER = "prod-eu-1"
GROWTH = [7, 11, 5]  # requests per step of each pod


@pytest.fixture
def time() -> FakeTime:
    return FakeTime(start=1_764_000_000.0)


@pytest.fixture
def master(database_url: str, time: FakeTime) -> Iterator[TestClient]:
    container = MasterContainer(settings=MasterSettings(database_url=database_url))
    container.clock.override(providers.Object(time.wall))
    container.jobs.override(providers.Object(None))  # no cleaner or rollups during the test
    with TestClient(create_app(container)) as client:
        yield client


@pytest.fixture
def master_db(database_url: str, master: TestClient) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def stored(engine: Engine) -> tuple[list[tuple[int, int]], dict[tuple[str, str], int]]:
    """The cluster's stored windows, oldest first, and each workload's stored requests."""
    log, raw = schema.snapshot_log, schema.service_raw
    with engine.connect() as connection:
        windows = [(start, end) for start, end in connection.execute(
            select(log.c.window_start, log.c.ts).where(log.c.cluster_id == CLUSTER).order_by(log.c.ts))]
        totals: dict[tuple[str, str], int] = {}
        for namespace, name, requests in connection.execute(
                select(raw.c.namespace, raw.c.name, raw.c.requests).where(raw.c.cluster_id == CLUSTER)):
            totals[(namespace, name)] = totals.get((namespace, name), 0) + requests
    return windows, totals


def test_a_restart_from_a_state_the_full_disk_kept_old_never_counts_more_than_the_truth(
    master: TestClient, master_db: Engine, time: FakeTime, tmp_path: Path
) -> None:
    exposition = Exposition([Pod("shop", "checkout", "checkout-1"), Pod("shop", "checkout", "checkout-2"),
                             Pod("shop", "cart", "cart-1")], start=int(time.now))
    faults = Faults()

    def http_client() -> HttpMasterClient:
        # The agent's real client, speaking HTTP to the real master app in this process.
        return HttpMasterClient("http://testserver", None, timeout=5.0, transport=master._transport,
                                policy=RetryPolicy(max_attempts=1, deadline=1.0))

    def cycle(agent: AgentProcess) -> None:
        time.advance(STEP)
        exposition.advance(GROWTH, set(), set(), set())
        agent.loop.run_cycle()

    first = AgentProcess(tmp_path, CLUSTER, exposition, http_client(), faults, time)
    first.loop.start()
    first.loop.run_cycle()  # the baseline
    for _ in range(3):
        cycle(first)
    faults.state_disk_full = True  # from here on the state file keeps the scrape of step 3
    for _ in range(10):
        cycle(first)
    assert first.loop.status.state_save_failures == 20  # before and after each send
    assert first.sender.counters.sent == 13 and first.sender.backlog == 0
    delivered_before_kill = exposition.step_now
    first.die()  # kill -9

    time.advance(STEP)  # down for a step, while the pods go on counting
    exposition.advance(GROWTH, set(), set(), set())
    faults.state_disk_full = False  # the operator has freed the disk
    second = AgentProcess(tmp_path, CLUSTER, exposition, http_client(), faults, time)
    second.loop.start()
    for _ in range(5):
        cycle(second)
    assert second.loop.shutdown(drain=True) == 0

    windows, totals = stored(master_db)
    restart_scrape = delivered_before_kill + 2
    truth = exposition.truth(0, exposition.step_now)
    lost = exposition.truth(delivered_before_kill, restart_scrape)
    # The one interval resumed from the old state, (step 3, restart], is refused and done with…
    assert second.sender.counters.already_stored == 1
    assert second.sender.counters.rejected == 0 and second.sender.backlog == 0
    # …and the next starts at that scrape: windows never overlap, the one gap is the downtime.
    steps = [(exposition.step_of(start), exposition.step_of(end)) for start, end in windows]
    assert steps == [(n, n + 1) for n in range(delivered_before_kill)] + [
        (n, n + 1) for n in range(restart_scrape, exposition.step_now)]
    for workload, true_total in truth.items():
        assert totals[workload] <= true_total
        assert totals[workload] == true_total - lost[workload]
