"""``meshslo demo`` as a user runs it: URL printed, data within two intervals, Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty, Queue

import httpx
import pytest
from full_chain import clean_env, free_port

pytestmark = pytest.mark.e2e

INTERVAL = 2.0
STARTUP_GRACE = 5.0  # the agent process starting up (imports, first scrape) on a busy machine


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains ``text`` (the demo's unique data directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def start_demo(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], Queue[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "demo", "--data-dir", str(data_dir), "--port", str(port),
         "--interval", str(INTERVAL)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=clean_env(), start_new_session=True,
    )
    lines: Queue[str] = Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return process, lines


def wait_for_line(lines: Queue[str], needle: str, timeout: float, seen: list[str]) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except Empty:
            continue
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"no {needle!r} line within {timeout}s; output so far:\n{''.join(seen)}")


def test_demo_shows_data_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    port = free_port()
    process, lines = start_demo(data_dir, port)
    seen: list[str] = []
    try:
        line = wait_for_line(lines, "dashboard at", 60, seen)
        url = f"http://127.0.0.1:{port}/"
        assert url in line
        printed_at = time.monotonic()
        assert len(processes_mentioning(str(data_dir))) >= 4  # the demo and its three children

        deadline = printed_at + 2 * INTERVAL + STARTUP_GRACE
        nodes: list[dict[str, object]] = []
        while time.monotonic() < deadline and not nodes:
            response = httpx.get(f"{url}api/v2/slo/mesh/topology", params={"time_range": "15m"}, timeout=5)
            if response.status_code == 200:
                nodes = [n for n in response.json()["nodes"] if n["total_requests"]]
            time.sleep(0.2)
        assert nodes, f"no traffic on the dashboard API within two intervals; logs in {data_dir / 'logs'}"
        domains = httpx.get(f"{url}api/v2/slo/domains/v2", params={"time_range": "15m"}, timeout=5).json()
        assert any(d["domain"] == "shop.example.com" for d in domains["domains"])
        assert httpx.get(url, timeout=5).status_code == 200

        process.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground process
        assert process.wait(30) == 0
        wait_for_line(lines, "stopped", 5, seen)
        deadline = time.monotonic() + 5
        while processes_mentioning(str(data_dir)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_mentioning(str(data_dir)) == []
    finally:
        if process.poll() is None:
            process.kill()
        for pid in processes_mentioning(str(data_dir)):
            os.kill(pid, signal.SIGKILL)


def test_demo_exits_non_zero_naming_a_child_that_died(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    process, lines = start_demo(data_dir, free_port())
    seen: list[str] = []
    try:
        wait_for_line(lines, "dashboard at", 60, seen)
        simulator = [pid for pid in processes_mentioning(str(data_dir / "routes.json"))
                     if b"simulate" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(simulator) == 1
        os.kill(simulator[0], signal.SIGKILL)
        assert process.wait(30) == 1
        wait_for_line(lines, "the simulator exited unexpectedly", 5, seen)
        deadline = time.monotonic() + 5
        while processes_mentioning(str(data_dir)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_mentioning(str(data_dir)) == []
    finally:
        if process.poll() is None:
            process.kill()
        for pid in processes_mentioning(str(data_dir)):
            os.kill(pid, signal.SIGKILL)
