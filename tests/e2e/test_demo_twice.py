"""Two ``meshslo demo`` runs in a row on one data directory: the second shows the simulator's truth.

The simulator starts its model afresh each run. An agent that kept the first
run's counters would turn the second run's first scrape into a snapshot whose
window spans the downtime, with increments no simulator step produced. The
master keeps the first run's data, so after the second run it must show
exactly the first run's truth plus the second's.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from full_chain import free_port
from test_full_chain_demo import processes_mentioning, start_demo, wait_for_line

pytestmark = pytest.mark.e2e

SCRAPES = 3  # simulator steps each run must reach past its baseline


def workload_totals(url: str) -> dict[str, int]:
    topology = httpx.get(f"{url}api/v2/slo/mesh/topology", params={"time_range": "15m"}, timeout=5)
    if topology.status_code == 404:  # no snapshot stored yet
        return {}
    topology.raise_for_status()
    return {n["id"]: n["total_requests"] for n in topology.json()["nodes"] if n["total_requests"]}


def truth_totals(sim_url: str) -> tuple[dict[str, int], dict[str, Any]]:
    truth = httpx.get(f"{sim_url}/truth", timeout=5).json()
    return {wid: item["total"] for wid, item in truth["workloads"].items() if item["total"]}, truth


def run_until_truth_shown(data_dir: Path, port: int, before: dict[str, int]) -> dict[str, int]:
    """One demo run: wait until the master shows ``before`` plus this run's truth, then Ctrl-C."""
    process, lines = start_demo(data_dir, port)
    seen: list[str] = []
    url = f"http://127.0.0.1:{port}/"
    try:
        line = wait_for_line(lines, "dashboard at", 60, seen)
        match = re.search(r"at (http://127\.0\.0\.1:\d+)/metrics", line)
        assert match, line
        sim_url = match.group(1)
        deadline = time.monotonic() + 60
        shown: dict[str, int] = {}
        expected: dict[str, int] = {}
        while time.monotonic() < deadline:
            truth, raw = truth_totals(sim_url)
            shown = workload_totals(url)
            expected = {w: before.get(w, 0) + truth.get(w, 0) for w in set(before) | set(truth)}
            steps = (raw["last_observed_step"] or 0) - (raw["first_observed_step"] or 0)
            # The truth is read before and after the master: equal only if no scrape came between.
            if steps >= SCRAPES and shown == expected and truth_totals(sim_url)[0] == truth:
                break
            time.sleep(0.3)
        assert shown == expected, f"master {shown} != truth {expected}; logs in {data_dir / 'logs'}"
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
        return shown
    finally:
        if process.poll() is None:
            process.kill()
        for pid in processes_mentioning(str(data_dir)):
            os.kill(pid, signal.SIGKILL)


def test_a_second_demo_on_the_same_data_dir_shows_the_simulators_truth(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    first = run_until_truth_shown(data_dir, free_port(), {})
    assert first
    assert (data_dir / "agent-state.json").exists()  # what the second run must not reuse
    run_until_truth_shown(data_dir, free_port(), first)
