"""SLO objectives (SPEC §10): what counts as a good and a bad event, budget, burn rate.

An objective turns the totals the domain already sums (``domain.totals``) into
events; everything else — the SLI, the remaining error budget ("occurrences"
budgeting) and the burn rate of a window — follows from the events and the
objective's target, the same way for every objective type. A new objective
type is a class with ``sli``, ``target`` and ``events``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from domain.latency_share import count_within_all
from domain.slo import Status


class SLI(StrEnum):
    AVAILABILITY = "availability"
    LATENCY = "latency"


class Traffic(Protocol):
    """What an objective reads: request and error counts and cumulative latency buckets."""

    @property
    def requests(self) -> int: ...

    @property
    def errors(self) -> int: ...

    @property
    def buckets(self) -> Mapping[str, float]: ...


@dataclass(frozen=True, slots=True)
class Events:
    total: float
    bad: float
    estimated: bool = False

    @property
    def good(self) -> float:
        return self.total - self.bad

    def __add__(self, other: Events) -> Events:
        return Events(self.total + other.total, self.bad + other.bad, self.estimated or other.estimated)


NO_EVENTS = Events(0.0, 0.0)


def _allowed_share(target: float) -> float:
    # Decimal from the target's shortest text: 100 - 99.9 in binary floats is 0.0999999999999943,
    # which would show a budget spent to the last event as overspent (and critical).
    allowed = float((Decimal(100) - Decimal(repr(float(target)))) / 100)
    if allowed <= 0:
        raise ValueError(f"objective target {target} leaves no error budget")
    return allowed


def sli_percent(events: Events) -> float | None:
    """Share of good events in percent; ``None`` without events."""
    if events.total <= 0:
        return None
    return events.good / events.total * 100


def budget_remaining(events: Events, target: float) -> float | None:
    """Percent of the window's error budget left: 100 unspent, below 0 overspent, at most 100."""
    if events.total <= 0:
        return None
    return min(100.0, 100 - events.bad / (events.total * _allowed_share(target)) * 100)


def burn_rate(events: Events, target: float) -> float | None:
    """How fast the budget burns: 1 spends exactly the budget over the window (SPEC §11)."""
    if events.total <= 0:
        return None
    return (events.bad / events.total) / _allowed_share(target)


class Objective(Protocol):
    @property
    def sli(self) -> SLI: ...

    @property
    def target(self) -> float: ...

    @property
    def threshold_ms(self) -> float | None: ...

    def events(self, traffic: Iterable[Traffic]) -> Events: ...


@dataclass(frozen=True, slots=True)
class AvailabilityObjective:
    """Good: requests that did not fail (workloads: classification failure; ingress: 5xx)."""

    target: float  # percent

    @property
    def sli(self) -> SLI:
        return SLI.AVAILABILITY

    @property
    def threshold_ms(self) -> float | None:
        return None

    def events(self, traffic: Iterable[Traffic]) -> Events:
        total = bad = 0.0
        for item in traffic:
            total += item.requests
            bad += item.errors
        return Events(total, bad)


@dataclass(frozen=True, slots=True)
class LatencyObjective:
    """Good: requests that took at most ``threshold_ms``, from the latency buckets.

    Each traffic item is counted against its own bucket bounds, so the backends
    of one domain may use different bounds.
    """

    threshold_ms: float
    target: float  # percent

    @property
    def sli(self) -> SLI:
        return SLI.LATENCY

    def events(self, traffic: Iterable[Traffic]) -> Events:
        counted = count_within_all((item.buckets for item in traffic), self.threshold_ms)
        return Events(counted.total, counted.total - counted.within, counted.estimated)


@dataclass(frozen=True, slots=True)
class ObjectiveReport:
    """One objective evaluated over its window: what the API and the dashboard show."""

    sli: SLI
    window: str
    target: float
    threshold_ms: float | None
    events: Events

    @property
    def sli_percent(self) -> float | None:
        return sli_percent(self.events)

    @property
    def budget_remaining(self) -> float | None:
        return budget_remaining(self.events, self.target)

    @property
    def estimated(self) -> bool:
        return self.events.estimated and self.events.total > 0

    @property
    def budget_spent(self) -> bool:
        remaining = self.budget_remaining
        return remaining is not None and remaining < 0


def evaluate(objective: Objective, window: str, traffic: Iterable[Traffic]) -> ObjectiveReport:
    return ObjectiveReport(objective.sli, window, objective.target, objective.threshold_ms,
                           objective.events(traffic))


def status(
    requests: float,
    reports: Iterable[ObjectiveReport],
    p95_ms: float | None,
    p95_threshold_ms: float,
    burning: bool = False,
) -> Status:
    """SPEC §10/§5: critical when an objective's budget is spent, warning when p95 is above
    its threshold or a burn-rate tier fires, unknown without traffic, healthy otherwise."""
    if requests <= 0:
        return Status.UNKNOWN
    if any(report.budget_spent for report in reports):
        return Status.CRITICAL
    if burning or (p95_ms is not None and p95_ms > p95_threshold_ms):
        return Status.WARNING
    return Status.HEALTHY


def headline_budget(reports: Iterable[ObjectiveReport]) -> float | None:
    """The budget closest to spent among the objectives (the one people must look at first)."""
    budgets = [r.budget_remaining for r in reports if r.budget_remaining is not None]
    return min(budgets) if budgets else None
