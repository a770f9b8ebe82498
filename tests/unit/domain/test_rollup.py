"""Pure rollup: raw rows of one hour folded per key; figures from merged buckets."""

from __future__ import annotations

import pytest

from domain.rollup import HourRollup, fold, fold_ingress, ingress_figures, service_figures
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals


def test_fold_sums_rows_per_key_and_counts_coverage() -> None:
    rows = [
        (("shop", "a"), WorkloadTotals(requests=10, errors=1, buckets={"10": 5, "+Inf": 10}), 30.0),
        (("shop", "b"), WorkloadTotals(requests=4, buckets={"10": 4, "+Inf": 4}), 30.0),
        (("shop", "a"), WorkloadTotals(requests=20, errors=3, buckets={"10": 5, "+Inf": 20}), 15.0),
    ]
    folded = fold(rows, WorkloadTotals)
    a = folded[("shop", "a")]
    assert (a.totals.requests, a.totals.errors) == (30, 4)
    assert a.totals.buckets == {"10": 10, "+Inf": 30}
    assert (a.coverage.covered_seconds, a.coverage.sample_count) == (45.0, 2)
    assert folded[("shop", "b")].coverage.sample_count == 1


def test_fold_edges() -> None:
    key = ("shop", "a", "shop", "b")
    rows = [(key, EdgeTotals(5, 1, 50.0, 5), 30.0), (key, EdgeTotals(7, 0, 70.0, 7), 30.0)]
    folded = fold(rows, EdgeTotals)
    totals = folded[key].totals
    assert (totals.requests, totals.failures, totals.latency_sum, totals.latency_count) == (12, 1, 120.0, 12)


def test_fold_ingress_keeps_the_newest_route_seen() -> None:
    rows = [
        ("k", 200, IngressTotals(requests=1), 30.0, "new.example.com", "/v2"),
        ("k", 100, IngressTotals(requests=2), 30.0, "old.example.com", "/"),
        ("k", 300, IngressTotals(requests=3), 30.0, "", ""),  # no route known for this snapshot
    ]
    rolled = fold_ingress(rows)["k"]
    assert (rolled.domain, rolled.path, rolled.totals.requests) == ("new.example.com", "/v2", 6)


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
    assert HourRollup("c", 7200).is_empty
    with pytest.raises(ValueError, match="not the start of an hour"):
        HourRollup("c", 7201)
