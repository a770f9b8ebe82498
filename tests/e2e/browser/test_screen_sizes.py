"""The dashboard on a phone (390 x 844) and a laptop (1440 x 900): no block covers
another, nothing crosses its card, the page never scrolls sideways, and the call
graph is drawn the same way every time the same data is loaded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.e2e.browser import known_data
from tests.e2e.browser.fake_api import FakeData, create_fake_app, large_topology, one_cluster
from tests.e2e.browser.layout_check import layout_problems, node_positions
from tests.e2e.browser.pages import READY_DOMAINS, READY_MESH, PageProblems, wait_for, wait_for_detail
from tests.e2e.browser.server import serve

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}
SIZES = {"phone": PHONE, "laptop": LAPTOP}
DETAIL_ID = "shop/frontend"


@pytest.fixture(params=sorted(SIZES))
def sized(request: pytest.FixtureRequest, browser: Any, problems: PageProblems) -> Iterator[Any]:
    context = browser.new_context(viewport=SIZES[request.param])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: problems.errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


def settle(page: Any) -> None:
    # Charts and lazily loaded histories change heights for a frame or two.
    page.wait_for_timeout(400)


def assert_tidy(page: Any, root: str, minimum: int) -> None:
    checked, problems = layout_problems(page, root)
    assert checked >= minimum, f"only {checked} blocks under {root}: the selectors no longer match the page"
    assert problems == [], "\n".join(problems)


def test_mesh_layer_blocks_never_overlap(sized: Any, master_url: str, problems: PageProblems) -> None:
    sized.goto(f"{master_url}/")
    wait_for(sized, READY_MESH)
    settle(sized)
    # At least three columns of cells (a phone shows the others after a sideways scroll).
    assert_tidy(sized, "#layer-mesh", 3 * (len(known_data.WORKLOAD_IDS) + 1))
    assert problems.errors == []


def test_workload_detail_blocks_never_overlap(sized: Any, master_url: str) -> None:
    sized.goto(f"{master_url}/#workload={DETAIL_ID}")
    wait_for(sized, READY_MESH)
    wait_for_detail(sized, DETAIL_ID)
    settle(sized)
    assert_tidy(sized, "#detail", 11)


def test_domain_cards_never_overlap(sized: Any, master_url: str) -> None:
    sized.goto(f"{master_url}/#layer=domains")
    wait_for(sized, READY_DOMAINS)
    # Scroll through every card, so each loads and draws its history charts.
    for card in sized.locator("#domain-cards article").all():
        card.scroll_into_view_if_needed()
    sized.wait_for_function(
        """() => [...document.querySelectorAll('.domain-history')]
            .every((box) => ['ready', 'error'].includes(box.dataset.state))"""
    )
    settle(sized)
    assert_tidy(sized, "#layer-domains", 20)


def test_a_wide_workload_table_says_it_scrolls_on_a_phone(sized: Any, master_url: str) -> None:
    sized.goto(f"{master_url}/")
    wait_for(sized, READY_MESH)
    hint = sized.locator("[data-role=scroll-hint]")
    overflows = sized.evaluate(
        "() => { const s = document.querySelector('.table-scroll'); return s.scrollWidth > s.clientWidth; }"
    )
    assert hint.is_visible() == overflows
    if sized.viewport_size == PHONE:
        assert overflows, "nine columns cannot fit 390 px: the hint is what this test is about"


def test_graph_nodes_carry_legible_labels(sized: Any, master_url: str) -> None:
    sized.goto(f"{master_url}/")
    wait_for(sized, READY_MESH)
    # cytoscape hides a label whose on-screen size drops below min-zoomed-font-size.
    shown = sized.evaluate(
        """() => {
            const cy = window.meshslo.cy;
            return cy.nodes().map((n) =>
                [n.id(), n.numericStyle('font-size') * cy.zoom(), n.numericStyle('min-zoomed-font-size')]);
        }"""
    )
    for node_id, on_screen, minimum in shown:
        assert on_screen >= max(minimum, 10), f"{node_id}: label drawn at {on_screen:.1f} px"


def test_graph_positions_are_the_same_on_every_load(sized: Any, master_url: str) -> None:
    sized.goto(f"{master_url}/")
    wait_for(sized, READY_MESH)
    first = node_positions(sized)
    sized.reload()
    wait_for(sized, READY_MESH)
    assert node_positions(sized) == first
    assert set(first) == set(known_data.WORKLOAD_IDS)


@pytest.fixture(scope="module")
def large_fake() -> Iterator[str]:
    with serve(create_fake_app(FakeData(clusters=one_cluster(), topology=large_topology(500, 2000)))) as url:
        yield url


def test_large_graph_positions_are_the_same_on_every_load(page: Any, large_fake: str) -> None:
    page.goto(f"{large_fake}/")
    page.wait_for_selector(READY_MESH, state="attached", timeout=60_000)
    first = node_positions(page)
    page.reload()
    page.wait_for_selector(READY_MESH, state="attached", timeout=60_000)
    assert node_positions(page) == first and len(first) == 500


def test_callers_are_drawn_before_their_callees(page: Any, master_url: str) -> None:
    page.goto(f"{master_url}/")
    wait_for(page, READY_MESH)
    at = node_positions(page)
    # Laptop: the graph is wider than tall, so calls flow left to right.
    backwards = [(s, t) for s, t in known_data.EDGE_IDS if s != t and at[s][0] >= at[t][0]]
    assert backwards == [], "edges drawn right to left"
