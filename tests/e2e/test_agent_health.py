"""``meshslo agent`` as a real process: /healthz while it can neither deliver nor spool, and
snapshots too large for either side dropped and counted."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.e2e.agent_servers import LINKERD, TRAEFIK, Counter, FakeMaster, MetricsEndpoint
from tests.e2e.processes import free_port, local_url
from tests.e2e.test_agent_delivery import agent_command, agent_process, run_agent

pytestmark = pytest.mark.e2e

Health = tuple[int, dict[str, Any]]


@pytest.fixture
def counters() -> dict[str, Counter]:
    return {LINKERD: Counter(step=5, value=1000), TRAEFIK: Counter(step=3, value=40)}


def listening(command: list[str]) -> tuple[list[str], str]:
    """The command serving /healthz and /metrics on a free port, and that server's URL."""
    port = free_port()
    command[command.index("--listen") + 1] = f"127.0.0.1:{port}"
    return command, local_url(port)


def wait_for_health(url: str, wanted: Callable[[Health], bool], what: str, timeout: float = 20) -> Health:
    deadline = time.monotonic() + timeout
    seen: Health | None = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/healthz", timeout=1)
            seen = (response.status_code, response.json())
            if wanted(seen):
                return seen
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"/healthz never showed {what} within {timeout}s; last seen {seen}")


def snapshot_counts(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", timeout=1).text
    return {sample.labels["result"]: sample.value
            for family in text_string_to_metric_families(text) if family.name == "meshslo_agent_snapshots"
            for sample in family.samples if sample.name.endswith("_total")}


def test_healthz_fails_while_neither_the_master_nor_the_spool_takes_snapshots(
    metrics: MetricsEndpoint, tmp_path: Path
) -> None:
    master_port = free_port()  # nothing listens there but while the master below runs
    spool, aside = tmp_path / "spool", tmp_path / "spool-aside"
    command, url = listening(agent_command(metrics, local_url(master_port), tmp_path))
    with agent_process(command) as process:
        wait_for_health(url, lambda seen: seen[1]["last_cycle_ok"] is True, "the first cycle")
        # The spool becomes unwritable: its directory replaced by a file, which fails every write
        # whoever the agent runs as (a read-only directory would not stop root).
        spool.rename(aside)
        spool.write_text("not a directory\n")
        _, body = wait_for_health(url, lambda seen: seen[0] == 503, "a failure")
        assert body["ok"] is False
        assert "can be neither delivered nor spooled" in body["reason"]
        assert "unavailable" in body["reason"] and "cannot write to spool" in body["reason"]

        with FakeMaster(port=master_port) as master:  # the master comes back
            wait_for_health(url, lambda seen: seen[0] == 200, "a recovery by delivery")
            assert master.taken and set(master.encodings) == {"gzip"}
        # Master gone again, spool still broken: failing again, then the spool is mended.
        wait_for_health(url, lambda seen: seen[0] == 503, "a second failure")
        spool.unlink()
        aside.rename(spool)
        _, body = wait_for_health(url, lambda seen: seen[0] == 200, "a recovery by spooling")
        assert body["reason"] is None and body["spool_depth"] >= 1
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert list(spool.glob("*.json")), "the backlog was not secured on disk"


def test_snapshots_over_the_agents_limit_are_dropped_counted_and_never_spooled(
    metrics: MetricsEndpoint, tmp_path: Path
) -> None:
    with FakeMaster() as master:
        command, url = listening(agent_command(metrics, master.url, tmp_path, "--max-snapshot-bytes", "200"))
        with agent_process(command) as process:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    if snapshot_counts(url).get("too_large", 0) >= 2:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            counts = snapshot_counts(url)
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=10)
    assert counts["too_large"] >= 2 and counts["sent"] == 0 and counts["spooled"] == 0
    assert master.requests == 0
    assert not list((tmp_path / "spool").glob("*.json"))
    assert "too large: snapshot is" in stderr and "over this agent's limit of 200 bytes" in stderr
    assert "--max-snapshot-bytes (MESHSLO_MAX_SNAPSHOT_BYTES)" in stderr and "--max-body" in stderr


def test_a_413_drops_that_snapshot_without_retrying_and_the_next_goes_through(
    metrics: MetricsEndpoint, counters: dict[str, Counter], tmp_path: Path
) -> None:
    with FakeMaster(refuse=lambda n: 413 if n == 1 else None) as master:
        result = run_agent(agent_command(metrics, master.url, tmp_path, "--cycles", "3"))
    assert result.returncode == 0, result.stderr
    # 3 scrapes, 2 snapshots: the refused one was not retried, the next one was taken.
    assert master.requests == 2 and len(master.taken) == 1
    assert "too large" in result.stderr and "HTTP 413" in result.stderr and "--max-body" in result.stderr
    assert not list((tmp_path / "spool").glob("*.json"))
