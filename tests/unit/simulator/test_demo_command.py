"""Pieces of ``meshslo demo``: the children's command lines and environment, starting and stopping one."""

from __future__ import annotations

import time
from pathlib import Path

from entrypoints.children import Child, child_environment
from entrypoints.demo_cmd import Demo, DemoSettings


def test_children_get_only_the_shared_settings_from_the_environment() -> None:
    env = child_environment({"PATH": "/bin", "MESHSLO_CONFIG": "/etc/master.yaml",
                             "MESHSLO_DATABASE_URL": "postgresql://elsewhere", "MESHSLO_METRIC_PREFIX": "",
                             "MESHSLO_INGEST_TOKEN": "t1", "MESHSLO_READ_TOKEN": "t2"})
    assert env == {"PATH": "/bin", "MESHSLO_INGEST_TOKEN": "t1", "MESHSLO_READ_TOKEN": "t2",
                   "PYTHONUNBUFFERED": "1"}


def test_the_agent_scrapes_the_simulator_and_sends_to_the_master(tmp_path: Path) -> None:
    demo = Demo(DemoSettings(demo_data_dir=tmp_path / "d", demo_port=18555, demo_interval="1.5s"))
    args = demo.agent.args
    flags = dict(zip(args[1::2], args[2::2], strict=False))
    assert args[0] == "agent"
    assert flags["--master-url"] == demo.url == "http://127.0.0.1:18555"
    assert flags["--metrics-url"] == f"{demo.sim_url}/metrics"
    assert flags["--health-url"] == "" and flags["--listen"] == ""
    assert flags["--interval"] == "1.5"
    routes = demo.simulator.args[demo.simulator.args.index("--routes-out") + 1]
    assert flags["--routes"] == f"file:{routes}"
    for path in (routes, flags["--spool-dir"], flags["--state-file"]):
        assert Path(path).is_relative_to((tmp_path / "d").resolve())
    master = demo.master.args
    assert master[master.index("--database-url") + 1] == f"sqlite:///{(tmp_path / 'd').resolve()}/meshslo.db"
    assert master[master.index("--listen") + 1] == "127.0.0.1:18555"


def test_a_child_is_started_logged_and_stopped(tmp_path: Path) -> None:
    child = Child("simulator", ["simulate", "--listen", "127.0.0.1:0"], tmp_path / "logs" / "sim.log")
    child.start()
    try:
        deadline = time.monotonic() + 30
        while "serving" not in child.tail() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "serving http://127.0.0.1:" in child.tail()
        assert child.exit_code() is None
    finally:
        code = child.stop(timeout=10)
    assert code == 0


def test_a_child_that_fails_reports_its_code_and_output(tmp_path: Path) -> None:
    child = Child("simulator", ["simulate", "--fault-plan", "soon"], tmp_path / "sim.log")
    child.start()
    assert child.process is not None and child.process.wait(30) == 2
    assert child.exit_code() == 2
    assert "is not STEP:KIND" in child.tail()
    assert Child("never", [], tmp_path / "none.log").exit_code() is None


def test_listening_on_every_address_still_connects_through_loopback(tmp_path: Path) -> None:
    demo = Demo(DemoSettings(demo_data_dir=tmp_path, demo_host="0.0.0.0", demo_port=18556))
    assert demo.url == "http://127.0.0.1:18556"
    assert demo.master.args[demo.master.args.index("--listen") + 1] == "0.0.0.0:18556"
    assert demo.agent.args[demo.agent.args.index("--master-url") + 1] == demo.url


def test_the_routes_file_reads_back_through_the_agents_file_source(tmp_path: Path) -> None:
    from adapters.ingress_routes.static import StaticRouteSource
    from adapters.simulator.model import ClusterModel
    from entrypoints.simulate_cmd import write_routes

    model = ClusterModel(seed=1)
    path = tmp_path / "nested" / "routes.json"
    write_routes(model, path)
    assert list(StaticRouteSource(path).routes()) == list(model.scenario.routes)
    assert [p.name for p in path.parent.iterdir()] == ["routes.json"]  # no temporary left behind


def test_the_demo_runs_an_incident_and_alerts_often(tmp_path: Path) -> None:
    demo = Demo(DemoSettings(demo_data_dir=tmp_path, demo_port=18557, demo_interval="2s"))
    simulator = demo.simulator.args
    assert simulator[simulator.index("--incident-after") + 1] == "240"
    assert simulator[simulator.index("--incident-duration") + 1] == "360"
    assert simulator[simulator.index("--scrape-interval") + 1] == "2"
    master = demo.master.args
    assert master[master.index("--alert-interval") + 1] == "15"
    assert "--alertmanager-url" not in master and "--public-url" not in master


def test_the_demo_forwards_its_alerts_to_an_alertmanager_when_given(tmp_path: Path) -> None:
    demo = Demo(DemoSettings(demo_data_dir=tmp_path, demo_port=18558, demo_alert_interval="5s",
                             demo_alertmanager_url="http://127.0.0.1:9093", demo_incident_after="off"))
    master = demo.master.args
    assert master[master.index("--alertmanager-url") + 1] == "http://127.0.0.1:9093"
    assert master[master.index("--public-url") + 1] == "http://127.0.0.1:18558/"
    assert master[master.index("--alert-interval") + 1] == "5"
    simulator = demo.simulator.args
    assert simulator[simulator.index("--incident-after") + 1] == "0"
