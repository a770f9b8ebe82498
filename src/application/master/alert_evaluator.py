"""The alert evaluator job (SPEC §11): burn rates of every objective, alerts, notifications.

Each round, per cluster: every objective of every target with alerting on (and,
with ``on_defaults``, the default availability objective over 30 d for keys
without a target) is judged against the four tiers, reading each distinct
window once through the stitched reader queries use. The objective gauges are
refreshed on every master; alert state and notifications belong to the one
master that takes the cluster's round (an advisory lock plus a record of the
rounds done, so two masters never notify the same round twice).

A receiver that fails never stops the round: the failure is counted and the
alerts stay due, so the next round sends them again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from application.master.failures import JobPartlyFailed
from application.master.key_traffic import KeyTraffic, KeyTrafficReader
from application.ports.alerts import (
    AlertMetrics,
    AlertStore,
    Notification,
    NotificationFailed,
    Notifier,
    ObjectiveGauge,
)
from application.ports.targets import TargetRepository
from domain import alerts as alert_rules
from domain.alerts import Alert, AlertKey
from domain.burn_tiers import DEFAULT_MIN_BAD_EVENTS, TIERS, judge, tier_windows, window_label
from domain.objectives import Objective, evaluate
from domain.slo_windows import window_range
from domain.target_objectives import default_target, objectives_of
from domain.targets import TargetRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertSettings:
    interval_seconds: int = 60
    min_bad_events: float = DEFAULT_MIN_BAD_EVENTS
    on_defaults: bool = False
    default_availability: float = 95.0
    default_p95_ms: float = 300.0
    public_url: str = ""


@dataclass(slots=True)
class AlertReport:
    objectives: int = 0
    firing: int = 0
    notified: int = 0
    skipped_clusters: list[str] = field(default_factory=list)


class AlertEvaluator:
    def __init__(
        self,
        traffic: KeyTrafficReader,
        targets: TargetRepository,
        store: AlertStore,
        notifiers: Sequence[Notifier],
        settings: AlertSettings,
        metrics: AlertMetrics | None = None,
    ) -> None:
        self._traffic = traffic
        self._targets = targets
        self._store = store
        self._notifiers = tuple(notifiers)
        self._settings = settings
        self._metrics = metrics

    def run(self, now: int) -> AlertReport:
        report = AlertReport()
        gauges: list[ObjectiveGauge] = []
        firing: dict[str, int] = {"page": 0, "ticket": 0}
        failures: list[str] = []
        for cluster_id in self._traffic.clusters():
            try:
                self._run_cluster(cluster_id, now, report, gauges, firing)
            except Exception:  # one cluster's failure must not hold back the others
                log.exception("alert evaluation of cluster %s failed", cluster_id)
                failures.append(cluster_id)
        if self._metrics is not None:
            self._metrics.evaluated(gauges, firing)
        if failures:
            raise JobPartlyFailed("alert_evaluator", failures, report)
        return report

    def _targets_of(self, cluster_id: str, traffic: KeyTraffic) -> list[TargetRecord]:
        stored = self._targets.list(cluster_id)
        chosen = [t for t in stored if t.alerting]
        if self._settings.on_defaults:
            with_target = {(t.target_type, t.key) for t in stored}
            for target_type, key in sorted(traffic.keys() - with_target):
                settings = self._settings
                chosen.append(default_target(cluster_id, target_type, key, settings.default_availability,
                                             settings.default_p95_ms))
        return chosen

    def _run_cluster(
        self, cluster_id: str, now: int, report: AlertReport, gauges: list[ObjectiveGauge],
        firing: dict[str, int],
    ) -> None:
        windows = _Windows(self._traffic, cluster_id, now)
        targets = self._targets_of(cluster_id, windows.recent())
        verdicts: list[tuple[AlertKey, Objective, TargetRecord, object, float | None]] = []
        for target in targets:
            slot = (target.target_type, target.key)
            for objective in objectives_of(target):
                start, end = window_range(target.window, now)
                budget = evaluate(objective, target.window,
                                  windows.of(start, end).of(target.target_type, target.key))
                burns: dict[str, float] = {}
                for tier in TIERS:
                    spans = tier_windows(tier, target.window)
                    long_events = objective.events(windows.last(spans.long).of(*slot))
                    short_events = objective.events(windows.last(spans.short).of(*slot))
                    verdict = judge(tier, spans, long_events, short_events, objective.target,
                                    self._settings.min_bad_events)
                    for seconds, rate in ((spans.long, verdict.burn_long), (spans.short, verdict.burn_short)):
                        if rate is not None:
                            burns[window_label(seconds)] = rate
                    key = alert_rules.alert_key(target, objective.sli, tier.number)
                    verdicts.append((key, objective, target, verdict, budget.budget_remaining))
                gauges.append(_gauge(target, objective, budget.sli_percent, budget.budget_remaining, burns))
                report.objectives += 1
        round_number = now // max(1, self._settings.interval_seconds)
        with self._store.round(cluster_id, round_number) as held:
            if not held.taken:
                report.skipped_clusters.append(cluster_id)
                return
            previous = held.alerts()
            changed: dict[AlertKey, Alert] = {}
            for key, _objective, _target, verdict, budget in verdicts:
                after = alert_rules.transition(previous.get(key), key, verdict, budget, now)  # type: ignore[arg-type]
                if after is not None:
                    changed[key] = after
            current = {**previous, **changed}
            due = [a for a in current.values() if alert_rules.is_due(a, now)]
            if self._deliver(due, now):
                current.update({a.id: _sent(a, now) for a in due})
            held.save(current.values())
        for alert in current.values():
            if alert.state == alert_rules.FIRING:
                firing[alert.severity] = firing.get(alert.severity, 0) + 1
                report.firing += 1
        report.notified += len(due)

    def _deliver(self, due: Sequence[Alert], now: int) -> bool:
        """Post the due alerts to every receiver; True when every receiver took them."""
        if not due or not self._notifiers:
            return not due or not self._notifiers
        notifications = [
            Notification(alert_rules.to_receiver(a, now, self._settings.interval_seconds,
                                                 self._settings.public_url), a.state)
            for a in due
        ]
        delivered = True
        for notifier in self._notifiers:
            try:
                notifier.send(notifications)
            except NotificationFailed as error:
                log.warning("alert receiver %s failed: %s (the alerts are sent again next round)",
                            notifier.receiver, error)
                delivered = False
                self._count(notifier.receiver, "failed")
            except Exception:  # a receiver bug must not stop evaluation either
                log.exception("alert receiver %s failed", notifier.receiver)
                delivered = False
                self._count(notifier.receiver, "failed")
            else:
                self._count(notifier.receiver, "sent")
        return delivered

    def _count(self, receiver: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.notification(receiver, outcome)


def _sent(alert: Alert, now: int) -> Alert:
    from dataclasses import replace

    return replace(alert, last_sent_at=now)


def _gauge(target: TargetRecord, objective: Objective, sli_percent: float | None, budget: float | None,
           burns: dict[str, float]) -> ObjectiveGauge:
    return ObjectiveGauge(
        cluster_id=target.cluster_id, target_type=target.target_type, key=target.key,
        sli=objective.sli.value, slo_window=target.window, objective_ratio=objective.target / 100,
        good_ratio=None if sli_percent is None else sli_percent / 100,
        budget_remaining_ratio=None if budget is None else budget / 100, burn_rates=burns,
    )


class _Windows:
    """Each distinct window of one cluster read once per round."""

    def __init__(self, reader: KeyTrafficReader, cluster_id: str, now: int) -> None:
        self._reader = reader
        self._cluster_id = cluster_id
        self._now = now
        self._read: dict[tuple[int, int], KeyTraffic] = {}

    def of(self, start: int, end: int) -> KeyTraffic:
        if (start, end) not in self._read:
            self._read[(start, end)] = self._reader.traffic(self._cluster_id, start, end)
        return self._read[(start, end)]

    def last(self, seconds: int) -> KeyTraffic:
        return self.of(self._now - seconds, self._now)

    def recent(self) -> KeyTraffic:
        return self.last(30 * 86400)


def keys_of(items: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return set(items)
