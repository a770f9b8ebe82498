"""Geometry checks on a rendered page: overlapping blocks, content leaving its
card, sideways page scroll. Written against element boxes, not screenshots, so
a failure names the two elements that collide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Blocks that must never cover one another: table cells, and the blocks cards
# and panels are made of.
CHECKED = ", ".join(
    [
        "td",
        "th",
        ".card > *",
        ".metric",
        ".tile",
        ".summary-item",
        ".chart-box",
        ".panel",
        ".breakdown",
        ".legend-item",
        ".backend-list > li",
        ".panel-head > *",
    ]
)

# Boxes are cut to what their scrolling ancestors let through: a cell scrolled
# out of its table's view overlaps nothing a person can see.
_COLLECT = (Path(__file__).parent / "layout_check.js").read_text()


def layout_problems(page: Any, root: str, tolerance: float = 1.5) -> tuple[int, list[str]]:
    """(number of blocks checked, what is wrong) for the blocks inside ``root``."""
    selector = ", ".join(f"{root} {part.strip()}" for part in CHECKED.split(","))
    result = page.evaluate(_COLLECT, [selector, tolerance])
    problems = [*result["overlaps"], *result["escapes"]]
    if result["scrollWidth"] > result["innerWidth"]:
        wide, window = result["scrollWidth"], result["innerWidth"]
        problems.append(f"the page scrolls sideways: {wide} px wide in a {window} px window")
    return int(result["checked"]), problems


def node_positions(page: Any) -> dict[str, tuple[float, float]]:
    raw = page.evaluate(
        """() => Object.fromEntries(window.meshslo.cy.nodes().map((n) =>
            [n.id(), [n.position('x'), n.position('y')]]))"""
    )
    return {node_id: (x, y) for node_id, (x, y) in raw.items()}
