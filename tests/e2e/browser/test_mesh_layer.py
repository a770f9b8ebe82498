"""The service mesh layer against a real master holding the known data set."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.e2e.browser import known_data
from tests.e2e.browser.display import assert_shows
from tests.e2e.browser.pages import (
    PageProblems,
    click_graph_node,
    graph_ids,
    open_mesh,
    tile_text,
    wait_for_detail,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PARAMS = known_data.PARAMS


def topology(api: httpx.Client) -> dict[str, Any]:
    return known_data.answer(api, "/api/v2/slo/mesh/topology")


def test_graph_draws_every_workload_and_call_edge(
    page: Any, master_url: str, api: httpx.Client, problems: PageProblems
) -> None:
    open_mesh(page, master_url)
    nodes, edges = graph_ids(page)
    answer = topology(api)
    assert nodes == {node["id"] for node in answer["nodes"]} == set(known_data.WORKLOAD_IDS)
    assert edges == {(edge["source"], edge["target"]) for edge in answer["edges"]} == set(known_data.EDGE_IDS)
    colours = page.evaluate(
        "() => Object.fromEntries(window.meshslo.cy.nodes().map((n) => [n.id(), n.data('status')]))"
    )
    assert colours == {node["id"]: node["status"] for node in answer["nodes"]}
    assert problems.errors == []


def test_graph_sizes_nodes_by_rps_and_marks_mtls(page: Any, master_url: str, api: httpx.Client) -> None:
    open_mesh(page, master_url)
    drawn = page.evaluate(
        """() => Object.fromEntries(window.meshslo.cy.nodes().map((n) =>
            [n.id(), { size: n.width(), border: n.style('border-style') }]))"""
    )
    by_rps = sorted(topology(api)["nodes"], key=lambda node: node["rps"])
    sizes = [drawn[node["id"]]["size"] for node in by_rps]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    # frontend: every request over mTLS; checkout: some; payments: none.
    assert drawn["shop/frontend"]["border"] == "solid"
    assert drawn["shop/checkout"]["border"] == "dashed"
    assert drawn["payments/payments"]["border"] == "dotted"


def test_edge_labels_carry_rps_and_error_rate(page: Any, master_url: str, api: httpx.Client) -> None:
    open_mesh(page, master_url)
    labels = page.evaluate(
        """() => Object.fromEntries(window.meshslo.cy.edges().map((e) =>
            [e.source().id() + ' ' + e.target().id(), e.data('label')]))"""
    )
    for edge in topology(api)["edges"]:
        rps_text, error_text = labels[f"{edge['source']} {edge['target']}"].split("·")
        assert_shows(rps_text, edge["rps"], "edge rps")
        assert_shows(error_text, edge["error_rate"], "edge error rate")


def table_rows(page: Any) -> list[tuple[str, list[str]]]:
    """(node id, cell texts) of every table row, top to bottom."""
    return [
        (node_id, cells)
        for node_id, cells in page.eval_on_selector_all(
            "#workload-table tbody tr",
            "(rows) => rows.map((r) => [r.dataset.nodeId, [...r.cells].map((c) => c.innerText)])",
        )
    ]


def test_table_lists_workloads_with_api_numbers(page: Any, master_url: str, api: httpx.Client) -> None:
    open_mesh(page, master_url)
    rows = dict(table_rows(page))
    nodes = topology(api)["nodes"]
    assert set(rows) == {node["id"] for node in nodes}
    for node in nodes:
        cells = rows[node["id"]]
        assert cells[0] == node["name"]
        assert cells[1] == node["namespace"]
        assert cells[2].lower() == node["status"]
        assert_shows(cells[3], node["rps"], f"{node['id']} rps")
        assert_shows(cells[4], node["p95_latency"], f"{node['id']} p95")
        assert_shows(cells[5], node["error_rate"], f"{node['id']} error rate")
        assert_shows(cells[6], node["availability"], f"{node['id']} availability")
        assert_shows(cells[7], node["mtls_percent"], f"{node['id']} mTLS")
        assert_shows(cells[8], node["total_requests"], f"{node['id']} requests")


def test_table_sorts_by_a_clicked_column_both_ways(page: Any, master_url: str, api: httpx.Client) -> None:
    open_mesh(page, master_url)
    nodes = topology(api)["nodes"]
    header = "#workload-table th[data-sort=error_rate]"
    page.click(header)
    assert page.get_attribute(header, "aria-sort") == "descending"
    descending = [n["id"] for n in sorted(nodes, key=lambda n: (-n["error_rate"], n["id"]))]
    assert [node_id for node_id, _ in table_rows(page)] == descending
    page.click(header)
    assert page.get_attribute(header, "aria-sort") == "ascending"
    ascending = [n["id"] for n in sorted(nodes, key=lambda n: (n["error_rate"], n["id"]))]
    assert [node_id for node_id, _ in table_rows(page)] == ascending


def test_filter_narrows_the_table(page: Any, master_url: str) -> None:
    open_mesh(page, master_url)
    page.fill("#workload-filter", "shop")
    assert {node_id for node_id, _ in table_rows(page)} == {"shop/frontend", "shop/checkout"}
    assert page.inner_text("#workload-count") == "2 of 4 workloads"


def test_clicking_a_graph_node_opens_its_detail_with_api_numbers(
    page: Any, master_url: str, api: httpx.Client, problems: PageProblems
) -> None:
    open_mesh(page, master_url)
    click_graph_node(page, "shop/checkout")
    wait_for_detail(page, "shop/checkout")
    response = api.get(
        "/api/v2/slo/mesh/service/detail", params={**PARAMS, "namespace": "shop", "name": "checkout"}
    )
    detail = response.json()
    node = detail["node"]
    assert page.inner_text("#detail .detail-title") == "checkout"
    for metric, field in [
        ("rps", "rps"),
        ("total_requests", "total_requests"),
        ("error_rate", "error_rate"),
        ("availability", "availability"),
        ("p50", "p50_latency"),
        ("p95", "p95_latency"),
        ("p99", "p99_latency"),
        ("avg", "avg_latency"),
        ("mtls_percent", "mtls_percent"),
        ("errors", "errors"),
    ]:
        assert_shows(tile_text(page, metric), node[field], f"detail {metric}")
    assert_shows(tile_text(page, "error_budget"), detail["error_budget"], "detail error budget")
    assert page.evaluate("() => window.meshslo.cy.getElementById('shop/checkout').selected()")
    # Charts drawn for history, histogram and status codes.
    for chart in ["rps", "p95", "error_rate", "availability", "latency", "status_codes"]:
        assert page.locator(f"#detail [data-chart='{chart}'] canvas").count() == 1, chart
    histogram = page.evaluate(
        """() => { const c = Chart.getChart(document.querySelector("#detail [data-chart='latency'] canvas"));
                   return c.data.datasets[0].data; }"""
    )
    assert histogram == [bucket["count"] for bucket in detail["latency_buckets"]]
    upstream_ids = page.eval_on_selector_all(
        "[data-peers=upstreams] tbody tr", "(r) => r.map((x) => x.dataset.nodeId)"
    )
    downstream_ids = page.eval_on_selector_all(
        "[data-peers=downstreams] tbody tr", "(r) => r.map((x) => x.dataset.nodeId)"
    )
    assert upstream_ids == [edge["source"] for edge in detail["upstreams"]] == ["shop/frontend"]
    assert downstream_ids == [edge["target"] for edge in detail["downstreams"]] == ["payments/payments"]
    assert problems.errors == []


def test_a_peer_link_moves_the_detail_to_that_workload(page: Any, master_url: str) -> None:
    open_mesh(page, master_url, "#workload=shop%2Fcheckout")
    wait_for_detail(page, "shop/checkout")
    page.click("[data-peers=downstreams] button")
    wait_for_detail(page, "payments/payments")
    assert page.inner_text("#detail .detail-title") == "payments"
    assert "workload=payments%2Fpayments" in page.url


def test_changing_the_time_range_changes_the_request(page: Any, master_url: str) -> None:
    open_mesh(page, master_url)
    with page.expect_request(lambda r: "/api/v2/slo/mesh/topology" in r.url and "time_range=6h" in r.url):
        page.select_option("#range-select", "6h")
    page.wait_for_selector("#layer-mesh[data-state=ready]", state="attached")
    assert "range=6h" in page.url


def test_every_offered_range_is_one_the_api_accepts(page: Any, master_url: str) -> None:
    open_mesh(page, master_url)
    offered = page.eval_on_selector_all("#range-select option", "(all) => all.map((o) => o.value)")
    assert offered == ["15m", "1h", "6h", "24h", "7d", "30d"]
    for time_range in offered[::-1]:
        if page.input_value("#range-select") == time_range:
            continue
        with page.expect_response(
            lambda r, t=time_range: "/mesh/topology" in r.url and f"time_range={t}" in r.url
        ) as answer:
            page.select_option("#range-select", time_range)
        assert answer.value.status == 200, time_range
        page.wait_for_selector("#layer-mesh[data-state=ready]", state="attached")
        assert page.is_hidden("#banner")
        assert graph_ids(page)[0] == set(known_data.WORKLOAD_IDS)
