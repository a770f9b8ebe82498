"""SLO maths of SPEC §5: availability, error budget, status rules and defaults."""

from __future__ import annotations

import pytest

from domain import slo


@pytest.mark.parametrize(
    ("total", "errors", "expected"),
    [(1000, 0, 100.0), (1000, 1, 99.9), (200, 50, 75.0), (3, 3, 0.0)],
)
def test_availability_is_the_share_of_requests_that_did_not_fail(
    total: int, errors: int, expected: float
) -> None:
    assert slo.availability(total, errors) == pytest.approx(expected)


def test_no_requests_means_no_availability_and_no_error_rate() -> None:
    assert slo.availability(0, 0) is None
    assert slo.error_rate(0, 0) is None
    assert slo.average(12.0, 0) is None
    assert slo.mtls_percent(0, 0) is None


def test_error_rate_average_and_mtls() -> None:
    assert slo.error_rate(400, 6) == pytest.approx(1.5)
    assert slo.average(1834.0, 120) == pytest.approx(15.283333, rel=1e-6)
    assert slo.mtls_percent(90, 120) == pytest.approx(75.0)


def test_rate_uses_covered_seconds() -> None:
    assert slo.rate_per_second(300, 150.0) == pytest.approx(2.0)
    assert slo.rate_per_second(300, 0.0) == 0.0


@pytest.mark.parametrize(
    ("availability", "target", "expected"),
    [
        (100.0, 99.0, 100.0),  # nothing spent
        (99.5, 99.0, 50.0),  # half of the 1 % spent
        (99.0, 99.0, 0.0),  # all spent
        (98.0, 99.0, -100.0),  # overspent by the budget's size
        (99.95, 99.9, 50.0),
        (90.0, 95.0, -100.0),
    ],
)
def test_error_budget_remaining(availability: float, target: float, expected: float) -> None:
    # ((100 - target) - (100 - availability)) / (100 - target) * 100
    assert slo.error_budget_remaining(availability, target) == pytest.approx(expected)


def test_error_budget_is_capped_at_100_and_absent_without_traffic() -> None:
    # Availability cannot exceed 100 %, but float noise or odd input must never show > 100 %.
    assert slo.error_budget_remaining(100.0000001, 99.0) == 100.0
    assert slo.error_budget_remaining(None, 99.0) is None


def test_a_100_percent_target_has_no_budget() -> None:
    with pytest.raises(ValueError, match="no error budget"):
        slo.error_budget_remaining(99.0, 100.0)


@pytest.mark.parametrize(
    ("code", "cls", "server_error"),
    [("200", "2xx", False), ("302", "3xx", False), ("404", "4xx", False), ("503", "5xx", True),
     ("599", "5xx", True), ("101", None, False), ("600", None, True), ("abc", None, False),
     ("", None, False)],
)
def test_status_classes_and_server_errors(code: str, cls: str | None, server_error: bool) -> None:
    assert slo.status_class(code) == cls
    assert slo.is_server_error(code) is server_error

