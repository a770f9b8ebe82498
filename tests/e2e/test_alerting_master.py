"""Burn-rate alerts end to end (SPEC §11): a real master, a real Alertmanager, a real Prometheus.

Snapshots are timestamped over the past hours, so every tier's windows already
hold traffic when the master starts evaluating (every second here).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.alerting_rig import (
    CLUSTER,
    SCENARIO,
    Master,
    load_scenario,
    promql,
    recovery,
    running_prometheus,
    wait_until,
)
from tests.e2e.alertmanager_process import active_alerts, free_port, running_alertmanager

pytestmark = pytest.mark.e2e

WINDOWS = {1: ("1h", "5m"), 2: ("6h", "30m"), 3: ("1d", "2h"), 4: ("3d", "6h")}
SEVERITY = {1: "page", 2: "page", 3: "ticket", 4: "ticket"}
FAILED = 'meshslo_alert_notifications_total{outcome="failed",receiver="alertmanager"}'


def _ours(url: str) -> list[dict]:
    return [a for a in active_alerts(url) if a["labels"].get("cluster") == CLUSTER]


def _fired(alerts: list[dict]) -> set[tuple[str, str, int]]:
    return {(a["labels"]["target_type"], a["labels"]["key"], int(a["labels"]["burn_tier"])) for a in alerts}


EXPECTED = {(t, k, tier) for (t, k), tiers in SCENARIO.items() for tier in tiers}


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Master, str, Path]]:
    directory = tmp_path_factory.mktemp("alerting")
    with running_alertmanager(directory) as alertmanager:
        master = Master(directory, f"sqlite:///{directory / 'master.db'}", "--alert-interval", "1s",
                        "--alertmanager-url", alertmanager, "--public-url", "https://slo.example/")
        try:
            load_scenario(master, int(time.time()))
            yield master, alertmanager, directory
        finally:
            master.stop()


def test_each_burn_fires_its_tiers_in_alertmanager_with_every_label(rig: tuple[Master, str, Path]) -> None:
    master, alertmanager, _ = rig
    alerts = wait_until(lambda: (found := _ours(alertmanager)) and _fired(found) == EXPECTED and found,
                        30, f"the alerts {sorted(EXPECTED)} in Alertmanager", master.log)
    for alert in alerts:
        labels, tier = alert["labels"], int(alert["labels"]["burn_tier"])
        target_type, key = labels["target_type"], labels["key"]
        expected = {
            "alertname": "MeshsloLatencyBudgetBurn" if key == "shop/laggy" else "MeshsloErrorBudgetBurn",
            "severity": SEVERITY[tier], "cluster": CLUSTER, "target_type": target_type, "key": key,
            "slo_window": "30d", "long_window": WINDOWS[tier][0], "short_window": WINDOWS[tier][1],
            "burn_tier": str(tier),
        }
        if target_type == "service":
            expected |= {"namespace": "shop", "workload": key.split("/")[1]}
        assert labels == expected
        annotations = alert["annotations"]
        assert set(annotations) == {"summary", "description", "burn_rate_long", "burn_rate_short",
                                    "error_budget_remaining", "dashboard"}
        assert annotations["dashboard"].startswith("https://slo.example/#")
        assert alert["generatorURL"] == annotations["dashboard"]
        if key == "shop/fast":
            assert annotations["burn_rate_long"] == "30.0"
    # The API lists the same alerts with the same labels (once the round that posted them committed).
    want = sorted(_key(a["labels"]) for a in alerts)
    listed = wait_until(
        lambda: (found := master.get("/api/v2/slo/alerts", state="firing", cluster_id=CLUSTER)["alerts"])
        and sorted(_key(a["labels"]) for a in found) == want and found,
        30, "the alerts in the API", master.log)
    assert sorted(_key(a["labels"]) for a in listed) == want
    assert {a["state"] for a in listed} == {"firing"}
    started = [a["started_at"] for a in listed]
    assert started == sorted(started, reverse=True)
    text = master.metrics()
    assert 'meshslo_alerts_firing{severity="page"} 4.0' in text  # fast 1+2, laggy 2, domain 2
    assert 'meshslo_alert_notifications_total{outcome="sent",receiver="alertmanager"}' in text


def _key(labels: dict[str, str]) -> str:
    return "|".join(f"{k}={labels[k]}" for k in sorted(labels))


def test_prometheus_reads_the_same_budget_the_api_gives(rig: tuple[Master, str, Path]) -> None:
    master, _, directory = rig
    with running_prometheus(directory, f"127.0.0.1:{master.port}") as prometheus:
        query = (f'meshslo_slo_error_budget_remaining_ratio{{cluster="{CLUSTER}",key="shop/slow",'
                 'sli="availability",slo_window="30d"}')
        [sample] = wait_until(lambda: promql(prometheus, query), 30, "the budget gauge in Prometheus")
        from_prometheus = float(sample["value"][1]) * 100
        [objective] = master.get("/api/v2/slo/budget", cluster_id=CLUSTER, target_type="service",
                                 key="shop/slow", window="30d")["objectives"]
        points = objective["points"]
        assert objective["sli"] == "availability" and objective["target"] == 99.0
        assert [p["timestamp"] for p in points] == sorted(p["timestamp"] for p in points)
        assert len(points) in (30 * 24, 30 * 24 + 1)  # hourly steps
        # 2 % errors against a 1 % allowance: -100 % once every snapshot is in.
        assert math.isclose(points[-1]["budget_remaining"], from_prometheus, rel_tol=1e-9, abs_tol=1e-9)
        assert math.isclose(from_prometheus, -100.0, abs_tol=1e-6)
        early = [p for p in points if p["budget_remaining"] is not None]
        assert early[0]["timestamp"] > points[0]["timestamp"]  # no traffic 30 days ago: no value
        burn = promql(prometheus, 'meshslo_slo_burn_rate{key="shop/fast",window="1h"}')
        assert math.isclose(float(burn[0]["value"][1]), 30.0, rel_tol=1e-9)


def test_recovery_resolves_the_alerts_in_alertmanager(rig: tuple[Master, str, Path]) -> None:
    master, alertmanager, _ = rig
    wait_until(lambda: _fired(_ours(alertmanager)) == EXPECTED, 30, "the alerts", master.log)
    last_stored = master.get("/api/v2/clusters")["clusters"][0]["last_snapshot"]
    master.post(recovery(last_stored, int(time.time())))
    remaining = EXPECTED - {(t, k, tier) for (t, k, tier) in EXPECTED if k == "shop/fast"}
    wait_until(lambda: _fired(_ours(alertmanager)) == remaining, 30, "shop/fast to resolve", master.log)
    resolved = wait_until(
        lambda: (found := master.get("/api/v2/slo/alerts", state="resolved", key="shop/fast")["alerts"])
        and len(found) == 4 and found, 30, "the resolved alerts in the API", master.log)
    assert {int(a["labels"]["burn_tier"]) for a in resolved} == {1, 2, 3, 4}
    assert all(a["resolved_at"] >= a["started_at"] for a in resolved)


def test_alertmanager_down_for_several_rounds(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    master = Master(tmp_path, f"sqlite:///{tmp_path / 'master.db'}", "--alert-interval", "1s",
                    "--alertmanager-url", url)
    try:
        load_scenario(master, int(time.time()))

        def failures() -> float:
            for line in master.metrics().splitlines():
                if line.startswith(FAILED):
                    return float(line.rsplit(" ", 1)[1])
            return 0.0

        wait_until(lambda: failures() >= 3, 60, "three failed rounds", master.log)
        assert master.get("/healthz") is not None
        assert len(master.get("/api/v2/slo/alerts", state="firing")["alerts"]) == len(EXPECTED)
        assert 'meshslo_master_job_runs_total{job="alert_evaluator",result="failed"} 0.0' in master.metrics()
        with running_alertmanager(tmp_path, port=port) as alertmanager:
            wait_until(lambda: _fired(_ours(alertmanager)) == EXPECTED, 30, "the alerts once back",
                       master.log)
    finally:
        master.stop()
