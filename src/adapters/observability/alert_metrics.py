"""The SLO gauges and alert counts of SPEC §11 on the master's ``/metrics``.

The objective gauges come from a custom collector that yields the last round's
values as they are: a target that is deleted (or a key that lost its traffic)
vanishes from ``/metrics`` at the next round instead of keeping its last value
forever, as a labelled ``Gauge`` would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from application.ports.alerts import ObjectiveGauge

_LABELS = ("cluster", "target_type", "key", "sli", "slo_window")
SEVERITIES = ("page", "ticket")
OUTCOMES = ("sent", "failed")


def _labels(gauge: ObjectiveGauge) -> list[str]:
    return [gauge.cluster_id, gauge.target_type, gauge.key, gauge.sli, gauge.slo_window]


class AlertMetricsCollector(Collector):
    """``AlertMetrics`` for the evaluator, registered on the master's registry."""

    def __init__(self, registry: CollectorRegistry, receivers: Sequence[str] = ()) -> None:
        self._lock = threading.Lock()
        self._gauges: tuple[ObjectiveGauge, ...] = ()
        self._firing: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        self.notifications = Counter(
            "meshslo_alert_notifications",
            "Alert notifications posted to a receiver, by receiver and outcome (sent, failed)",
            ["receiver", "outcome"],
            registry=registry,
        )
        for receiver in receivers:  # zeros rather than gaps before the first round
            for outcome in OUTCOMES:
                self.notifications.labels(receiver=receiver, outcome=outcome)
        registry.register(self)

    def notification(self, receiver: str, outcome: str) -> None:
        self.notifications.labels(receiver=receiver, outcome=outcome).inc()

    def evaluated(self, gauges: Sequence[ObjectiveGauge], firing: dict[str, int]) -> None:
        with self._lock:
            self._gauges = tuple(gauges)
            self._firing = {**dict.fromkeys(SEVERITIES, 0), **firing}

    def describe(self) -> list[GaugeMetricFamily]:
        # Nothing to declare up front: the families depend on the last round.
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            gauges, firing = self._gauges, dict(self._firing)
        objective = GaugeMetricFamily(
            "meshslo_slo_objective_ratio", "Target of the objective, as a ratio (0.999 for 99.9 %)",
            labels=_LABELS)
        good = GaugeMetricFamily("meshslo_slo_good_ratio",
                                 "Share of good events over the objective's window", labels=_LABELS)
        budget = GaugeMetricFamily(
            "meshslo_slo_error_budget_remaining_ratio",
            "Share of the window's error budget left: 1 unspent, below 0 overspent", labels=_LABELS)
        burn = GaugeMetricFamily("meshslo_slo_burn_rate",
                                 "Burn rate over the window (1 spends exactly the budget)",
                                 labels=(*_LABELS, "window"))
        for gauge in gauges:
            labels = _labels(gauge)
            objective.add_metric(labels, gauge.objective_ratio)
            if gauge.good_ratio is not None:
                good.add_metric(labels, gauge.good_ratio)
            if gauge.budget_remaining_ratio is not None:
                budget.add_metric(labels, gauge.budget_remaining_ratio)
            for window, rate in sorted(gauge.burn_rates.items()):
                burn.add_metric([*labels, window], rate)
        alerts = GaugeMetricFamily("meshslo_alerts_firing", "Alerts firing, by severity",
                                   labels=("severity",))
        for severity, count in sorted(firing.items()):
            alerts.add_metric([severity], count)
        yield from (objective, good, budget, burn, alerts)
