"""Metric labels are untrusted: hostile names must show as text and run nothing.

The page's Content-Security-Policy is bypassed in these tests (see conftest), so
they prove the page never turns a label into markup, not merely that CSP blocks it.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.e2e.browser import known_data
from tests.e2e.browser.pages import PageProblems, open_domains, open_mesh, wait_for_detail

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

XSS_ID = f"xss/{known_data.XSS_WORKLOAD}"


def assert_no_injected_markup(page: Any) -> None:
    injected = page.evaluate(
        """() => ({
            images: document.querySelectorAll("img").length,
            scripts: [...document.scripts].filter((s) => !s.src.includes("/static/")).length,
            handlers: [...document.querySelectorAll("*")].filter((e) =>
                [...e.attributes].some((a) => a.name.startsWith("on"))).length,
        })"""
    )
    assert injected == {"images": 0, "scripts": 0, "handlers": 0}


def test_hostile_workload_name_is_text_in_graph_table_and_detail(
    page: Any, master_url: str, problems: PageProblems
) -> None:
    open_mesh(page, master_url)
    label = page.evaluate("(id) => window.meshslo.cy.getElementById(id).data('label')", XSS_ID)
    assert label == known_data.XSS_WORKLOAD
    row = page.locator("#workload-table tbody tr").filter(has_text=known_data.XSS_WORKLOAD)
    assert row.locator("td").first.inner_text() == known_data.XSS_WORKLOAD
    row.locator("button").click()
    wait_for_detail(page, XSS_ID)
    assert page.inner_text("#detail .detail-title") == known_data.XSS_WORKLOAD
    assert_no_injected_markup(page)
    assert problems.dialogs == []
    assert problems.errors == []


def test_hostile_domain_path_and_backend_are_text_in_the_cards(
    page: Any, master_url: str, problems: PageProblems
) -> None:
    open_domains(page, master_url)
    titles = page.locator("#domain-cards .card-title").all_inner_texts()
    assert known_data.XSS_DOMAIN in titles
    card = page.locator("#domain-cards article").filter(has_text=known_data.XSS_DOMAIN)
    assert known_data.XSS_PATH in card.locator(".backends").inner_text()
    link = card.locator("button.backend-link")
    assert link.inner_text() == f"→ {XSS_ID}"
    assert_no_injected_markup(page)
    link.click()
    wait_for_detail(page, XSS_ID)
    assert page.inner_text("#detail .detail-title") == known_data.XSS_WORKLOAD
    assert_no_injected_markup(page)
    assert problems.dialogs == []
    assert problems.errors == []
