"""Headless Chromium for the dashboard tests.

Debian's chromium is launched directly (``executable_path``): Playwright never
downloads a browser. Without chromium on the PATH the tests skip and say why.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.e2e.browser import known_data
from tests.e2e.browser.master_process import post_snapshots, run_master
from tests.e2e.browser.pages import PageProblems

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip(
            "dashboard browser tests need Debian's chromium on the PATH (scripts/setup.sh installs it)"
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = _chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: Any, problems: PageProblems) -> Iterator[Any]:
    # The page's Content-Security-Policy is bypassed on purpose: the escaping tests
    # must prove the page never builds markup from labels, not that CSP would block it.
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, bypass_csp=True)
    new_page = context.new_page()
    new_page.set_default_timeout(15_000)

    def on_dialog(dialog: Any) -> None:
        problems.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    new_page.on("dialog", on_dialog)
    new_page.on("pageerror", lambda error: problems.errors.append(str(error)))
    new_page.on(
        "console", lambda msg: problems.console_errors.append(msg.text) if msg.type == "error" else None
    )
    try:
        yield new_page
    finally:
        context.close()


@pytest.fixture(scope="session")
def master_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A master holding the known data set, plus a cluster that only reported three hours ago."""
    with run_master(tmp_path_factory.mktemp("master")) as url:
        now = int(time.time())
        post_snapshots(url, known_data.snapshots(now))
        post_snapshots(url, known_data.snapshots(now - 3 * 3600, cluster=known_data.IDLE_CLUSTER)[-1:])
        yield url


@pytest.fixture(scope="session")
def empty_master_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A master no agent has reported to."""
    with run_master(tmp_path_factory.mktemp("empty-master")) as url:
        yield url


@pytest.fixture
def api(master_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=master_url, timeout=30) as client:
        yield client
