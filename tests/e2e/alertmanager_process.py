"""A real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) on a free loopback port."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tests.e2e.processes import Proc, free_port, local_url, serving

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


@contextmanager
def running_alertmanager(directory: Path, port: int | None = None) -> Iterator[str]:
    binary = alertmanager_binary()
    port = port or free_port()
    config = directory / "alertmanager.yml"
    config.write_text(CONFIG)
    command = [binary, f"--config.file={config}", f"--storage.path={directory / 'data'}",
               f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"]
    url = local_url(port)
    with serving(Proc("alertmanager", command, directory / "alertmanager.log"), f"{url}/-/ready"):
        yield url


def active_alerts(url: str) -> list[dict[str, object]]:
    response = httpx.get(f"{url}/api/v2/alerts", params={"active": "true", "silenced": "true",
                                                         "inhibited": "true"}, timeout=5)
    response.raise_for_status()
    return list(response.json())
