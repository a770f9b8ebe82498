"""``meshslo master`` as a real process on a fresh SQLite file, for browser tests.

A separate process per master also keeps masters apart: the API modules are
wired to one dependency-injector container per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from tests.e2e.processes import free_port, local_url, meshslo, serving


@contextmanager
def run_master(directory: Path, *extra_args: str, startup_timeout: float = 60.0) -> Iterator[str]:
    """Start ``meshslo master`` listening on a free port; yields its base URL."""
    port = free_port()
    args = ["master", "--database-url", f"sqlite:///{directory / 'meshslo.db'}",
            "--listen", f"127.0.0.1:{port}", "--log-level", "warning", *extra_args]
    url = local_url(port)
    with serving(meshslo("master", args, directory / "master.log"), f"{url}/healthz", startup_timeout):
        yield url


def post_snapshots(base_url: str, snapshots: list[dict[str, Any]], token: str | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for snapshot in snapshots:
        response = httpx.post(f"{base_url}/agent/snapshot", json=snapshot, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
