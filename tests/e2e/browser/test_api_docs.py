"""``/docs`` works offline: Swagger UI comes from the package, under the page's CSP.

The browser may reach only the master on the loopback interface; every other
request is aborted and recorded. The Content-Security-Policy is enforced here
(the dashboard tests bypass it), so a blocked inline script would show.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

PREFIX = "/meshslo"


@pytest.fixture
def offline_page(browser: Any) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A CSP-enforcing page that can reach only loopback, with its blocked requests and errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    blocked: list[str] = []
    errors: list[str] = []

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield page, blocked, errors
    finally:
        context.close()


def assert_operations_rendered(page: Any) -> None:
    page.wait_for_selector(".opblock", state="visible")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/agent/snapshot" in path for path in paths), paths
    assert any("/readyz" in path for path in paths), paths


def test_docs_render_the_operations_with_no_outside_request(
    offline_page: tuple[Any, list[str], list[str]], empty_master_url: str
) -> None:
    page, blocked, errors = offline_page
    response = page.goto(f"{empty_master_url}/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert_operations_rendered(page)
    assert blocked == []
    assert errors == []


def test_docs_work_under_a_path_prefix(
    offline_page: tuple[Any, list[str], list[str]], empty_master_url: str
) -> None:
    page, blocked, errors = offline_page
    # Stand in for a reverse proxy that serves the master under PREFIX: strip it, fetch, answer.
    seen: list[str] = []

    def strip_prefix(route: Any) -> None:
        path = urlsplit(route.request.url).path
        seen.append(path)
        route.fulfill(response=route.fetch(url=empty_master_url + path[len(PREFIX):]))

    page.route(f"{empty_master_url}{PREFIX}/**", strip_prefix)
    page.goto(f"{empty_master_url}{PREFIX}/docs")
    assert_operations_rendered(page)
    assert {f"{PREFIX}/openapi.json", f"{PREFIX}/docs/start.js"} <= set(seen)
    assert f"{PREFIX}/static/vendor/swagger-ui/swagger-ui-bundle.js" in seen
    assert blocked == []
    assert errors == []
