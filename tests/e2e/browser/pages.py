"""Small page-level helpers shared by the dashboard tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageProblems:
    """What the page did that it never should: dialogs, script errors."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


READY_MESH = "#layer-mesh[data-state=ready][data-rendered-at]"
READY_DOMAINS = "#layer-domains[data-state=ready]"


def describe(page: Any) -> str:
    """The page's state, for failure messages."""
    return str(
        page.evaluate(
            """() => ({
                url: location.href,
                mesh: document.querySelector("#layer-mesh").dataset,
                domains: document.querySelector("#layer-domains").dataset,
                banner: document.querySelector("#banner").textContent,
                message: document.querySelector("#layer-mesh [data-role=state-message]").textContent,
            })"""
        )
    )


def wait_for(page: Any, selector: str) -> None:
    try:
        page.wait_for_selector(selector, state="attached")
    except Exception as error:
        raise AssertionError(f"{selector} never appeared; page: {describe(page)}") from error


def open_mesh(page: Any, base_url: str, fragment: str = "") -> None:
    page.goto(f"{base_url}/{fragment}")
    wait_for(page, READY_MESH)


def open_domains(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/#layer=domains")
    wait_for(page, READY_DOMAINS)


def graph_ids(page: Any) -> tuple[set[str], set[tuple[str, str]]]:
    """Node ids and (source, target) pairs cytoscape is drawing."""
    nodes, edges = page.evaluate(
        """() => [window.meshslo.cy.nodes().map((n) => n.id()),
                  window.meshslo.cy.edges().map((e) => [e.source().id(), e.target().id()])]"""
    )
    return set(nodes), {(source, target) for source, target in edges}


def click_graph_node(page: Any, node_id: str) -> None:
    """Click a node where it is drawn on the canvas, like a person would."""
    point = page.evaluate(
        """(id) => {
            const cy = window.meshslo.cy;
            const node = cy.getElementById(id);
            const box = cy.container().getBoundingClientRect();
            const at = node.renderedPosition();
            return { x: box.left + at.x, y: box.top + at.y };
        }""",
        node_id,
    )
    page.mouse.click(point["x"], point["y"])


def tile_text(page: Any, metric: str) -> str:
    return page.locator(f"#detail [data-metric='{metric}'] .tile-value").inner_text()


def wait_for_detail(page: Any, node_id: str) -> None:
    page.locator("#detail[data-state=ready]").wait_for()
    page.wait_for_function("(id) => document.querySelector('#detail').dataset.nodeId === id", arg=node_id)
