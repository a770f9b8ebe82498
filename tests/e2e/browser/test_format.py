"""The page's number formatting, run in the browser exactly as the page runs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from tests.e2e.browser.server import serve

from adapters.web import routes

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def static_url() -> Iterator[str]:
    app = FastAPI()
    app.include_router(routes.router)
    with serve(app) as url:
        yield url


def call(page: Any, base_url: str, function: str, *args: Any) -> Any:
    if not page.url.startswith(base_url):
        page.goto(f"{base_url}/static/css/dashboard.css")
    return page.evaluate(
        "async ([name, args]) => (await import('/static/js/format.js'))[name](...args)",
        [function, list(args)],
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (99.9996, "99.999 %"),  # truncated: never rounds up to 100
        (100.0, "100.00 %"),
        (99.95, "99.950 %"),
        (95.19999999999999, "95.20 %"),  # float noise for 95.2 is not truncated to 95.19
        (0.0, "0.00 %"),
        (None, "–"),
    ],
)
def test_availability_is_truncated_not_rounded(page: Any, static_url: str, value: Any, shown: str) -> None:
    assert call(page, static_url, "fmtAvailability", value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.5, "0.50 ms"),
        (12.345, "12.3 ms"),
        (439.99, "440 ms"),
        (1810.0, "1.81 s"),
        (25000.0, "25.0 s"),
        (None, "–"),
    ],
)
def test_latency_switches_to_seconds_above_one_second(
    page: Any, static_url: str, value: Any, shown: str
) -> None:
    assert call(page, static_url, "fmtMs", value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.1666, "0.167 rps"), (1.0416, "1.04 rps"), (333.6, "333.6 rps"), (0.0, "0.000 rps")],
)
def test_rps_keeps_three_significant_digits_for_small_rates(
    page: Any, static_url: str, value: float, shown: str
) -> None:
    assert call(page, static_url, "fmtRps", value) == shown


def test_budget_says_overspent_below_zero(page: Any, static_url: str) -> None:
    assert call(page, static_url, "fmtBudget", -81.818) == "-81.8 % (overspent)"
    assert call(page, static_url, "fmtBudget", 66.66) == "66.7 %"
    assert call(page, static_url, "fmtBudget", None) == "–"


def test_counts_are_whole_and_grouped(page: Any, static_url: str) -> None:
    assert call(page, static_url, "fmtCount", 1234567) == "1,234,567"
    assert call(page, static_url, "fmtCount", None) == "–"


def test_histogram_labels_name_the_upper_bound_and_the_overflow(page: Any, static_url: str) -> None:
    buckets = [{"le": "5"}, {"le": "25"}, {"le": "1200"}, {"le": "+Inf"}]
    assert call(page, static_url, "bucketLabels", buckets) == ["≤ 5 ms", "≤ 25 ms", "≤ 1.2 s", "> 1.2 s"]
    assert call(page, static_url, "bucketLabels", [{"le": "+Inf"}]) == ["all"]
