"""The domains layer against a real master holding the known data set."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.e2e.browser import known_data
from tests.e2e.browser.display import assert_shows
from tests.e2e.browser.pages import PageProblems, open_domains, wait_for_detail

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PARAMS = known_data.PARAMS


def domains(api: httpx.Client) -> dict[str, Any]:
    return known_data.answer(api, "/api/v2/slo/domains/v2")


def card_of(page: Any, domain: str) -> Any:
    cards = page.locator("#domain-cards article.domain-card")
    for index in range(cards.count()):
        if cards.nth(index).get_attribute("data-domain") == domain:
            return cards.nth(index)
    raise AssertionError(f"no card for {domain!r}")


def breakdown(card: Any, role: str) -> dict[str, list[str]]:
    rows = card.locator(f"[data-breakdown={role}] tbody tr")
    return {
        rows.nth(i).get_attribute("data-key"): rows.nth(i).locator("td").all_inner_texts()
        for i in range(rows.count())
    }


def metric_value(card: Any, metric: str) -> str:
    return card.locator(f"[data-metric={metric}] .metric-value").inner_text()


def test_one_card_per_domain_with_the_api_numbers(
    page: Any, master_url: str, api: httpx.Client, problems: PageProblems
) -> None:
    open_domains(page, master_url)
    answer = domains(api)
    shown = page.eval_on_selector_all(
        "#domain-cards article", "(cards) => cards.map((c) => c.dataset.domain)"
    )
    assert sorted(shown) == sorted(d["domain"] for d in answer["domains"]) == sorted(known_data.DOMAINS)
    for domain in answer["domains"]:
        card = card_of(page, domain["domain"])
        summary = domain["summary"]
        assert card.locator(".card-title").inner_text() == domain["domain"]
        assert card.locator(".card-head .badge").inner_text().lower() == domain["status"]
        assert card.locator(".tag").inner_text() == ("TLS" if domain["tls"] else "no TLS")
        assert_shows(metric_value(card, "availability"), summary["availability"], "availability")
        assert_shows(metric_value(card, "p95"), summary["p95_latency"], "p95")
        assert_shows(metric_value(card, "p99"), summary["p99_latency"], "p99")
        assert_shows(metric_value(card, "rps"), summary["rps"], "rps")
        note = card.locator("[data-metric=availability] .metric-note").inner_text()
        assert_shows(note.removeprefix("target "), domain["targets"]["availability"], "availability target")
        budget = card.locator("[data-metric=error_budget] .metric-value-small").inner_text()
        assert_shows(budget, domain["error_budget"], "error budget")
        assert ("overspent" in budget) == (domain["error_budget"] < 0)
        methods = breakdown(card, "methods")
        assert set(methods) == {m["method"] for m in summary["methods"]}
        for method in summary["methods"]:
            assert_shows(methods[method["method"]][1], method["requests"], "method requests")
            assert_shows(methods[method["method"]][2], method["errors"], "method errors")
        codes = breakdown(card, "status_codes")
        for code in summary["status_codes"]:
            assert_shows(codes[code["code"]][1], code["count"], "status code count")
        histogram = page.evaluate(
            "(canvas) => Chart.getChart(canvas).data.datasets[0].data",
            card.locator("[data-chart=latency] canvas").element_handle(),
        )
        assert histogram == [bucket["count"] for bucket in summary["latency_distribution"]]
    assert problems.errors == []


def test_summary_strip_counts_domains_by_status(page: Any, master_url: str, api: httpx.Client) -> None:
    open_domains(page, master_url)
    counts = domains(api)["summary"]["status_counts"]
    for status, count in counts.items():
        text = page.locator(f"#domain-summary [data-count={status}] .summary-value").inner_text()
        assert int(text) == count, status


def test_backend_link_jumps_to_the_workload_in_the_mesh_layer(
    page: Any, master_url: str, api: httpx.Client
) -> None:
    open_domains(page, master_url)
    service = next(d for d in domains(api)["domains"] if d["domain"] == "api.example.com")["services"][0]
    assert service["backend_service_ids"] == ["shop/checkout"]
    link = card_of(page, "api.example.com").locator("button.backend-link")
    link.scroll_into_view_if_needed()
    assert page.evaluate("() => window.scrollY") > 0
    link.click()
    wait_for_detail(page, "shop/checkout")
    assert page.evaluate("() => window.scrollY") == 0
    assert page.get_attribute("#tab-mesh", "aria-selected") == "true"
    assert page.is_hidden("#layer-domains")
    assert page.inner_text("#detail .detail-title") == "checkout"
    page.wait_for_function("() => window.meshslo.cy.getElementById('shop/checkout').selected()")
    selected_row = page.eval_on_selector("#workload-table tbody tr.selected", "(row) => row.dataset.nodeId")
    assert selected_row == "shop/checkout"


def test_tabs_switch_layers_and_the_url_remembers_them(page: Any, master_url: str) -> None:
    open_domains(page, master_url)
    assert page.is_hidden("#layer-mesh")
    page.click("#tab-mesh")
    page.wait_for_selector("#layer-mesh[data-state=ready]", state="attached")
    assert page.is_visible("#graph")
    assert "layer=mesh" in page.url
    page.reload()
    page.wait_for_selector("#layer-mesh[data-state=ready]", state="attached")
    assert page.get_attribute("#tab-mesh", "aria-selected") == "true"


def test_a_card_in_view_draws_its_history_from_the_api(page: Any, master_url: str, api: httpx.Client) -> None:
    open_domains(page, master_url)
    card = card_of(page, "shop.example.com")
    card.scroll_into_view_if_needed()
    card.locator(".domain-history[data-state=ready]").wait_for()
    history = api.get("/api/v2/slo/domains/history", params={**PARAMS, "domain": "shop.example.com"}).json()
    drawn = page.evaluate(
        "(canvas) => Chart.getChart(canvas).data.datasets[0].data",
        card.locator(".domain-history [data-chart=availability] canvas").element_handle(),
    )
    assert drawn == [point["availability"] for point in history["points"]]
    assert any(value is not None for value in drawn)
