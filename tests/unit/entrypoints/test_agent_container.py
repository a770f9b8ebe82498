"""AgentContainer: the real object graph from settings, with the two network ends faked."""

from __future__ import annotations

from pathlib import Path

import httpx
from dependency_injector import providers
from tests.unit.application.agent.delivery_fakes import FakeMasterClient

from adapters.agent_state.state_file import StateFile
from adapters.exposition.parser import ExpositionParser
from adapters.ingress_routes.none import NoRouteSource
from adapters.master_client.http_client import HttpMasterClient
from domain.series import Scrape
from entrypoints.agent_container import AgentContainer, loop_options
from entrypoints.agent_settings import AgentSettings

SERIES = ('otel_response_total{namespace="shop",deployment="checkout",pod="p1",direction="inbound",'
          'status_code="200",classification="success",tls="true",route_name="default",srv_port="8080"}')


class ExpositionSource:
    """A MetricsSource serving one counter that grows by 10 per scrape, one second apart."""

    def __init__(self, parser: ExpositionParser) -> None:
        self.parser = parser
        self.value = 100
        self.timestamp = 1_764_000_000.0

    def scrape(self) -> Scrape:
        self.value += 10
        self.timestamp += 30
        return self.parser.parse([f"{SERIES} {self.value}\n".encode()], timestamp=self.timestamp)

    def healthy(self) -> bool:
        return True

    def close(self) -> None:
        pass


def settings(tmp_path: Path, **overrides: object) -> AgentSettings:
    values: dict[str, object] = {
        "cluster_id": "c1", "routes": "none", "agent_listen": "", "spool_dir": str(tmp_path / "spool"),
        "health_url": "",
    }
    values.update(overrides)
    return AgentSettings(**values)  # type: ignore[arg-type]


def test_wires_settings_into_the_real_adapters(tmp_path: Path) -> None:
    container = AgentContainer(settings=settings(tmp_path, state_file=str(tmp_path / "s.json"),
                                                 ingest_token="tok", spool_max=7))
    assert isinstance(container.route_source(), NoRouteSource)
    assert isinstance(container.state_store(), StateFile)
    assert container.spool().max_items == 7
    client = container.master_client()
    assert isinstance(client, HttpMasterClient) and client.url == "http://127.0.0.1:8080/agent/snapshot"
    assert client.max_snapshot_bytes == 8 * 1024 * 1024
    limited = AgentContainer(settings=settings(tmp_path / "2", max_snapshot_bytes="512KiB")).master_client()
    assert limited.max_snapshot_bytes == 512 * 1024
    assert container.loop() is container.loop()
    assert container.http_server() is None
    assert container.parser().prefix == "otel_"


def test_the_state_age_bound_reaches_the_loop(tmp_path: Path) -> None:
    assert loop_options(settings(tmp_path)).state_max_age == 3600.0
    assert loop_options(settings(tmp_path, state_max_age="10m")).state_max_age == 600.0


def test_no_state_file_means_no_state_store(tmp_path: Path) -> None:
    assert AgentContainer(settings=settings(tmp_path)).state_store() is None


def test_a_cycle_through_the_real_graph_delivers_a_snapshot(tmp_path: Path) -> None:
    container = AgentContainer(settings=settings(tmp_path, cluster_id="prod-eu-1"))
    master = FakeMasterClient()
    container.metrics_source.override(providers.Singleton(ExpositionSource, container.parser))
    container.master_client.override(providers.Object(master))
    loop = container.loop()
    loop.run_cycle()
    loop.run_cycle()
    [snapshot] = master.taken
    assert snapshot.cluster_id == "prod-eu-1" and snapshot.agent_version
    [service] = snapshot.slo_data.services
    assert (service.namespace, service.name, service.total_request_delta) == ("shop", "checkout", 10)
    assert container.status().collect is not None and container.status().collect.deltas_emitted == 1


def test_http_server_serves_on_the_configured_address(tmp_path: Path) -> None:
    container = AgentContainer(settings=settings(tmp_path, agent_listen="127.0.0.1:0"))
    server = container.http_server()
    assert server is not None
    server.start()
    try:
        response = httpx.get(f"http://127.0.0.1:{server.port}/healthz")
        assert response.status_code == 200 and response.json()["ok"] is True
    finally:
        server.stop()
