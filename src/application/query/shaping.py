"""Totals turned into the figures of the views: JSON-safe numbers, judged against targets.

Every number is derived from stitched totals with ``domain.slo`` and
``domain.histogram``: rates over the covered seconds of the cluster, quantiles
from merged buckets, never averaged percentiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from application.query.views import LatencyBucketView, MethodView, ObjectiveView, StatusCodeView, TargetView
from domain import histogram, slo, target_rules
from domain.objectives import Traffic
from domain.target_rules import EffectiveTarget
from domain.totals import METHODS, STATUS_CLASSES


def finite(value: float | None) -> float | None:
    """NaN and infinities have no JSON spelling: they become ``None``."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return value


def target_view(target: EffectiveTarget) -> TargetView:
    record = target.record
    if target.is_default:
        return TargetView(record.availability_target, target.p95_ms, None, "default")
    return TargetView(record.availability_target, target.p95_ms, target.window, "target",
                      record.latency_threshold_ms, record.latency_target, record.alerting)


def judge(target: EffectiveTarget, traffic: Sequence[Traffic], p95: float | None) -> tuple[str, float | None]:
    """Status and headline error budget of the range's traffic against a target."""
    judged = target_rules.judge(target, traffic, p95)
    return judged.status.value, finite(judged.budget)


def objective_views(
    target: EffectiveTarget, traffic: Sequence[Traffic], window_start: int
) -> list[ObjectiveView]:
    """Each objective of the target over its SLO window (``traffic`` read over that window)."""
    return [
        ObjectiveView(
            sli=report.sli.value,
            window=report.window,
            window_start=window_start,
            target=report.target,
            threshold_ms=report.threshold_ms,
            total=report.events.total,
            good=report.events.good,
            sli_percent=finite(report.sli_percent),
            budget_remaining=finite(report.budget_remaining),
            estimated=report.estimated,
        )
        for report in target_rules.judge(target, traffic, None).reports
    ]


def distribution(buckets: dict[str, float]) -> list[LatencyBucketView]:
    return [LatencyBucketView(le, count) for le, count in histogram.distribution(buckets)]


def status_codes(classes: dict[str, int]) -> list[StatusCodeView]:
    total = sum(classes.get(c, 0) for c in STATUS_CLASSES)
    return [
        StatusCodeView(c, classes.get(c, 0), finite(slo.error_rate(total, classes.get(c, 0))))
        for c in STATUS_CLASSES
    ]


def methods(by_method: dict[str, list[int]]) -> list[MethodView]:
    views: list[MethodView] = []
    for m in METHODS:
        if m in by_method:
            requests, errors = by_method[m][0], by_method[m][1]
            views.append(MethodView(m, requests, errors, finite(slo.error_rate(requests, errors))))
    return views


def percentiles(buckets: dict[str, float]) -> tuple[float | None, float | None, float | None]:
    """p50, p95, p99 from the merged buckets (sorted once)."""
    p50, p95, p99 = histogram.quantiles((0.5, 0.95, 0.99), buckets)
    return finite(p50), finite(p95), finite(p99)
