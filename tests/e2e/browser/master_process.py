"""``meshslo master`` as a real process on a fresh SQLite file, for browser tests.

A separate process per master also keeps masters apart: the API modules are
wired to one dependency-injector container per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from tests.e2e.browser.server import free_port


@contextmanager
def run_master(directory: Path, *extra_args: str, startup_timeout: float = 60.0) -> Iterator[str]:
    """Start ``meshslo master`` listening on a free port; yields its base URL."""
    port = free_port()
    log_path = directory / "master.log"
    command = [
        sys.executable, "-m", "entrypoints.cli", "master",
        "--database-url", f"sqlite:///{directory / 'meshslo.db'}",
        "--listen", f"127.0.0.1:{port}",
        "--log-level", "warning",
        *extra_args,
    ]  # fmt: skip
    # Settings also come from MESHSLO_* variables: none may leak in from the caller.
    env = {key: value for key, value in os.environ.items() if not key.startswith("MESHSLO_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"meshslo master exited with {process.returncode}:\n{log_path.read_text()}"
                )
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"meshslo master did not answer /healthz in time:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post_snapshots(base_url: str, snapshots: list[dict[str, Any]], token: str | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for snapshot in snapshots:
        response = httpx.post(f"{base_url}/agent/snapshot", json=snapshot, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
