"""500 workloads and 2,000 call edges from a real master: the page renders them.

Only a generous bound is asserted (a shared CI machine is no stopwatch);
benchmarks/dashboard_render.py prints the render time against its 3 s target.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.e2e.browser.large_data import large_snapshot
from tests.e2e.browser.master_process import post_snapshots, run_master
from tests.e2e.browser.pages import READY_MESH, PageProblems, graph_ids

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WORKLOADS, EDGES = 500, 2000


@pytest.fixture(scope="module")
def large_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_master(tmp_path_factory.mktemp("large")) as url:
        post_snapshots(url, [large_snapshot(int(time.time()), WORKLOADS, EDGES, cluster="large-1")])
        yield url


def test_large_mesh_renders_graph_and_table(page: Any, large_master: str, problems: PageProblems) -> None:
    started = time.monotonic()
    page.goto(f"{large_master}/")
    page.wait_for_selector(READY_MESH, state="attached", timeout=60_000)
    elapsed = time.monotonic() - started
    in_page_ms = float(page.get_attribute("#layer-mesh", "data-rendered-at") or "nan")
    print(f"\n{WORKLOADS} workloads / {EDGES} edges: rendered {in_page_ms:.0f} ms after navigation", end="")
    print(f" ({elapsed:.2f} s wall)")
    nodes, edges = graph_ids(page)
    assert len(nodes) == WORKLOADS
    assert len(edges) == EDGES
    assert page.locator("#workload-table tbody tr").count() == WORKLOADS
    assert page.inner_text("#workload-count") == f"{WORKLOADS} workloads"
    assert elapsed < 30, "far beyond the 3 s target: something is badly wrong"
    assert problems.errors == []
