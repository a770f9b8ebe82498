"""Page behaviour that needs situations a real master cannot easily produce:
answers that change between refreshes, missing values, slow and failing answers.
The fake API answers with the query API's own response models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from tests.e2e.browser.fake_api import (
    RANGE,
    FakeData,
    create_fake_app,
    large_topology,
    one_cluster,
    status_change,
)
from tests.e2e.browser.layout_check import node_positions as positions
from tests.e2e.browser.pages import READY_MESH, PageProblems, open_mesh, wait_for, wait_for_detail
from tests.e2e.browser.server import serve

from adapters.api import schemas

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture
def fake() -> Iterator[tuple[FakeData, str]]:
    data = FakeData(clusters=one_cluster(), topology=large_topology(12, 20))
    with serve(create_fake_app(data)) as url:
        yield data, url


def refresh(page: Any) -> None:
    page.evaluate("() => { delete document.querySelector('#layer-mesh').dataset.renderedAt; }")
    page.click("#refresh-now")
    wait_for(page, READY_MESH)


def with_node(topology: schemas.TopologyResponse, node_id: str, **changes: Any) -> schemas.TopologyResponse:
    nodes = [node.model_copy(update=changes) if node.id == node_id else node for node in topology.nodes]
    return topology.model_copy(update={"nodes": nodes})


def test_a_refresh_with_the_same_workloads_keeps_positions_and_updates_status(
    page: Any, fake: tuple[FakeData, str]
) -> None:
    data, url = fake
    open_mesh(page, url)
    before = positions(page)
    target = data.topology.nodes[0].id
    data.topology = with_node(data.topology, target, status="critical", rps=999.0)
    refresh(page)
    assert positions(page) == before
    drawn = page.evaluate("(id) => window.meshslo.cy.getElementById(id).classes()", target)
    assert "status-critical" in drawn
    first_row = page.eval_on_selector("#workload-table tbody tr", "(row) => row.dataset.nodeId")
    assert first_row == target  # sorted by rps, now the busiest


def test_a_new_workload_is_laid_out_and_drawn(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    open_mesh(page, url)
    extra = data.topology.nodes[0].model_copy(
        update={"id": "late/arrival", "name": "arrival", "namespace": "late"}
    )
    data.topology = data.topology.model_copy(update={"nodes": [*data.topology.nodes, extra]})
    refresh(page)
    assert "late/arrival" in positions(page)
    assert page.locator("#workload-table tbody tr[data-node-id='late/arrival']").count() == 1


def test_missing_values_show_a_dash_and_sort_last_both_ways(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    silent = data.topology.nodes[3].id
    data.topology = with_node(
        data.topology, silent, rps=0.0, availability=None, error_rate=None, p95_latency=None,
        mtls_percent=None, total_requests=0, errors=0, status="unknown",
    )  # fmt: skip
    open_mesh(page, url)
    header = "#workload-table th[data-sort=availability]"
    for _ in range(2):
        page.click(header)
        rows = page.eval_on_selector_all(
            "#workload-table tbody tr", "(rows) => rows.map((r) => [r.dataset.nodeId, r.cells[6].innerText])"
        )
        assert rows[-1] == [silent, "–"], rows
    cells = page.eval_on_selector(
        f"#workload-table tbody tr[data-node-id='{silent}']", "(r) => [...r.cells].map((c) => c.innerText)"
    )
    assert cells[2].lower() == "no traffic"
    assert cells[4] == cells[5] == cells[6] == cells[7] == "–"


def test_sorting_works_from_the_keyboard(page: Any, fake: tuple[FakeData, str]) -> None:
    _, url = fake
    open_mesh(page, url)
    page.focus("#workload-table th[data-sort=name]")
    page.keyboard.press("Enter")
    names = page.eval_on_selector_all(
        "#workload-table tbody tr", "(rows) => rows.map((r) => r.cells[0].innerText)"
    )
    assert names == sorted(names)
    assert page.get_attribute("#workload-table th[data-sort=name]", "aria-sort") == "ascending"


def test_a_failing_detail_says_so_inside_the_panel(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    data.failing.add("detail")
    node_id = data.topology.nodes[0].id
    open_mesh(page, url)
    page.click(f"#workload-table tbody tr[data-node-id='{node_id}'] button")
    page.wait_for_selector("#detail[data-state=error]")
    assert "Could not load this workload" in page.inner_text("#detail")
    assert "detail is unavailable (test)" in page.inner_text("#detail")
    page.click("#detail button[aria-label='Close detail']")
    assert page.is_hidden("#detail")
    assert page.evaluate("() => window.meshslo.cy.nodes(':selected').length") == 0


def test_changing_the_range_refetches_the_open_detail(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    node_id = data.topology.nodes[0].id
    open_mesh(page, url, f"#workload={node_id}")
    wait_for_detail(page, node_id)
    with page.expect_request(lambda r: "/service/detail" in r.url and "time_range=7d" in r.url):
        page.select_option("#range-select", "7d")


def test_a_slow_older_answer_never_overwrites_a_newer_one(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    slow = large_topology(3, 2, seed=1)
    fast = large_topology(5, 4, seed=2)
    data.topology_by_range = {"6h": slow, "24h": fast}
    data.delay_by_range = {"6h": 2.0}
    open_mesh(page, url)
    settled: list[str] = []
    page.on("requestfinished", lambda r: settled.append(r.url) if "time_range=6h" in r.url else None)
    page.on("requestfailed", lambda r: settled.append(r.url) if "time_range=6h" in r.url else None)
    # The 6h request is on its way (answered in 2 s) when the range changes again.
    with page.expect_request(lambda r: "/mesh/topology" in r.url and "time_range=6h" in r.url):
        page.select_option("#range-select", "6h")
    page.select_option("#range-select", "24h")
    page.wait_for_function("() => document.querySelectorAll('#workload-table tbody tr').length === 5")
    # Whether aborted or answered, the 6h request is over by now; the page must not show it.
    deadline = time.monotonic() + 15
    while not settled:
        assert time.monotonic() < deadline, "the slow 6h request never ended"
        page.wait_for_timeout(50)
    page.wait_for_timeout(500)
    shown = page.eval_on_selector_all(
        "#workload-table tbody tr", "(rows) => rows.map((r) => r.dataset.nodeId)"
    )
    assert sorted(shown) == sorted(node.id for node in fast.nodes)
    assert page.input_value("#range-select") == "24h"


def test_an_empty_token_parameter_forgets_the_stored_token(page: Any, fake: tuple[FakeData, str]) -> None:
    _, url = fake
    page.goto(f"{url}/?token=abc")
    wait_for(page, READY_MESH)
    assert page.evaluate("() => sessionStorage.getItem('meshslo.readToken')") == "abc"
    with page.expect_request(lambda r: "/mesh/topology" in r.url) as request:
        page.goto(f"{url}/?token=")
    assert "authorization" not in request.value.headers
    assert page.evaluate("() => sessionStorage.getItem('meshslo.readToken')") is None


def test_domains_without_traffic_show_dashes_not_zeros(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    quiet = schemas.IngressMetricsOut(
        rps=0.0, total_requests=0, errors=0, availability=None, error_rate=None,
        avg_latency=None, p50_latency=None, p95_latency=None, p99_latency=None,
    )  # fmt: skip
    target = schemas.TargetInfo(availability=99.5, p95_ms=250.0, source="target")
    domain = schemas.DomainOut(
        domain="quiet.example.com", tls=False, services=[],
        summary=schemas.DomainSummary(
            **quiet.model_dump(), latency_distribution=[], methods=[], status_codes=[]
        ),
        previous_summary=quiet, targets=target, status="unknown", error_budget=None, objectives=[],
    )  # fmt: skip
    summary = schemas.DomainsGlobalSummary(
        total_domains=1, status_counts=schemas.StatusCounts(unknown=1), total_requests=0, errors=0,
        rps=0.0, availability=None, error_rate=None,
    )  # fmt: skip
    data.domains = schemas.DomainsResponse(**RANGE, domains=[domain], summary=summary)
    data.changes = [
        status_change("ingress", "quiet.example.com", "healthy", "unknown", RANGE["end"] - 60),
        status_change("ingress", "other.example.com", "healthy", "critical", RANGE["end"] - 30),
    ]
    page.goto(f"{url}/#layer=domains")
    wait_for(page, "#layer-domains[data-state=ready]")
    card = page.locator("article[data-domain='quiet.example.com']")
    for metric in ["availability", "p95", "p99"]:
        assert card.locator(f"[data-metric={metric}] .metric-value").inner_text() == "–"
    assert card.locator("[data-metric=availability] .metric-note").inner_text() == "target 99.50 %"
    assert card.locator("[data-metric=error_budget] .metric-value-small").inner_text() == "–"
    assert "No latency observations" in card.inner_text()
    assert "No backend in the routes." in card.inner_text()
    assert page.inner_text("#domain-summary [data-count=unknown] .summary-value") == "1"
    changes = card.locator("[data-changes=ingress] li")
    assert changes.count() == 1
    assert changes.first.get_attribute("data-changed-at") == str(RANGE["end"] - 60)
    card.locator(".domain-history[data-state=ready]").wait_for()
    assert "No traffic in this range." in card.locator(".domain-history").inner_text()


def test_no_script_errors_across_a_whole_tour(
    page: Any, fake: tuple[FakeData, str], problems: PageProblems
) -> None:
    data, url = fake
    open_mesh(page, url)
    page.click(f"#workload-table tbody tr[data-node-id='{data.topology.nodes[2].id}'] button")
    page.wait_for_selector("#detail[data-state=ready]")
    page.click("#tab-domains")
    wait_for(page, "#layer-domains[data-state=empty]")
    assert "No domains in this range." in page.inner_text("#layer-domains")
    page.click("#tab-mesh")
    wait_for(page, READY_MESH)
    page.click("#graph-fit")
    assert problems.errors == [] and problems.dialogs == []
    assert problems.console_errors == []


def test_the_page_works_under_a_path_prefix(page: Any, problems: PageProblems) -> None:
    # As behind a reverse proxy that serves the master at https://example.com/slo/.
    data = FakeData(clusters=one_cluster(), topology=large_topology(6, 5))
    outer = FastAPI()
    outer.mount("/slo", create_fake_app(data))
    with serve(outer) as url:
        open_mesh(page, f"{url}/slo")
        assert page.locator("#workload-table tbody tr").count() == 6
        assert {name for name, _ in data.requests} >= {"clusters", "topology"}
    assert problems.errors == []


def test_the_detail_lists_the_workloads_status_changes_newest_first(
    page: Any, fake: tuple[FakeData, str]
) -> None:
    data, url = fake
    node_id, other = data.topology.nodes[0].id, data.topology.nodes[1].id
    start = RANGE["end"] - 3000
    data.changes = [
        status_change("service", node_id, "unknown", "healthy", start),
        status_change("service", node_id, "healthy", "critical", start + 600),
        status_change("service", other, "healthy", "warning", start + 900),
        status_change("ingress", node_id, "healthy", "warning", start + 1200),
    ]
    open_mesh(page, url, f"#workload={node_id.replace('/', '%2F')}")
    wait_for_detail(page, node_id)
    items = page.locator("#detail [data-changes=service] li")
    assert items.count() == 2
    assert [items.nth(i).get_attribute("data-changed-at") for i in range(2)] == [str(start + 600), str(start)]
    assert items.nth(0).locator(".badge").all_inner_texts() == ["HEALTHY", "CRITICAL"]
    request = next(params for name, params in data.requests if name == "status-history")
    assert request["target_type"] == "service" and request["key"] == node_id


def test_the_detail_still_shows_when_status_history_fails(page: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    data.failing.add("status-history")
    node_id = data.topology.nodes[0].id
    open_mesh(page, url, f"#workload={node_id.replace('/', '%2F')}")
    wait_for_detail(page, node_id)
    assert "The status history could not be read." in page.inner_text("#detail [data-changes=service]")
    assert page.locator("#detail [data-metric=rps]").count() == 1


def test_on_a_narrow_screen_the_detail_scrolls_into_view(browser: Any, fake: tuple[FakeData, str]) -> None:
    data, url = fake
    context = browser.new_context(viewport={"width": 900, "height": 700}, bypass_csp=True)
    try:
        page = context.new_page()
        open_mesh(page, url)
        page.locator(f"#workload-table tbody tr[data-node-id='{data.topology.nodes[0].id}'] button").click()
        page.wait_for_selector("#detail[data-state=ready]")
        page.wait_for_function(
            """() => { const box = document.querySelector('#detail').getBoundingClientRect();
                       const bar = document.querySelector('.topbar').getBoundingClientRect();
                       return box.top >= bar.bottom - 1 && box.top < window.innerHeight; }"""
        )
    finally:
        context.close()
