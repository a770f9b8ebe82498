"""``meshslo demo`` sets the example objectives as soon as its cluster reported, and both example
files (native and OpenSLO) apply cleanly to it: they describe exactly what it set."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from full_chain import clean_env, free_port
from tests.e2e.test_full_chain_demo import processes_mentioning, start_demo, wait_for_line

from adapters.slo_files.files import SloFiles

pytestmark = pytest.mark.e2e

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def apply(url: str, name: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "entrypoints.cli", "slo", "apply", str(DEPLOY / name),
               "--master-url", url]
    return subprocess.run(command, capture_output=True, text=True, env=clean_env(), timeout=60)


def identity(target: dict[str, Any]) -> tuple[str, str, str, str]:
    return (target["cluster_id"], target["target_type"], target["key"], target["window"])


def test_the_demo_shows_the_example_objectives_from_the_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    port = free_port()
    process, lines = start_demo(data_dir, port)
    seen: list[str] = []
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_line(lines, "dashboard at", 60, seen)
        wait_for_line(lines, "objectives set from slos.example.yaml", 60, seen)
        answer = httpx.get(f"{url}/api/v2/slo/targets", timeout=10).json()["targets"]
        stored = sorted(({k: v for k, v in t.items() if k != "updated_at"} for t in answer), key=identity)
        assert stored == sorted(SloFiles().read(str(DEPLOY / "slos.example.yaml")), key=identity)
        assert {t["window"] for t in stored} >= {"28d", "month"}
        assert any(t["latency_target"] is not None for t in stored)

        for name in ("openslo.example.yaml", "slos.example.yaml"):
            run = apply(url, name)
            assert run.returncode == 0, run.stdout + run.stderr
            assert "Plan: 0 to create, 0 to update, 5 unchanged, 0 to delete." in run.stdout, run.stdout

        # The page's answers evaluate them: the checkout over 28 days, latency included.
        detail = httpx.get(f"{url}/api/v2/slo/mesh/service/detail",
                           params={"namespace": "shop", "name": "checkout", "time_range": "15m"}, timeout=10)
        assert detail.status_code == 200, detail.text
        objectives = {o["sli"]: o for o in detail.json()["objectives"]}
        assert set(objectives) == {"availability", "latency"}
        assert {o["window"] for o in objectives.values()} == {"28d"}
        assert objectives["latency"]["threshold_ms"] == 250.0 and objectives["latency"]["total"] > 0
        gateway = httpx.get(f"{url}/api/v2/slo/mesh/service/detail",
                            params={"namespace": "payments", "name": "gateway", "time_range": "15m"},
                            timeout=10).json()
        assert [(o["sli"], o["window"]) for o in gateway["objectives"]] == [("availability", "month")]

        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        for pid in processes_mentioning(str(data_dir)):
            os.kill(pid, signal.SIGKILL)
