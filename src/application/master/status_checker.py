"""The status checker job (SPEC §4, §5): status of every workload and domain, history of changes.

Per cluster, each workload (target type ``service``, key ``namespace/name``)
and each routed domain (target type ``ingress``, key the domain) is judged by
its effective target (``domain.target_rules``: the 1d target, else 7d, else
30d, else the configured defaults over 1d) over that target's window. A
domain's numbers are the merged totals of its backends, each backend once.

Only changes are written: a steady status writes nothing. A key never
evaluated before counts as ``unknown``, so its first known status is recorded
as a change from ``unknown`` and a key that never had traffic writes nothing.
Keys that lose all traffic in their window (or whose route disappears) turn
``unknown``, which is recorded like any other change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from application.master.failures import JobPartlyFailed
from application.ports.alerts import AlertStore, firing_keys
from application.ports.jobs import StatusStore
from application.ports.stats import StatsReader
from application.ports.targets import TargetRepository
from domain import slo
from domain.slo_windows import window_start
from domain.target_rules import DEFAULT_WINDOW, EffectiveTarget, TargetTable, judge
from domain.targets import StatusChange, workload_id
from domain.totals import IngressTotals, WorkloadTotals

log = logging.getLogger(__name__)

SERVICE = "service"
INGRESS = "ingress"


@dataclass(frozen=True, slots=True)
class Evaluation:
    target_type: str
    key: str
    status: slo.Status
    availability: float | None
    p95: float | None
    error_rate: float | None
    error_budget: float | None
    target: EffectiveTarget


@dataclass(slots=True)
class StatusReport:
    evaluated: int = 0
    changes: int = 0
    skipped_clusters: list[str] = field(default_factory=list)  # another master held their lock


def evaluate(
    target_type: str,
    key: str,
    traffic: Sequence[WorkloadTotals] | Sequence[IngressTotals],
    target: EffectiveTarget,
) -> Evaluation:
    """Judge one key's traffic (a workload, or each backend of a domain once) against its target."""
    merged = _merged(traffic)
    if merged is None or merged.requests <= 0:
        return Evaluation(target_type, key, slo.Status.UNKNOWN, None, None, None, None, target)
    p95 = merged.p95
    judged = judge(target, traffic, p95)
    return Evaluation(
        target_type=target_type,
        key=key,
        status=judged.status,
        availability=merged.availability,
        p95=p95,
        error_rate=merged.error_rate,
        error_budget=judged.budget,
        target=target,
    )


def _merged(
    traffic: Sequence[WorkloadTotals] | Sequence[IngressTotals],
) -> WorkloadTotals | IngressTotals | None:
    """One workload as it is; a domain's backends summed (only domains have several)."""
    if len(traffic) <= 1:
        return traffic[0] if traffic else None
    merged = IngressTotals()
    for totals in traffic:
        assert isinstance(totals, IngressTotals)
        merged.add(totals)
    return merged


def domain_totals(backends: set[str], by_backend: dict[str, IngressTotals]) -> IngressTotals | None:
    """Merge a domain's backends; None when none of them had traffic."""
    merged = _merged(domain_backends(backends, by_backend))
    assert merged is None or isinstance(merged, IngressTotals)
    return merged


def domain_backends(backends: set[str], by_backend: dict[str, IngressTotals]) -> list[IngressTotals]:
    """A domain's backends with traffic, each once."""
    return [by_backend[b] for b in sorted(backends) if b in by_backend]


class StatusChecker:
    def __init__(
        self,
        stats: StatsReader,
        targets: TargetRepository,
        store: StatusStore,
        defaults: slo.Target,
        alerts: AlertStore | None = None,
    ) -> None:
        self._stats = stats
        self._targets = targets
        self._store = store
        self._defaults = defaults
        self._alerts = alerts

    def run(self, now: int) -> StatusReport:
        """Evaluate every cluster; raises ``JobPartlyFailed`` after the others if some failed."""
        report = StatusReport()
        failures: list[str] = []
        for cluster_id in self._stats.clusters():
            try:
                evaluations = self.evaluate_cluster(cluster_id, now)
                recorded = self._record(cluster_id, evaluations, now)
            except Exception:  # one cluster's bad data must not hold back the others
                log.exception("status evaluation of cluster %s failed", cluster_id)
                failures.append(cluster_id)
                continue
            if recorded is None:
                report.skipped_clusters.append(cluster_id)
                continue
            report.evaluated += len(evaluations)
            report.changes += recorded
        if failures:
            raise JobPartlyFailed("status_checker", failures, report)
        return report

    def evaluate_cluster(self, cluster_id: str, now: int) -> list[Evaluation]:
        burning = firing_keys(self._alerts, cluster_id)
        targets = TargetTable(self._targets.list(cluster_id), self._defaults, burning)
        # One read per window in use: long windows are only read when a target asks for them.
        workloads = {
            w: self._stats.workload_totals(cluster_id, window_start(w, now), now)
            for w in targets.windows(SERVICE)
        }
        backends = {
            w: self._stats.ingress_totals(cluster_id, window_start(w, now), now)
            for w in targets.windows(INGRESS)
        }
        routes = self._store.domains(cluster_id)
        # Keys with a recorded status are evaluated even without traffic, so they can turn unknown.
        known = set(self._store.current(cluster_id))

        service_keys = {workload_id(ns, name) for (ns, name) in workloads[DEFAULT_WINDOW]}
        service_keys |= targets.keys(SERVICE)
        service_keys |= {key for (kind, key) in known if kind == SERVICE}
        out: list[Evaluation] = []
        for key in sorted(service_keys):
            target = targets.find(SERVICE, key)
            namespace, _, name = key.partition("/")
            found = workloads[target.window].get((namespace, name))
            out.append(evaluate(SERVICE, key, [found] if found is not None else [], target))

        domains = set(routes) | {key for (kind, key) in known if kind == INGRESS}
        for domain in sorted(domains):
            target = targets.find(INGRESS, domain)
            traffic = domain_backends(routes.get(domain, set()), backends[target.window])
            out.append(evaluate(INGRESS, domain, traffic, target))
        return out

    def _record(self, cluster_id: str, evaluations: list[Evaluation], now: int) -> int | None:
        """Write the changes versus the recorded status; None when another master holds the lock."""
        with self._store.update(cluster_id) as work:
            if not work.locked:
                return None
            current = work.current()
            changes = [
                StatusChange(
                    cluster_id=cluster_id,
                    target_type=e.target_type,
                    key=e.key,
                    old_status=current.get((e.target_type, e.key), slo.Status.UNKNOWN.value),
                    new_status=e.status.value,
                    availability=e.availability,
                    p95=e.p95,
                    error_budget=e.error_budget,
                    changed_at=now,
                )
                for e in evaluations
                if e.status.value != current.get((e.target_type, e.key), slo.Status.UNKNOWN.value)
            ]
            work.record(changes)
            return len(changes)
