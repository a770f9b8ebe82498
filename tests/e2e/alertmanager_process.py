"""A real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CONFIG = """\
route:
  receiver: blackhole
  group_by: [alertname, cluster, key]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blackhole
inhibit_rules:
  - source_matchers: [severity="page"]
    target_matchers: [severity="ticket"]
    equal: [cluster, key]
"""


def alertmanager_binary() -> str:
    found = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if found is None:
        pytest.skip("Alertmanager is not installed (Debian package prometheus-alertmanager; "
                    "scripts/setup.sh --dev installs it)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_alertmanager(directory: Path, port: int | None = None) -> Iterator[str]:
    binary = alertmanager_binary()
    port = port or free_port()
    config = directory / "alertmanager.yml"
    config.write_text(CONFIG)
    log = (directory / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.path={directory / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = (directory / "alertmanager.log").read_text()
                raise RuntimeError(f"alertmanager did not start: {output}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def active_alerts(url: str) -> list[dict[str, object]]:
    response = httpx.get(f"{url}/api/v2/alerts", params={"active": "true", "silenced": "true",
                                                         "inhibited": "true"}, timeout=5)
    response.raise_for_status()
    return list(response.json())
