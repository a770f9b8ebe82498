"""``meshslo agent`` against a real ``meshslo master``: the contract both ends speak, and auth refusals."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Select, create_engine, func, select
from tests.e2e.agent_servers import LINKERD, TRAEFIK, Counter, MetricsEndpoint, free_port

from adapters.storage import schema

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "e2e-real"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("MESHSLO_")}
ENV["PYTHONPATH"] = str(ROOT / "src")


@pytest.fixture
def master(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    database = tmp_path / "master.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "master", "--database-url", f"sqlite:///{database}",
         "--listen", f"127.0.0.1:{port}", "--ingest-token", "right-token", "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV, cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"master did not start: {process.communicate()[1]}")
            time.sleep(0.2)
        yield url, database
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture
def counters() -> dict[str, Counter]:
    return {LINKERD: Counter(step=4, value=10, reset_at={3}), TRAEFIK: Counter(step=6, value=0)}


@pytest.fixture
def metrics(counters: dict[str, Counter]) -> Iterator[MetricsEndpoint]:
    endpoint = MetricsEndpoint(counters)
    endpoint.start()
    yield endpoint
    endpoint.stop()


def agent(metrics: MetricsEndpoint, master_url: str, workdir: Path, token: str, cycles: int) -> list[str]:
    return [
        sys.executable, "-m", "entrypoints.cli", "agent", "--cluster-id", CLUSTER,
        "--metrics-url", metrics.url, "--master-url", master_url, "--ingest-token", token,
        "--health-url", "", "--routes", "none", "--interval", "1", "--cycles", str(cycles),
        "--flush-timeout", "3", "--spool-dir", str(workdir / "spool"), "--listen", "",
    ]


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
    result = subprocess.run(agent(metrics, url, tmp_path, "right-token", cycles=4), capture_output=True,
                            text=True, timeout=60, env=ENV, cwd=tmp_path)
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
    wrong = subprocess.run(agent(metrics, url, tmp_path, "wrong-token", cycles=3), capture_output=True,
                           text=True, timeout=60, env=ENV, cwd=tmp_path)
    assert wrong.returncode == 1  # undelivered snapshots left behind
    assert "HTTP 401" in wrong.stderr and "--ingest-token" in wrong.stderr
    assert len(list((tmp_path / "spool").glob("*.json"))) == 2
    assert stored_requests(database) == (0, 0, 0)

    fixed = subprocess.run(agent(metrics, url, tmp_path, "right-token", cycles=1), capture_output=True,
                           text=True, timeout=60, env=ENV, cwd=tmp_path)
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
    victim = subprocess.Popen([*agent(metrics, url, tmp_path, "right-token", cycles=0), *state],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 30
        while stored_requests(database)[0] < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stored_requests(database)[0] >= 2, "the agent stored nothing within 30 s"
        victim.kill()  # no chance to flush or save anything
        victim.wait(timeout=10)
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
    for counter in counters.values():
        counter.value += 500  # traffic while it is down

    again = subprocess.run([*agent(metrics, url, tmp_path, "right-token", cycles=2), *state],
                           capture_output=True, text=True, timeout=60, env=ENV, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    _, mesh, ingress = stored_requests(database)
    assert mesh == counters[LINKERD].increments_after_first()
    assert ingress == counters[TRAEFIK].increments_after_first()
