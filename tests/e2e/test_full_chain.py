"""Simulator → agent → master as real processes: what the API shows equals the simulator's truth.

The truth window is what the agent can observe: from its first received
scrape (a baseline) to its last one. Each agent runs a fixed number of cycles
and exits only once everything it scraped has reached the master.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from full_chain import Chain, assert_matches_truth, free_port, wait_until
from tests.e2e.processes import local_url

pytestmark = pytest.mark.e2e

StartChain = Callable[..., Chain]
CHURN = ["--restart-every", "2", "--rollout-every", "3", "--controller-restart-every", "3"]


@pytest.fixture
def start_chain(tmp_path: Path) -> Iterator[StartChain]:
    """``start_chain(database_url, *simulator_args)``: a simulator (with churn) and a master, running."""
    made: list[Chain] = []

    def start(database_url: str, *sim_args: str) -> Chain:
        chain = Chain(tmp_path, database_url, [*sim_args, *CHURN])
        made.append(chain)
        chain.start_simulator()
        chain.start_master()
        return chain

    yield start
    for chain in made:
        chain.stop_all()
        print(chain.logs())  # pytest shows it only when the test failed


def _postgres(request: pytest.FixtureRequest) -> str:
    url = request.getfixturevalue("postgres_url")
    request.addfinalizer(lambda: _reset_postgres(url))
    return url


def _reset_postgres(url: str) -> None:
    # The session database is shared with the storage tests, which expect it empty.
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_totals_equal_ground_truth_through_restarts_and_failures(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, start_chain: StartChain
) -> None:
    url = f"sqlite:///{tmp_path / 'master.db'}" if backend == "sqlite" else _postgres(request)
    chain = start_chain(url, "--seed", "11")
    agent = chain.agent(cycles=9)
    assert agent.wait(90) == 0, chain.logs()

    truth = chain.truth()
    assert truth["last_observed_step"] - truth["first_observed_step"] == 8
    assert truth["restarts"] >= 3 and truth["rollouts"] >= 2
    assert any(item["errors"] for item in truth["workloads"].values())
    assert_matches_truth(chain, truth)


def test_two_masters_on_one_postgresql_answer_alike(
    request: pytest.FixtureRequest, start_chain: StartChain
) -> None:
    chain = start_chain(_postgres(request), "--seed", "14")
    second_port = free_port()
    second_url = local_url(second_port)
    chain.start_master(second_port, name="master-2")

    # Half of the intervals go through one master, half through the other.
    assert chain.agent(cycles=4, name="agent-1").wait(90) == 0, chain.logs()
    assert chain.agent(cycles=4, name="agent-2", master_url=second_url).wait(90) == 0, chain.logs()

    truth = chain.truth()
    assert truth["last_observed_step"] - truth["first_observed_step"] == 7
    assert_matches_truth(chain, truth)
    assert_matches_truth(chain, truth, base_url=second_url)


def test_master_outage_and_agent_restart_lose_nothing(tmp_path: Path, start_chain: StartChain) -> None:
    chain = start_chain(f"sqlite:///{tmp_path / 'master.db'}", "--seed", "12")
    master = chain.proc("master")
    first = chain.agent(cycles=11, name="agent-1")

    def observed_step() -> int:
        return int(chain.truth()["last_observed_step"] or 0)

    wait_until(lambda: observed_step() >= 3, 30, "three scrapes", [first])
    master.stop(signal.SIGTERM)
    wait_until(lambda: observed_step() >= 7, 30, "scrapes while the master is down", [first])
    assert httpx.get(f"{chain.sim_url}/healthz").status_code == 200
    chain.start_master()
    assert first.wait(90) == 0, chain.logs()

    # Same state file and spool: the restarted agent's first scrape is not a new baseline.
    second = chain.agent(cycles=4, name="agent-2")
    assert second.wait(90) == 0, chain.logs()

    truth = chain.truth()
    assert truth["last_observed_step"] - truth["first_observed_step"] == 14
    spooled = [int(n) for n in re.findall(r"\((\d+) waiting\)", first.output())]
    assert max(spooled) >= 2, "the outage did not make the agent spool"
    assert "restored counter state" in second.output()
    assert_matches_truth(chain, truth)


def test_garbage_truncated_bodies_and_errors_are_survived(tmp_path: Path, start_chain: StartChain) -> None:
    plan = "2:garbage,4:500,5:truncate,6:garbage,8-9:500,10:truncate"
    chain = start_chain(f"sqlite:///{tmp_path / 'master.db'}", "--seed", "13", "--fault-plan", plan)
    simulator = chain.proc("simulator")
    agent = chain.agent(cycles=14)
    assert agent.wait(90) == 0, chain.logs()

    truth = chain.truth()
    assert truth["latest_step"] >= 14
    assert truth["first_observed_step"] == 1
    log = simulator.output()
    assert "step 5: cutting the body short" in log and "step 8: answering 500" in log
    assert "step 6: served with malformed lines" in log
    assert_matches_truth(chain, truth)
