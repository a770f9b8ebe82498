"""The objectives editor against a real master with a read and an admin token (SPEC §10)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.e2e.browser import known_data
from tests.e2e.browser.master_process import post_snapshots, run_master
from tests.e2e.browser.pages import READY_DOMAINS, READY_MESH, PageProblems, wait_for_detail

READ = "read-secret"
ADMIN = "admin-secret"
WORKLOAD = "shop/checkout"
EDITOR = "#detail .objective-editor[data-state=ready]"


@pytest.fixture(scope="module")
def admin_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("admin-master")
    with run_master(directory, "--read-token", READ, "--admin-token", ADMIN) as url:
        post_snapshots(url, known_data.snapshots(int(time.time())))
        yield url


def stored_targets(url: str, target_type: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{url}/api/v2/slo/targets", params={"target_type": target_type},
        headers={"Authorization": f"Bearer {READ}"}, timeout=30,
    )  # fmt: skip
    response.raise_for_status()
    return list(response.json()["targets"])


def open_workload(page: Any, url: str, query: str) -> None:
    page.goto(f"{url}/?{query}#layer=mesh&workload={WORKLOAD}")
    page.wait_for_selector(READY_MESH, state="attached")
    wait_for_detail(page, WORKLOAD)


def open_editor(page: Any, scope: str = "#detail") -> Any:
    page.locator(f"{scope} [data-objectives] [data-action=edit]").click()
    page.locator(f"{scope} .objective-editor[data-state=ready]").wait_for()
    return page.locator(f"{scope} .objective-editor")


def test_a_latency_objective_set_on_the_page_is_stored_and_shown(
    page: Any, admin_master: str, problems: PageProblems
) -> None:
    with page.expect_request(lambda r: "/api/v2/slo/mesh/topology" in r.url) as first_read:
        open_workload(page, admin_master, f"admin_token={ADMIN}")
    # Only the admin token given: it reads too, and it leaves the address bar.
    assert first_read.value.headers.get("authorization") == f"Bearer {ADMIN}"
    assert "admin_token" not in page.url

    editor = open_editor(page)
    editor.locator("select[name=window]").select_option("28d")
    editor.locator("input[name=latency_threshold_ms]").fill("100")
    editor.locator("input[name=latency_target]").fill("99")
    editor.locator("input[name=availability_target]").fill("99.5")
    with page.expect_request(lambda r: r.method == "PUT") as put:
        editor.locator("[data-action=save]").click()
    assert put.value.headers.get("authorization") == f"Bearer {ADMIN}"
    page.locator("#detail [data-role=editor-message][data-kind=ok]").wait_for()

    stored = [t for t in stored_targets(admin_master, "service") if t["key"] == WORKLOAD]
    assert len(stored) == 1, stored
    assert stored[0]["window"] == "28d"
    assert stored[0]["latency_threshold_ms"] == 100
    assert stored[0]["latency_target"] == 99
    assert stored[0]["availability_target"] == 99.5
    assert stored[0]["alerting"] is True

    # The detail reloads with the new objectives, each with its budget bar.
    latency = page.locator("#detail .objective[data-sli=latency][data-window='28d']")
    latency.wait_for()
    assert "within 100 ms" in latency.locator(".objective-name").inner_text()
    assert "99 %" in latency.locator(".objective-name").inner_text()
    assert latency.locator(".meter-fill").count() == 1
    assert "budget" in latency.locator("[data-role=budget]").inner_text()
    # 100 ms is a bucket bound of the workload's data: exact, never "estimated".
    assert latency.locator("[data-role=estimated]").count() == 0
    assert page.locator("#detail .objective[data-sli=availability][data-window='28d']").count() == 1
    # The editor stayed open through the reload.
    assert page.locator("#detail .objective-editor").count() == 1

    # A threshold between bucket bounds is interpolated: the page says so.
    editor.locator("input[name=latency_threshold_ms]").fill("60")
    editor.locator("[data-action=save]").click()
    page.wait_for_function(
        "() => document.querySelector('#detail .objective[data-sli=latency] .objective-name')"
        "?.textContent.includes('60')"
    )
    assert page.locator("#detail .objective[data-sli=latency] [data-role=estimated]").count() == 1

    # Remove: gone from the API, back to the defaults on the page.
    editor.locator("[data-action=remove]").click()
    page.locator("#detail [data-role=defaults]").wait_for()
    assert [t for t in stored_targets(admin_master, "service") if t["key"] == WORKLOAD] == []
    assert problems.errors == [] and problems.dialogs == []


def test_an_invalid_value_shows_the_apis_message_next_to_its_field(page: Any, admin_master: str) -> None:
    open_workload(page, admin_master, f"admin_token={ADMIN}")
    editor = open_editor(page)
    editor.locator("input[name=latency_threshold_ms]").fill("250")
    editor.locator("input[name=latency_target]").fill("120")
    with page.expect_response(lambda r: r.request.method == "PUT") as answer:
        editor.locator("[data-action=save]").click()
    assert answer.value.status == 422
    detail = answer.value.json()["detail"]
    error = editor.locator("[data-error-for=latency_target]")
    error.wait_for()
    assert error.inner_text() in detail and "120" in error.inner_text()
    assert editor.locator("input[name=latency_target]").get_attribute("aria-invalid") == "true"
    assert editor.locator("[data-error-for=latency_threshold_ms]").inner_text() == ""
    assert [t for t in stored_targets(admin_master, "service") if t["key"] == WORKLOAD] == []


def test_a_read_token_cannot_change_objectives_and_the_page_says_so(page: Any, admin_master: str) -> None:
    open_workload(page, admin_master, f"token={READ}")
    editor = open_editor(page)
    editor.locator("input[name=availability_target]").fill("99")
    with page.expect_response(lambda r: r.request.method == "PUT") as answer:
        editor.locator("[data-action=save]").click()
    assert answer.value.status == 403
    message = editor.locator("[data-role=editor-message][data-kind=error]")
    message.wait_for()
    assert "read token cannot change" in message.inner_text()
    assert "admin_token" in message.inner_text()
    assert [t for t in stored_targets(admin_master, "service") if t["key"] == WORKLOAD] == []


def test_a_domain_card_edits_the_domains_objectives(page: Any, admin_master: str) -> None:
    page.goto(f"{admin_master}/?admin_token={ADMIN}#layer=domains")
    page.wait_for_selector(READY_DOMAINS, state="attached")
    card = "[data-domain='shop.example.com']"
    editor = open_editor(page, card)
    editor.locator("select[name=window]").select_option("month")
    editor.locator("input[name=availability_target]").fill("99.9")
    editor.locator("input[name=alerting]").uncheck()
    editor.locator("[data-action=save]").click()
    page.locator(f"{card} .objective[data-sli=availability][data-window=month]").wait_for()
    stored = [t for t in stored_targets(admin_master, "ingress") if t["key"] == "shop.example.com"]
    shown = [(t["window"], t["availability_target"], t["alerting"]) for t in stored]
    assert shown == [("month", 99.9, False)]
    # 1.67 % of the domain's requests failed against a 0.1 % budget: overspent, in red.
    budget = page.locator(f"{card} .objective[data-sli=availability] [data-role=budget]")
    assert "overspent" in budget.inner_text()
    assert "text-critical" in (budget.get_attribute("class") or "")
