"""``meshslo agent`` against a real ``meshslo master``: the contract both ends speak, and auth refusals."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Select, create_engine, func, select
from tests.e2e.agent_servers import LINKERD, TRAEFIK, Counter, MetricsEndpoint
from tests.e2e.processes import Proc, cli_command, free_port, local_url, meshslo, run, serving

from adapters.storage import schema

pytestmark = pytest.mark.e2e

CLUSTER = "e2e-real"


@pytest.fixture
def master(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    database = tmp_path / "master.db"
    args = ["master", "--database-url", f"sqlite:///{database}", "--listen", f"127.0.0.1:{port}",
            "--ingest-token", "right-token", "--log-level", "warning"]
    url = local_url(port)
    with serving(meshslo("master", args, tmp_path / "master.log", cwd=tmp_path), f"{url}/healthz"):
        yield url, database


@pytest.fixture
def counters() -> dict[str, Counter]:
    return {LINKERD: Counter(step=4, value=10, reset_at={3}), TRAEFIK: Counter(step=6, value=0)}


def agent(metrics: MetricsEndpoint, master_url: str, workdir: Path, token: str, cycles: int) -> list[str]:
    return cli_command(
        "agent", "--cluster-id", CLUSTER,
        "--metrics-url", metrics.url, "--master-url", master_url, "--ingest-token", token,
        "--health-url", "", "--routes", "none", "--interval", "1", "--cycles", str(cycles),
        "--flush-timeout", "3", "--spool-dir", str(workdir / "spool"), "--listen", "",
    )


def run_agent(metrics: MetricsEndpoint, url: str, workdir: Path, token: str, cycles: int,
              *extra: str) -> subprocess.CompletedProcess[str]:
    """An agent run to its end in ``workdir``."""
    return run([*agent(metrics, url, workdir, token, cycles), *extra], cwd=workdir)


def stored_requests(database: Path) -> tuple[int, int, int]:
    """(snapshots logged, mesh requests, ingress requests) stored for the agent's cluster."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            def scalar(query: Select[Any]) -> int:
                return int(connection.execute(query).scalar_one())

            return (
                scalar(select(func.count()).where(schema.snapshot_log.c.cluster_id == CLUSTER)),
                scalar(select(func.coalesce(func.sum(schema.service_raw.c.total_requests), 0))
                       .where(schema.service_raw.c.cluster_id == CLUSTER)),
                scalar(select(func.coalesce(func.sum(schema.ingress_raw.c.requests), 0))
                       .where(schema.ingress_raw.c.cluster_id == CLUSTER)),
            )
    finally:
        engine.dispose()


def test_every_interval_is_stored_by_the_real_master(
    master: tuple[str, Path], metrics: MetricsEndpoint, counters: dict[str, Counter], tmp_path: Path
) -> None:
    url, database = master
    result = run_agent(metrics, url, tmp_path, "right-token", cycles=4)
    assert result.returncode == 0, result.stderr
    clusters = httpx.get(f"{url}/api/v2/clusters", timeout=5).json()["clusters"]
    assert any(cluster.get("cluster_id") == CLUSTER for cluster in clusters), clusters
    snapshots, mesh, ingress = stored_requests(database)
    assert snapshots == 3
    assert mesh == counters[LINKERD].increments_after_first() == 4 + 2 + 4
    assert ingress == counters[TRAEFIK].increments_after_first() == 6 * 3


def test_wrong_token_keeps_snapshots_spooled_until_the_token_is_fixed(
    master: tuple[str, Path], metrics: MetricsEndpoint, counters: dict[str, Counter], tmp_path: Path
) -> None:
    url, database = master
    wrong = run_agent(metrics, url, tmp_path, "wrong-token", cycles=3)
    assert wrong.returncode == 1  # undelivered snapshots left behind
    assert "HTTP 401" in wrong.stderr and "--ingest-token" in wrong.stderr
    assert len(list((tmp_path / "spool").glob("*.json"))) == 2
    assert stored_requests(database) == (0, 0, 0)

    fixed = run_agent(metrics, url, tmp_path, "right-token", cycles=1)
    assert fixed.returncode == 0, fixed.stderr
    assert not list((tmp_path / "spool").glob("*.json"))
    # Without a state file the restart's first scrape only remembers counters: 2 intervals arrive.
    snapshots, mesh, _ = stored_requests(database)
    assert snapshots == 2
    served = counters[LINKERD].served
    assert mesh == (served[1] - served[0]) + served[2] == 4 + 2  # +4, then the reset counted as 2


def test_sigkill_and_restart_with_a_state_file_stores_every_increment_once(
    master: tuple[str, Path], metrics: MetricsEndpoint, counters: dict[str, Counter], tmp_path: Path
) -> None:
    url, database = master
    state = ["--state-file", str(tmp_path / "state.json")]
    command = [*agent(metrics, url, tmp_path, "right-token", cycles=0), *state]
    victim = Proc("agent", command, tmp_path / "agent.log", cwd=tmp_path).start()
    try:
        deadline = time.monotonic() + 30
        while stored_requests(database)[0] < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stored_requests(database)[0] >= 2, "the agent stored nothing within 30 s"
    finally:
        victim.stop(signal.SIGKILL)  # no chance to flush or save anything
    for counter in counters.values():
        counter.value += 500  # traffic while it is down

    again = run_agent(metrics, url, tmp_path, "right-token", 2, *state)
    assert again.returncode == 0, again.stderr
    _, mesh, ingress = stored_requests(database)
    assert mesh == counters[LINKERD].increments_after_first()
    assert ingress == counters[TRAEFIK].increments_after_first()
