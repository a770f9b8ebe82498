"""History points without snapshots arrive as null: the charts break the line
there instead of drawing 0, and the tooltip reads "no data".

The real master's answers are intercepted and the first half of each series is
replaced by nulls, as for a range that starts before the first snapshot."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.e2e.browser import known_data
from tests.e2e.browser.pages import open_domains, open_mesh, wait_for_detail

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DETAIL_ID = "shop/frontend"
DOMAIN = "shop.example.com"

CHART_STATE = """(selector) => {
    const chart = window.Chart.getChart(document.querySelector(selector));
    const dataset = chart.data.datasets[0];
    const label = chart.options.plugins.tooltip.callbacks.label;
    const item = (i) => ({ raw: dataset.data[i], parsed: { y: dataset.data[i] } });
    return {
        data: dataset.data,
        spanGaps: dataset.spanGaps,
        skipped: chart.getDatasetMeta(0).data.map((point) => point.skip),
        tooltips: dataset.data.map((_, i) => label(item(i))),
        caption: document.querySelector(selector).closest("figure").querySelector("figcaption").textContent,
    };
}"""


def blank_first_half(points: list[dict[str, Any]], keys: tuple[str, ...]) -> int:
    """Null the metrics of the first half of ``points``; how many were blanked."""
    half = len(points) // 2
    for point in points[:half]:
        for key in keys:
            point[key] = None
    return half


def intercept(page: Any, pattern: str, field: str, keys: tuple[str, ...], blanked: list[int]) -> None:
    def handle(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        blanked.append(blank_first_half(body[field], keys))
        route.fulfill(response=response, body=json.dumps(body))

    page.route(pattern, handle)


def assert_gap(state: dict[str, Any], blanked: int, what: str) -> None:
    data = state["data"]
    assert blanked > 0 and len(data) > blanked, f"{what}: too few history points to test a gap"
    assert state["spanGaps"] is False
    assert data[:blanked] == [None] * blanked, f"{what}: a missing point was drawn as {data[:blanked]}"
    # Every null (the blanked ones, and any the master sent itself) is a gap, nothing else is.
    assert state["skipped"] == [value is None for value in data], what
    assert any(value is not None for value in data[blanked:]), f"{what}: nothing left to draw"
    for value, text in zip(data, state["tooltips"], strict=True):
        assert (text == "no data") == (value is None) and "NaN" not in text, f"{what}: {value} -> {text!r}"
    assert "no data" in state["caption"], what


def test_workload_history_charts_leave_gaps_where_there_is_no_data(page: Any, master_url: str) -> None:
    blanked: list[int] = []
    keys = ("rps", "p95", "error_rate", "availability", "mtls_percent")
    intercept(page, "**/api/v2/slo/mesh/service/detail*", "history", keys, blanked)
    open_mesh(page, master_url, f"#workload={DETAIL_ID}")
    wait_for_detail(page, DETAIL_ID)
    for metric in ("rps", "p95", "error_rate", "availability"):
        state = page.evaluate(CHART_STATE, f"#detail [data-chart={metric}] canvas")
        assert_gap(state, blanked[-1], metric)
    # The tiles show the range's totals, which the gap does not change.
    assert page.locator("#detail [data-metric=rps] .tile-value").inner_text() != "0.000 rps"


def test_domain_history_charts_leave_gaps_where_there_is_no_data(page: Any, master_url: str) -> None:
    assert DOMAIN in known_data.DOMAINS
    blanked: list[int] = []
    intercept(page, "**/api/v2/slo/domains/history*", "points", ("rps", "availability", "p95"), blanked)
    open_domains(page, master_url)
    card = f"#domain-cards article[data-domain='{DOMAIN}']"
    page.locator(card).scroll_into_view_if_needed()
    page.locator(f"{card} .domain-history[data-state=ready] [data-chart=availability] canvas").wait_for()
    for metric in ("availability", "p95"):
        state = page.evaluate(CHART_STATE, f"{card} [data-chart={metric}] canvas")
        assert_gap(state, blanked[-1], metric)
