"""An agent with ``--state-file`` killed with SIGKILL anywhere in a cycle: no interval lost, none doubled.

The agent is killed at several points after a scrape reaches the endpoint
(while parsing, saving the state, sending, idle), restarted on the same state
file and spool each time, and finally run to a clean end. The master may see a
snapshot twice (the pending one re-delivered after a restart): it keeps one per
timestamp, as the real master does.
"""

from __future__ import annotations

import signal
import subprocess
import time
from itertools import pairwise
from pathlib import Path

import pytest
from tests.e2e.agent_servers import LINKERD, TRAEFIK, Counter, FakeMaster, MetricsEndpoint
from tests.e2e.processes import ROOT, clean_env
from tests.e2e.test_agent_delivery import agent_command, run_agent

pytestmark = pytest.mark.e2e

# Seconds after a scrape reaches the endpoint: inside the cycle's parse, state save, send, and after it.
KILL_DELAYS = (0.0, 0.01, 0.03, 0.08, 0.2, 0.6)


def _wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.002)


def test_sigkill_at_any_point_of_a_cycle_loses_and_doubles_nothing(tmp_path: Path) -> None:
    counters = {LINKERD: Counter(step=5, value=1000, reset_at={6, 13}), TRAEFIK: Counter(step=3, value=40)}
    state = tmp_path / "state.json"
    linkerd = counters[LINKERD]
    with MetricsEndpoint(counters) as metrics, FakeMaster() as master:
        command = agent_command(metrics, master.url, tmp_path, "--state-file", str(state))
        for delay in KILL_DELAYS:
            agent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env=clean_env(), cwd=ROOT)
            try:
                # Two snapshots first, so a saved state exists; then kill right after the next scrape.
                _wait_for(lambda: len(master.taken) >= 2, 30) if not master.taken else None
                scrapes = len(linkerd.served)
                _wait_for(lambda scrapes=scrapes: len(linkerd.served) > scrapes, 30)
                time.sleep(delay)
            finally:
                agent.send_signal(signal.SIGKILL)
                agent.wait()
        result = run_agent([*command, "--cycles", "2"])
        assert result.returncode == 0, result.stderr

    by_timestamp: dict[int, dict] = {}
    for snapshot in master.taken:
        timestamp = snapshot["slo_data"]["timestamp"]
        # A snapshot seen twice is the very same interval (re-delivered after a restart).
        assert by_timestamp.setdefault(timestamp, snapshot) == snapshot
    snapshots = [by_timestamp[t] for t in sorted(by_timestamp)]
    windows = [(s["slo_data"]["window_start"], s["slo_data"]["timestamp"]) for s in snapshots]
    assert all(later[0] == earlier[1] for earlier, later in pairwise(windows)), windows
    services = [svc for s in snapshots for svc in s["slo_data"]["services"]]
    delivered = sum(r["delta"] for svc in services for r in svc["requests"])
    # Every increment from the first scrape (the only baseline) to the last is counted exactly once.
    assert delivered == linkerd.increments_after_first()
    ingress = sum(r["delta"] for s in snapshots for i in s["slo_data"]["ingress"] for r in i["requests"])
    assert ingress == counters[TRAEFIK].increments_after_first()
