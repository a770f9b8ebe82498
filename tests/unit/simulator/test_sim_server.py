"""The simulator's HTTP endpoint in process: steps, gzip, planned faults, truth parameters."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from adapters.simulator.faults import FaultPlanError, parse_fault_plan
from adapters.simulator.model import ClusterModel
from adapters.simulator.scenario import compact_scenario
from adapters.simulator.server import SimulatorServer
from entrypoints.simulate_cmd import SimulateSettings


@pytest.fixture
def serve() -> Iterator[object]:
    servers: list[SimulatorServer] = []

    def start(faults: str = "") -> tuple[str, ClusterModel]:
        model = ClusterModel(seed=1, scenario=compact_scenario())
        server = SimulatorServer(("127.0.0.1", 0), model, parse_fault_plan(faults))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", model

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_each_scrape_is_one_step_and_gzip_is_honoured(serve) -> None:  # type: ignore[no-untyped-def]
    url, _ = serve()
    plain = httpx.get(f"{url}/metrics", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.headers["X-Simulator-Step"] == "1"
    assert "content-encoding" not in plain.headers
    assert plain.headers["content-type"].startswith("text/plain; version=0.0.4")
    zipped = httpx.get(f"{url}/metrics", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(zipped.text) / 5  # decoded by httpx
    assert "# TYPE otel_response_total counter" in zipped.text
    # /truth takes the same lock as /metrics: it answers once the scrape has been acknowledged.
    truth = httpx.get(f"{url}/truth").json()
    assert (truth["latest_step"], truth["first_observed_step"], truth["last_observed_step"]) == (2, 1, 2)


def test_planned_faults_are_not_received_scrapes(serve) -> None:  # type: ignore[no-untyped-def]
    url, _ = serve("2:500,3:truncate,4:garbage")
    assert httpx.get(f"{url}/metrics").status_code == 200
    assert httpx.get(f"{url}/metrics").status_code == 500
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{url}/metrics", headers={"Accept-Encoding": "identity"})
    assert httpx.get(f"{url}/truth").json()["last_observed_step"] == 1
    garbage = httpx.get(f"{url}/metrics")
    assert garbage.status_code == 200 and "} twelve" in garbage.text
    truth = httpx.get(f"{url}/truth").json()
    assert (truth["from_step"], truth["to_step"], truth["latest_step"]) == (1, 4, 4)
    assert truth["workloads"] and truth["backends"]


def test_truth_parameters_are_validated(serve) -> None:  # type: ignore[no-untyped-def]
    url, _ = serve()
    for _ in range(3):
        httpx.get(f"{url}/metrics")
    assert httpx.get(f"{url}/truth", params={"from_step": "x"}).status_code == 400
    answer = httpx.get(f"{url}/truth", params={"from_step": 3, "to_step": 1})
    assert answer.status_code == 400 and "before" in answer.json()["detail"]
    assert httpx.get(f"{url}/truth", params={"to_step": 9}).status_code == 400
    assert httpx.get(f"{url}/truth", params={"from_step": 1, "to_step": 2}).json()["to_step"] == 2
    routes = httpx.get(f"{url}/routes").json()["routes"]
    assert {r["domain"] for r in routes} >= {"shop.example.com", "login.example.com"}
    assert httpx.get(f"{url}/nope").status_code == 404
    assert httpx.get(f"{url}/healthz").text == "ok\n"


@pytest.mark.parametrize("plan", ["3", "x:500", "3:boom", "0:500", "5-3:500"])
def test_bad_fault_plans_are_refused(plan: str) -> None:
    with pytest.raises(FaultPlanError):
        parse_fault_plan(plan)


def test_fault_plan_ranges() -> None:
    expected = {2: "500", 4: "truncate", 5: "truncate", 6: "truncate"}
    assert parse_fault_plan(" 2:500, 4-6:truncate ,") == expected


def test_simulate_settings_refuse_bad_values() -> None:
    with pytest.raises(ValueError):
        SimulateSettings(sim_listen="nowhere")
    with pytest.raises(ValueError):
        SimulateSettings(sim_fault_plan="1:explode")
    assert SimulateSettings(sim_listen="[::1]:0").sim_listen == "[::1]:0"
