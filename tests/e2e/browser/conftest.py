"""Headless Chromium for the dashboard tests.

Debian's chromium is launched directly (``executable_path``): Playwright never
downloads a browser. Without chromium on the PATH the tests skip and say why.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


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


@dataclass
class PageProblems:
    """What the page did that it never should: dialogs, script errors, failed requests."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser: Any, problems: PageProblems) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
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
