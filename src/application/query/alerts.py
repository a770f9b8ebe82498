"""Alert and error-budget queries (SPEC §11): the alerts as sent, and budget burn-down points.

The budget of an objective is drawn as its remaining budget at evenly spaced
points of its window: at each point, the events from the window start up to
that point (the history reads the detail charts use, summed as they go), so the
last point is the budget the evaluator and ``/metrics`` give for the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from application.ports.query import Interval
from application.query.alert_views import AlertView, BudgetPointView, ObjectiveBudgetView
from application.query.base import QueryBase
from application.query.errors import InvalidInput
from application.query.targets import _check_type
from domain import alerts as alert_rules
from domain.key_traffic import INGRESS, SERVICE, workload_key
from domain.objectives import budget_remaining
from domain.slo_windows import WINDOWS, window_range
from domain.target_objectives import DEFAULT_ALERT_WINDOW, default_target, objectives_of
from domain.totals import IngressTotals, WorkloadTotals

ALERT_STATES = ("firing", "resolved", "all")
DAY = 86400
# Windows over a day are drawn hourly (from hourly rows where fresh); a day in quarter hours.
_HOURLY_STEP, _SHORT_STEP = 3600, 900


class AlertQueries(QueryBase):
    """Reads the alert store and the public URL that ``QueryBase`` holds."""

    def alerts(self, state: str, cluster_id: str | None, target_type: str | None,
               key: str | None) -> list[AlertView]:
        if state not in ALERT_STATES:
            raise InvalidInput(f"state must be one of {', '.join(ALERT_STATES)}, got {state!r}")
        _check_type(target_type)
        if self._alert_store is None:
            return []
        cluster = None if cluster_id is None else self.resolve_cluster(cluster_id)
        found = self._alert_store.listing(None if state == "all" else state, cluster, target_type, key)
        return [
            AlertView(alert_rules.labels(a), alert_rules.annotations(a, self._public_url), a.state,
                      a.started_at, a.resolved_at, a.burn_rate_long, a.burn_rate_short)
            for a in found
        ]

    def budget(self, cluster_id: str | None, target_type: str, key: str,
               window: str | None) -> list[ObjectiveBudgetView]:
        """Each objective of the key's targets (of ``window`` if given), oldest point first.

        A key without a target is drawn against the default availability target.
        """
        _check_type(target_type)
        if window is not None and window not in WINDOWS:
            raise InvalidInput(f"window must be one of {', '.join(WINDOWS)}, got {window!r}")
        cluster = self.resolve_cluster(cluster_id)
        targets = [t for t in self._targets.list(cluster_id=cluster, target_type=target_type)
                   if t.key == key and window in (None, t.window)]
        if not targets:
            fallback = default_target(cluster, target_type, key, self._defaults.availability,
                                      self._defaults.p95_ms)
            targets = [replace(fallback, window=window or DEFAULT_ALERT_WINDOW)]
        now = int(self._clock())
        out: list[ObjectiveBudgetView] = []
        for target in sorted(targets, key=lambda t: WINDOWS.index(t.window)):
            start, end = window_range(target.window, now)
            intervals = self._intervals(cluster, target_type, key, start, end)
            for objective in objectives_of(target):
                running: WorkloadTotals | IngressTotals | None = None
                points: list[BudgetPointView] = []
                for interval in intervals:
                    if running is None:
                        running = type(interval.totals)()
                    running.add(interval.totals)  # type: ignore[arg-type]
                    # Merged totals rather than summed events: a latency threshold between
                    # bucket bounds is interpolated once, as the evaluator does over the window.
                    events = objective.events([running])
                    points.append(BudgetPointView(min(interval.end, now),
                                                  budget_remaining(events, objective.target)))
                out.append(ObjectiveBudgetView(objective.sli.value, target.window, objective.target,
                                               objective.threshold_ms, points))
        return out

    def _intervals(self, cluster: str, target_type: str, key: str, start: int,
                   end: int) -> Sequence[Interval[WorkloadTotals]] | Sequence[Interval[IngressTotals]]:
        long = end - start > DAY
        step, hourly = (_HOURLY_STEP, True) if long else (_SHORT_STEP, False)
        if target_type == SERVICE:
            return self._store.workload_history(cluster, start, end, step, workload_key(key), hourly)
        assert target_type == INGRESS
        backends = {r.service_key for r in self._store.routes(cluster) if r.domain == key} or {key}
        return self._store.ingress_history(cluster, start, end, step, sorted(backends), hourly)

