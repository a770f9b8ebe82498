"""``meshslo demo --alertmanager-url``: the demo's incident pages in a real Alertmanager, then resolves.

The incident is shortened (10 s in, 16 s long) and the master evaluates every 3 s, but the
windows are the real ones of ``identity/auth``'s objective (99.9 % over ``1d``): 2m/1m for
tier 1, 12m/1m for tier 2. A page resolves once its one-minute short window holds no failed
request of the incident, so the test runs for about a minute and a half: the minute cannot
be shortened without faking the windows this test is meant to exercise.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.alertmanager_process import active_alerts, running_alertmanager
from tests.e2e.processes import free_port, local_url, meshslo, serving, wait_until

from adapters.simulator.incident import INCIDENT_WORKLOAD

pytestmark = pytest.mark.e2e

NAMESPACE, NAME = INCIDENT_WORKLOAD.split("/")


def incident_pages(alertmanager: str) -> list[dict[str, Any]]:
    return [a for a in active_alerts(alertmanager)
            if a["labels"].get("key") == INCIDENT_WORKLOAD and a["labels"].get("severity") == "page"]


def demo_alerts(url: str, state: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}/api/v2/slo/alerts", params={"state": state, "key": INCIDENT_WORKLOAD},
                       timeout=5)
    answer.raise_for_status()
    return [a for a in answer.json()["alerts"] if a["labels"]["severity"] == "page"]


def test_the_demo_incident_pages_in_alertmanager_and_resolves(tmp_path: Path) -> None:
    with running_alertmanager(tmp_path) as alertmanager:
        port = free_port()
        url = local_url(port)
        demo = meshslo("demo", ["demo", "--data-dir", str(tmp_path / "demo"), "--port", str(port),
                                "--interval", "2", "--incident-after", "10s", "--incident-duration", "16s",
                                "--alert-interval", "3s", "--alertmanager-url", alertmanager],
                       tmp_path / "demo.log")
        with serving(demo, f"{url}/readyz", timeout=60):
            started = time.time()
            wait_until(lambda: bool(incident_pages(alertmanager)), 60, "the incident's page in Alertmanager",
                       [demo])
            assert time.time() - started >= 8  # not before the incident: sign-in is healthy until then
            [page, *_] = sorted(incident_pages(alertmanager), key=lambda a: a["labels"]["burn_tier"])
            labels = page["labels"]
            assert labels["burn_tier"] == "1" and labels["alertname"] == "MeshsloErrorBudgetBurn"
            assert (labels["cluster"], labels["target_type"]) == ("demo", "service")
            assert (labels["namespace"], labels["workload"], labels["slo_window"]) == (NAMESPACE, NAME, "1d")
            assert (labels["long_window"], labels["short_window"]) == ("2m", "1m")
            assert page["annotations"]["dashboard"].startswith(f"{url}/")
            assert float(page["annotations"]["burn_rate_short"]) > 14.4
            firing = demo_alerts(url, "firing")
            assert {a["labels"]["burn_tier"] for a in firing} >= {"1"}

            # Once the incident's failures leave the one-minute short windows, the pages resolve.
            wait_until(lambda: not incident_pages(alertmanager), 120, "the incident's page to resolve",
                       [demo])
            resolved = demo_alerts(url, "resolved")
            assert {a["labels"]["burn_tier"] for a in resolved} >= {"1"}
            assert not demo_alerts(url, "firing")
            assert all(a["resolved_at"] >= a["started_at"] for a in resolved)
