"""``meshslo agent`` as a real process against a local metrics endpoint and a local master."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from tests.e2e.agent_servers import LINKERD, TRAEFIK, Counter, FakeMaster, MetricsEndpoint
from tests.e2e.processes import ROOT, clean_env, cli_command, free_port, local_url, run

pytestmark = pytest.mark.e2e

def agent_command(metrics: MetricsEndpoint, master_url: str, workdir: Path, *extra: str) -> list[str]:
    return cli_command(
        "agent",
        "--cluster-id", "e2e-1",
        "--metrics-url", metrics.url,
        "--master-url", master_url,
        "--health-url", "",
        "--routes", "none",
        "--interval", "1",
        "--spool-dir", str(workdir / "spool"),
        "--listen", "",
        *extra,
    )  # fmt: skip


def run_agent(command: list[str], timeout: float = 40) -> subprocess.CompletedProcess[str]:
    return run(command, timeout)


@contextmanager
def agent_process(command: list[str]) -> Iterator[subprocess.Popen[str]]:
    """The agent in the background, its output in pipes; killed afterwards unless it already exited."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=clean_env(), cwd=ROOT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.fixture
def counters() -> dict[str, Counter]:
    return {LINKERD: Counter(step=5, value=1000, reset_at={4}), TRAEFIK: Counter(step=3, value=40)}


def test_master_down_at_first_then_every_snapshot_arrives_once_in_order(
    metrics: MetricsEndpoint, counters: dict[str, Counter], tmp_path: Path
) -> None:
    # The first eight POSTs (retries included) are answered 503: the first snapshots go to the spool.
    with FakeMaster(refuse=lambda n: 503 if n <= 8 else None) as master:
        command = agent_command(metrics, master.url, tmp_path, "--cycles", "7", "--flush-timeout", "10")
        result = run_agent(command)
    assert result.returncode == 0, result.stderr
    assert "spooled" in result.stderr  # the first snapshots really did wait in the spool

    timestamps = master.timestamps()
    assert len(timestamps) == 6  # 7 scrapes: the first only remembers counters
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == len(timestamps)
    windows = [(s["slo_data"]["window_start"], s["slo_data"]["timestamp"]) for s in master.taken]
    # Contiguous windows: each starts where the previous one ended.
    assert all(later[0] == earlier[1] for earlier, later in pairwise(windows))

    linkerd, traefik = counters[LINKERD], counters[TRAEFIK]
    assert len(linkerd.served) == 7
    # 6 intervals of +5, except the reset at scrape 4, which counts the 2 it restarted with.
    assert linkerd.increments_after_first() == 5 * 5 + 2
    assert master.service_total() == linkerd.increments_after_first()
    assert master.service_requests_total() == linkerd.increments_after_first()
    assert master.ingress_total() == traefik.increments_after_first() == 3 * 6
    assert not list((tmp_path / "spool").glob("*.json"))


def test_master_not_listening_at_first_then_the_spool_drains_in_order(
    metrics: MetricsEndpoint, counters: dict[str, Counter], tmp_path: Path
) -> None:
    port = free_port()
    nobody = local_url(port)  # nothing listens there until the master starts below
    command = agent_command(metrics, nobody, tmp_path, "--cycles", "6", "--flush-timeout", "15")
    with agent_process(command) as process:
        deadline = time.monotonic() + 15
        while len(list((tmp_path / "spool").glob("*.json"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(list((tmp_path / "spool").glob("*.json"))) >= 2, "nothing was spooled"
        with FakeMaster(port=port) as master:
            _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    timestamps = master.timestamps()
    assert len(timestamps) == 5
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == 5
    assert master.service_total() == counters[LINKERD].increments_after_first()
    assert master.ingress_total() == counters[TRAEFIK].increments_after_first()


def test_restart_with_a_state_file_loses_no_interval(
    metrics: MetricsEndpoint, counters: dict[str, Counter], tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    with FakeMaster() as master:
        command = agent_command(metrics, master.url, tmp_path, "--cycles", "3", "--state-file", str(state))
        first = run_agent(command)
        assert first.returncode == 0, first.stderr
        assert state.is_file()
        # Traffic while the agent is down.
        for counter in counters.values():
            counter.value += 1000
        second = run_agent(command)
        assert second.returncode == 0, second.stderr

    linkerd, traefik = counters[LINKERD], counters[TRAEFIK]
    assert len(linkerd.served) == 6
    timestamps = master.timestamps()
    assert len(timestamps) == 5 and timestamps == sorted(timestamps)
    # The second run's first snapshot starts where the first run's last one ended.
    assert master.taken[2]["slo_data"]["window_start"] == master.taken[1]["slo_data"]["timestamp"]
    assert master.service_total() == linkerd.increments_after_first()
    assert master.ingress_total() == traefik.increments_after_first() == 3 * 5 + 1000


def test_sigterm_stops_cleanly_and_health_and_metrics_are_served(
    metrics: MetricsEndpoint, tmp_path: Path
) -> None:
    port = free_port()
    state = tmp_path / "state.json"
    with FakeMaster() as master:
        command = agent_command(metrics, master.url, tmp_path, "--state-file", str(state))
        command[command.index("--listen") + 1] = f"127.0.0.1:{port}"
        with agent_process(command) as process:
            deadline = time.monotonic() + 20
            health: dict[str, object] = {}
            while time.monotonic() < deadline:
                try:
                    response = httpx.get(f"{local_url(port)}/healthz", timeout=1)
                    health = response.json()
                    if len(master.taken) >= 2:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            assert len(master.taken) >= 2, "the agent did not deliver within 20 s"
            assert response.status_code == 200 and health["ok"] is True and health["spool_depth"] == 0
            text = httpx.get(f"{local_url(port)}/metrics", timeout=1).text
            assert 'meshslo_agent_snapshots_total{result="sent"}' in text
            assert "meshslo_agent_scrape_duration_seconds_count" in text

            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "SIGTERM received" in stderr
    assert state.is_file()


def test_sigterm_while_the_master_is_down_exits_promptly_keeping_the_spool(
    metrics: MetricsEndpoint, tmp_path: Path
) -> None:
    with FakeMaster(refuse=lambda n: 503) as master:
        command = agent_command(metrics, master.url, tmp_path, "--interval", "3")  # retry budget: 1.5 s
        with agent_process(command) as process:
            deadline = time.monotonic() + 20
            while master.requests < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert master.requests >= 2, "the agent never tried to deliver"
            process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            _, stderr = process.communicate(timeout=10)
            took = time.monotonic() - started
    assert process.returncode == 0, stderr
    assert took < 4.0, f"shutdown took {took:.1f}s"
    assert len(list((tmp_path / "spool").glob("*.json"))) == 1
    assert master.taken == []


def test_help_lists_every_documented_flag() -> None:
    result = run_agent(cli_command("agent", "--help"))
    assert result.returncode == 0
    for flag in ("--cluster-id", "--master-url", "--ingest-token", "--metrics-url", "--health-url",
                 "--metric-prefix", "--exclude-namespaces", "--admin-port", "--probe-compensation",
                 "--no-probe-compensation", "--interval", "--scrape-timeout", "--cycles", "--routes",
                 "--spool-dir", "--spool-max", "--state-file", "--listen", "--flush-timeout",
                 "--max-snapshot-bytes", "--config"):
        assert flag in result.stdout, flag
    for env in ("MESHSLO_CLUSTER_ID", "MESHSLO_AGENT_LISTEN", "MESHSLO_PROBE_COMPENSATION"):
        assert env in result.stdout


@pytest.mark.parametrize(
    ("args", "named"),
    # The full list of refusals is in tests/unit/entrypoints/test_agent_settings.py.
    [(["--interval", "abc"], "--interval"), (["--routes", "consul"], "--routes")],
)
def test_bad_values_exit_2_naming_the_flag(args: list[str], named: str) -> None:
    result = run_agent(cli_command("agent", "--cluster-id", "c1", *args))
    assert result.returncode == 2
    assert named in result.stderr


def test_missing_cluster_id_exits_2_naming_flag_and_environment() -> None:
    result = run(cli_command("agent"), timeout=30)  # no MESHSLO_CLUSTER_ID in its environment
    assert result.returncode == 2
    assert "--cluster-id / MESHSLO_CLUSTER_ID" in result.stderr
