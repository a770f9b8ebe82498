"""Loading, empty, error and token states, and auto-refresh."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.e2e.browser import known_data
from tests.e2e.browser.fake_api import FakeData, create_fake_app, large_topology, one_cluster
from tests.e2e.browser.master_process import post_snapshots, run_master
from tests.e2e.browser.pages import READY_MESH, PageProblems, graph_ids, open_mesh, wait_for
from tests.e2e.browser.server import serve

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def state_text(page: Any, layer: str) -> str:
    return page.inner_text(f"#layer-{layer} [data-role=state-message]")


def test_no_agent_yet_says_so_on_both_layers(
    page: Any, empty_master_url: str, problems: PageProblems
) -> None:
    page.goto(f"{empty_master_url}/")
    page.wait_for_selector("#layer-mesh[data-state=no-agent]", state="attached")
    assert "No agent has reported yet." in state_text(page, "mesh")
    assert page.is_hidden("#layer-mesh [data-role=content]")
    page.click("#tab-domains")
    page.wait_for_selector("#layer-domains[data-state=no-agent]", state="attached")
    assert "No agent has reported yet." in state_text(page, "domains")
    assert problems.errors == []


def test_a_cluster_without_traffic_in_the_range_says_so(page: Any, master_url: str) -> None:
    page.goto(f"{master_url}/#cluster={known_data.IDLE_CLUSTER}&range=1h")
    wait_for(page, "#layer-mesh[data-state=empty]")
    assert "No traffic in this range." in state_text(page, "mesh")
    options = page.eval_on_selector_all("#cluster-select option", "(all) => all.map((o) => o.value)")
    assert sorted(options) == sorted([known_data.CLUSTER, known_data.IDLE_CLUSTER])
    assert page.input_value("#cluster-select") == known_data.IDLE_CLUSTER
    # Going back to the busy cluster shows its graph again.
    page.select_option("#cluster-select", known_data.CLUSTER)
    wait_for(page, READY_MESH)
    assert graph_ids(page)[0] == set(known_data.WORKLOAD_IDS)


def test_the_cluster_selector_sends_the_chosen_cluster(page: Any, master_url: str) -> None:
    open_mesh(page, master_url, f"#cluster={known_data.CLUSTER}")
    with page.expect_request(
        lambda r: "/mesh/topology" in r.url and f"cluster_id={known_data.IDLE_CLUSTER}" in r.url
    ):
        page.select_option("#cluster-select", known_data.IDLE_CLUSTER)


@pytest.fixture
def fake() -> Iterator[tuple[FakeData, str]]:
    data = FakeData(clusters=one_cluster(), topology=large_topology(12, 20))
    with serve(create_fake_app(data)) as url:
        yield data, url


def test_an_api_failure_shows_its_message(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    data.failing.add("topology")
    page.goto(f"{url}/")
    page.wait_for_selector("#layer-mesh[data-state=error]", state="attached")
    assert "topology is unavailable (test)" in state_text(page, "mesh")
    assert "topology is unavailable (test)" in page.inner_text("#banner")


def test_a_failed_refresh_keeps_the_last_good_picture(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    open_mesh(page, url)
    data.failing.add("topology")
    page.click("#refresh-now")
    page.wait_for_selector("#layer-mesh[data-state=error]", state="attached")
    assert "Refresh failed, showing earlier data" in page.inner_text("#banner")
    assert page.is_visible("#graph")
    assert page.locator("#workload-table tbody tr").count() == 12
    data.failing.clear()
    page.click("#refresh-now")
    page.wait_for_selector("#layer-mesh[data-state=ready]", state="attached")
    assert page.is_hidden("#banner")


def test_auto_refresh_fires_every_30_s_and_can_be_paused(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    page.clock.install()
    open_mesh(page, url)

    def topology_calls() -> int:
        return sum(1 for name, _ in data.requests if name == "topology")

    def wait_for_calls(count: int) -> None:
        deadline = time.monotonic() + 15
        while topology_calls() < count and time.monotonic() < deadline:
            page.wait_for_timeout(50)

    before = topology_calls()
    # The installed clock also moves with real time (a few seconds since the page
    # loaded): 25 s of fake time stays clear of the 30 s mark.
    page.clock.run_for(25_000)
    page.wait_for_timeout(500)
    assert topology_calls() == before, "refreshed before 30 s"
    page.clock.run_for(6_000)
    wait_for_calls(before + 1)
    assert topology_calls() == before + 1
    page.wait_for_selector("#layer-mesh:not(.refreshing)", state="attached")
    page.click("#refresh-toggle")
    assert page.get_attribute("#refresh-toggle", "aria-pressed") == "false"
    page.clock.run_for(95_000)
    page.wait_for_timeout(1_000)
    assert topology_calls() == before + 1, "refreshed while paused"
    page.click("#refresh-toggle")
    page.clock.run_for(31_000)
    wait_for_calls(before + 2)
    assert topology_calls() == before + 2


@pytest.fixture(scope="module")
def guarded_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_master(tmp_path_factory.mktemp("guarded"), "--read-token", "read-secret") as url:
        post_snapshots(url, known_data.snapshots(int(time.time())))
        yield url


def test_a_read_token_is_asked_for_then_sent_as_bearer(page: Any, guarded_master: str) -> None:
    page.goto(f"{guarded_master}/")
    page.wait_for_selector("#layer-mesh[data-state=error]", state="attached")
    assert "?token=" in state_text(page, "mesh")
    with page.expect_request(lambda r: "/api/v2/slo/mesh/topology" in r.url) as request:
        page.goto(f"{guarded_master}/?token=read-secret")
    assert request.value.headers.get("authorization") == "Bearer read-secret"
    page.wait_for_selector(READY_MESH, state="attached")
    assert "token" not in page.url
    # The token stays for the tab: a reload without it in the address still works.
    page.reload()
    page.wait_for_selector(READY_MESH, state="attached")
