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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

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
from domain.burn_tiers import DEFAULT_MIN_BAD_EVENTS, TIERS, TierVerdict, judge, tier_windows, window_label
from domain.objectives import Objective, evaluate
from domain.slo_windows import window_range
from domain.target_objectives import DEFAULT_ALERT_WINDOW, default_target, objectives_of
from domain.targets import TargetRecord

log = logging.getLogger(__name__)
SEVERITIES = ("page", "ticket")


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


@dataclass(frozen=True, slots=True)
class _Judged:
    key: AlertKey
    verdict: TierVerdict
    budget: float | None


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
        firing = dict.fromkeys(SEVERITIES, 0)
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

    def _targets_of(self, cluster_id: str, windows: _Windows) -> list[TargetRecord]:
        stored = self._targets.list(cluster_id)
        chosen = [t for t in stored if t.alerting]
        if self._settings.on_defaults:
            # A key with any target (even one with alerting off) is judged by its own targets only.
            with_target = {(t.target_type, t.key) for t in stored}
            settings = self._settings
            for target_type, key in sorted(windows.recent().keys() - with_target):
                chosen.append(default_target(cluster_id, target_type, key, settings.default_availability,
                                             settings.default_p95_ms))
        return chosen

    def _judge_cluster(
        self, cluster_id: str, now: int, gauges: list[ObjectiveGauge]
    ) -> list[_Judged]:
        windows = _Windows(self._traffic, cluster_id, now)
        judged: list[_Judged] = []
        for target in self._targets_of(cluster_id, windows):
            slot = (target.target_type, target.key)
            start, end = window_range(target.window, now)
            in_window = windows.of(start, end).of(*slot)
            for objective in objectives_of(target):
                report = evaluate(objective, target.window, in_window)
                burns: dict[str, float] = {}
                for tier in TIERS:
                    spans = tier_windows(tier, target.window)
                    verdict = judge(
                        tier, spans, objective.events(windows.last(spans.long).of(*slot)),
                        objective.events(windows.last(spans.short).of(*slot)), objective.target,
                        self._settings.min_bad_events,
                    )
                    for seconds, rate in ((spans.long, verdict.burn_long), (spans.short, verdict.burn_short)):
                        if rate is not None:
                            burns[window_label(seconds)] = rate
                    key = alert_rules.alert_key(target, objective.sli, tier.number)
                    judged.append(_Judged(key, verdict, report.budget_remaining))
                gauges.append(_gauge(target, objective, report.sli_percent, report.budget_remaining, burns))
        return judged

    def _run_cluster(
        self, cluster_id: str, now: int, report: AlertReport, gauges: list[ObjectiveGauge],
        firing: dict[str, int],
    ) -> None:
        before = len(gauges)
        judged = self._judge_cluster(cluster_id, now, gauges)
        report.objectives += len(gauges) - before
        round_number = now // max(1, self._settings.interval_seconds)
        with self._store.round(cluster_id, round_number) as held:
            previous = held.alerts()
            if not held.taken:
                # Another master notifies this round; the firing counts still come from the stored state.
                report.skipped_clusters.append(cluster_id)
                current = previous
            else:
                changed = _transitions(previous, judged, now)
                current = {**previous, **changed}
                due = [a for a in current.values() if alert_rules.is_due(a, now)]
                if self._deliver(due, now):
                    changed.update({a.id: replace(a, last_sent_at=now) for a in due})
                held.save(changed.values())
                report.notified += len(due)
        for alert in current.values():
            if alert.state == alert_rules.FIRING:
                firing[alert.severity] = firing.get(alert.severity, 0) + 1
                report.firing += 1

    def _deliver(self, due: Sequence[Alert], now: int) -> bool:
        """Post the due alerts to every receiver; True when every receiver took them (or none is set)."""
        if not due or not self._notifiers:
            return True
        settings = self._settings
        notifications = [
            Notification(alert_rules.to_receiver(a, now, settings.interval_seconds, settings.public_url),
                         a.state)
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


def _transitions(
    previous: dict[AlertKey, Alert], judged: Sequence[_Judged], now: int
) -> dict[AlertKey, Alert]:
    """The alerts whose stored row changes this round.

    A firing alert that was not judged at all (its target was deleted, lost that
    objective or turned alerting off) resolves now rather than firing forever.
    """
    changed: dict[AlertKey, Alert] = {}
    for one in judged:
        before = previous.get(one.key)
        after = alert_rules.transition(before, one.key, one.verdict, one.budget, now)
        if after is not None and after != before:
            changed[one.key] = after
    seen = {one.key for one in judged}
    for key, alert in previous.items():
        if key not in seen and alert.state == alert_rules.FIRING:
            changed[key] = replace(alert, state=alert_rules.RESOLVED, resolved_at=now)
    return changed


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
        """The keys defaults apply to: those with traffic in the default alert window."""
        return self.of(*window_range(DEFAULT_ALERT_WINDOW, self._now))
