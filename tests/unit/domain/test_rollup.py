"""Pure rollup: raw rows of one hour folded per key; figures from merged buckets."""

from __future__ import annotations

import pytest

from domain.rollup import HourRollup, ingress_figures, service_figures
from domain.totals import IngressTotals, WorkloadTotals


def test_service_figures_come_from_merged_buckets() -> None:
    totals = WorkloadTotals(requests=40, errors=2, latency_sum=1000.0, latency_count=40,
                            buckets={"10": 10, "100": 40, "+Inf": 40}, tls_requests=30, total_requests=40)
    figures = service_figures(totals)
    # rank 20 of 40: 10 + 90 * (20 - 10) / 30
    assert figures.p50 == pytest.approx(40.0)
    assert figures.avg_latency == pytest.approx(25.0)
    assert figures.availability == pytest.approx(95.0)
    assert figures.mtls_percent == pytest.approx(75.0)


def test_figures_without_traffic_are_absent() -> None:
    figures = ingress_figures(IngressTotals())
    assert (figures.p50, figures.p95, figures.p99, figures.avg_latency, figures.availability) == (
        None, None, None, None, None)


def test_an_hour_rollup_must_start_on_an_hour() -> None:
    assert HourRollup("c", 7200).hour == 7200
    with pytest.raises(ValueError, match="not the start of an hour"):
        HourRollup("c", 7201)
