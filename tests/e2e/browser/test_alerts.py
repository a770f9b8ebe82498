"""Alert state on the page (SPEC §11): the top bar's indicator, the graph's
marks, burn rates per tier and the burn-down chart. The master holds the known
data and the targets; its alert answers are intercepted with SPEC §11's shapes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.e2e.browser import known_data
from tests.e2e.browser.alert_data import AlertRoutes, alert, burn_down
from tests.e2e.browser.master_process import post_snapshots, run_master
from tests.e2e.browser.pages import READY_DOMAINS, READY_MESH, PageProblems, wait_for_detail

PAGED = "shop/checkout"
DOMAIN = "shop.example.com"


@pytest.fixture(scope="module")
def alert_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_master(tmp_path_factory.mktemp("alert-master")) as url:
        post_snapshots(url, known_data.snapshots(int(time.time())))
        for target_type, key in (("service", PAGED), ("ingress", DOMAIN)):
            body = {"target_type": target_type, "key": key, "window": "30d", "availability_target": 99.0}
            httpx.put(f"{url}/api/v2/slo/targets", json=body, timeout=30).raise_for_status()
        yield url


@pytest.fixture
def routes(page: Any) -> AlertRoutes:
    now = int(time.time())
    served = AlertRoutes(
        alerts=[
            alert("service", PAGED, 1, "firing", burn_long=22.9, burn_short=30.1, started_at=now - 600),
            alert(
                "service",
                PAGED,
                3,
                "resolved",
                burn_long=1.2,
                burn_short=0.4,
                started_at=now - 7200,
                resolved_at=now - 3600,
            ),
            alert("ingress", DOMAIN, 4, "firing", burn_long=1.6, burn_short=2.2, started_at=now - 9000),
        ],
        budget=[burn_down(now - 30 * 86400, 86400, [None, 100.0, 96.5, 90.0, 71.0, 40.0, -12.5])],
    )
    served.install(page)
    return served


def chart_points(page: Any, scope: str) -> list[Any]:
    return list(
        page.evaluate(
            """(scope) => {
                const canvas = document.querySelector(`${scope} [data-chart=burn-down] canvas`);
                return window.Chart.getChart(canvas).data.datasets[0].data;
            }""",
            scope,
        )
    )


def test_a_firing_page_shows_in_the_top_bar_on_the_graph_and_on_the_workload(
    page: Any, alert_master: str, routes: AlertRoutes, problems: PageProblems
) -> None:
    page.goto(f"{alert_master}/")
    page.wait_for_selector(READY_MESH, state="attached")
    indicator = page.locator("#alerts-indicator")
    page.locator("#alerts[data-state=ready]").wait_for(state="attached")
    assert indicator.locator("[data-count=page]").inner_text() == "1 page"
    assert indicator.locator("[data-count=ticket]").inner_text() == "1 ticket"
    assert ("alerts", {"state": "firing", "cluster_id": known_data.CLUSTER}) in routes.asked

    # The graph rings the paged workload, and only it.
    page.wait_for_function(f"() => document.querySelector('#graph').dataset.pagedNodes === '{PAGED}'")
    marked = page.evaluate("() => window.meshslo.cy.nodes('.alert-page').map((n) => n.id())")
    assert marked == [PAGED]

    # The list: pages first, each linking to its workload or domain.
    indicator.click()
    items = page.locator("#alerts-panel li")
    assert items.count() == 2
    assert items.nth(0).get_attribute("data-severity") == "page"
    assert "22.9" in items.nth(0).inner_text()
    items.nth(0).locator("[data-role=alert-link]").click()
    assert page.locator("#alerts-panel").is_hidden()
    wait_for_detail(page, PAGED)

    burn = page.locator("#detail [data-role=burn-rates]")
    firing = burn.locator("tr[data-tier='1']")
    assert firing.get_attribute("data-state") == "firing"
    assert firing.locator("[data-role=burn-long]").inner_text() == "22.9×"
    assert firing.locator("[data-role=burn-short]").inner_text() == "30.1×"
    assert "1h / 5m" in firing.inner_text()
    assert burn.locator("tr[data-tier='3']").get_attribute("data-state") == "resolved"
    assert "Tiers 2, 4: no alert row yet." in burn.inner_text()

    # The burn-down of the target's window, drawn from /budget's points.
    page.locator("#detail [data-chart=burn-down][data-state=ready]").wait_for()
    assert chart_points(page, "#detail") == [None, 100.0, 96.5, 90.0, 71.0, 40.0, -12.5]
    budget_asks = [query for name, query in routes.asked if name == "budget"]
    assert {"target_type": "service", "key": PAGED, "window": "30d"}.items() <= budget_asks[-1].items()
    assert problems.errors == [] and problems.dialogs == []


def test_an_ingress_alert_opens_its_domain_card_with_the_burn_rates(
    page: Any, alert_master: str, routes: AlertRoutes
) -> None:
    page.goto(f"{alert_master}/")
    page.wait_for_selector(READY_MESH, state="attached")
    page.locator("#alerts[data-state=ready]").wait_for(state="attached")
    page.locator("#alerts-indicator").click()
    page.locator(f"#alerts-panel li[data-key='{DOMAIN}'] [data-role=alert-link]").click()
    page.wait_for_selector(READY_DOMAINS, state="attached")
    card = page.locator(f"article[data-domain='{DOMAIN}']")
    assert "focused" in (card.get_attribute("class") or "")
    row = card.locator("[data-role=burn-rates] tr[data-tier='4']")
    assert row.get_attribute("data-state") == "firing"
    assert row.locator("[data-role=burn-long]").inner_text() == "1.60×"
    card.locator("[data-chart=burn-down][data-state=ready]").wait_for()
    assert chart_points(page, f"article[data-domain='{DOMAIN}']")[-1] == -12.5
    # A domain without alert rows says so instead of showing empty tiers.
    other = page.locator("article[data-domain='api.example.com'] [data-role=no-burn]")
    assert "No burn-rate alert recorded" in other.inner_text()


def test_without_firing_alerts_the_top_bar_says_so_and_nothing_is_ringed(
    page: Any, alert_master: str, routes: AlertRoutes
) -> None:
    routes.alerts = [row for row in routes.alerts if row["state"] != "firing"]
    page.goto(f"{alert_master}/")
    page.wait_for_selector(READY_MESH, state="attached")
    page.locator("#alerts[data-state=ready]").wait_for(state="attached")
    assert page.locator("#alerts-indicator [data-count=none]").inner_text() == "no alerts"
    assert page.evaluate("() => window.meshslo.cy.nodes('.alert-page').length") == 0
