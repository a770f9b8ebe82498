"""SLO target rules: validation, and the choice of the target a status is judged by.

The status checker and the query service both judge keys through ``TargetTable``,
so the dashboard and the recorded status history agree on which target applies.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from domain import slo
from domain.objectives import Objective, ObjectiveReport, Traffic, evaluate, headline_budget, status
from domain.slo_windows import window_start
from domain.target_objectives import objectives_of
from domain.targets import TARGET_TYPES, TARGET_WINDOWS, TargetRecord

# When a key has targets for several windows, status follows the shortest:
# it reacts fastest to what is happening now.
WINDOW_PREFERENCE = ("1d", "7d", "week", "28d", "30d", "month")
DEFAULT_WINDOW = "1d"


class InvalidTarget(ValueError):
    """A target that must not be stored.

    ``problems`` are sentences that each name their field (the API lists them
    all in one 422); ``str()`` prefixes each with its field, ``field: sentence``.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = [sentence for _, sentence in problems]
        self.fields = [name for name, _ in problems]
        super().__init__("; ".join(f"{name}: {sentence}" for name, sentence in problems))


def validate_target(target: TargetRecord) -> TargetRecord:
    """The target unchanged, or ``InvalidTarget`` listing every problem."""
    problems = _field_problems(
        target.target_type, target.key, target.window, target.availability_target, target.p95_target_ms,
        target.latency_threshold_ms, target.latency_target,
    )
    if not target.cluster_id.strip():
        problems.insert(0, ("cluster_id", "cluster_id must not be empty"))
    if problems:
        raise InvalidTarget(problems)
    return target


def _percent_problem(name: str, value: float) -> tuple[str, str] | None:
    if isinstance(value, bool) or not (math.isfinite(value) and 0 < value < 100):
        return name, f"{name} must be above 0 and below 100 (percent), got {value}"
    return None


def _milliseconds_problem(name: str, value: float) -> tuple[str, str] | None:
    if isinstance(value, bool) or not (math.isfinite(value) and value > 0):
        return name, f"{name} must be a positive number of milliseconds, got {value}"
    return None


def _field_problems(
    target_type: str,
    key: str,
    window: str,
    availability_target: float | None,
    p95_target_ms: float | None,
    latency_threshold_ms: float | None,
    latency_target: float | None,
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str] | None] = []
    if target_type not in TARGET_TYPES:
        problems.append(
            ("target_type", f"target_type must be one of {', '.join(TARGET_TYPES)}, got {target_type!r}")
        )
    if not key.strip():
        problems.append(("key", "key must not be empty"))
    elif key != key.strip():
        problems.append(("key", f"key must not start or end with spaces, got {key!r}"))
    elif target_type == "service":
        namespace, slash, name = key.partition("/")
        if not slash or not namespace or not name or "/" in name:
            problems.append(("key", f"a service target key is 'namespace/name', got {key!r}"))
    if window not in TARGET_WINDOWS:
        problems.append(("window", f"window must be one of {', '.join(TARGET_WINDOWS)}, got {window!r}"))
    if availability_target is not None:
        problems.append(_percent_problem("availability_target", availability_target))
    if p95_target_ms is not None:
        problems.append(_milliseconds_problem("p95_target_ms", p95_target_ms))
    if (latency_threshold_ms is None) != (latency_target is None):
        missing = "latency_target" if latency_target is None else "latency_threshold_ms"
        problems.append((missing, "latency_threshold_ms and latency_target go together: set both or neither"))
    else:
        if latency_threshold_ms is not None:
            problems.append(_milliseconds_problem("latency_threshold_ms", latency_threshold_ms))
        if latency_target is not None:
            problems.append(_percent_problem("latency_target", latency_target))
    if availability_target is None and latency_threshold_ms is None and latency_target is None:
        problems.append(("availability_target", "a target needs an objective: availability_target, or "
                                                "latency_threshold_ms with latency_target"))
    return [problem for problem in problems if problem is not None]


@dataclass(frozen=True, slots=True)
class EffectiveTarget:
    """What a key's status is judged by: the target (its p95 threshold resolved), and whether
    it is the configured default because the key has none of its own."""

    record: TargetRecord
    is_default: bool
    burning: bool = False  # a burn-rate alert of this key fires (SPEC §11): at least a warning

    @property
    def window(self) -> str:
        return self.record.window

    @property
    def p95_ms(self) -> float:
        assert self.record.p95_target_ms is not None  # resolved by effective_target
        return self.record.p95_target_ms

    @property
    def availability(self) -> float | None:
        return self.record.availability_target

    @property
    def objectives(self) -> list[Objective]:
        return objectives_of(self.record)

    def window_start(self, now: int) -> int:
        return window_start(self.record.window, now)


@dataclass(frozen=True, slots=True)
class Judgement:
    status: slo.Status
    budget: float | None  # the headline budget: the objective closest to spent
    reports: list[ObjectiveReport]


def judge(target: EffectiveTarget, traffic: Sequence[Traffic], p95_ms: float | None) -> Judgement:
    """Status and budgets of ``traffic`` (one workload, or a domain's backends) against a target:
    the one rule the status checker and the query answers share (SPEC §10)."""
    reports = [evaluate(objective, target.window, traffic) for objective in target.objectives]
    requests = sum(item.requests for item in traffic)
    judged = status(requests, reports, p95_ms, target.p95_ms, burning=target.burning)
    return Judgement(judged, headline_budget(reports), reports)


def default_record(defaults: slo.Target) -> TargetRecord:
    return TargetRecord("", "", "", DEFAULT_WINDOW, defaults.availability, defaults.p95_ms)


def effective_target(records: Iterable[TargetRecord], defaults: slo.Target) -> EffectiveTarget:
    """The key's target for the most preferred window it has, else the defaults over 1d."""
    by_window = {record.window: record for record in records}
    for window in WINDOW_PREFERENCE:
        record = by_window.get(window)
        if record is not None:
            if record.p95_target_ms is None:
                record = replace(record, p95_target_ms=defaults.p95_ms)
            return EffectiveTarget(record, is_default=False)
    return EffectiveTarget(default_record(defaults), is_default=True)


class TargetTable:
    """A cluster's targets, each (target type, key) resolved to its effective target."""

    def __init__(
        self,
        records: Iterable[TargetRecord],
        defaults: slo.Target,
        burning: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._burning = frozenset(burning)
        grouped: dict[tuple[str, str], list[TargetRecord]] = defaultdict(list)
        for record in records:
            grouped[(record.target_type, record.key)].append(record)
        self._effective = {slot: effective_target(found, defaults) for slot, found in grouped.items()}
        self.default = effective_target((), defaults)

    def find(self, target_type: str, *keys: str) -> EffectiveTarget:
        """The target of the first of ``keys`` that has one, else the defaults; marked burning
        when the first key (the one judged) has a firing burn-rate alert."""
        found = next((self._effective[(target_type, key)] for key in keys
                      if (target_type, key) in self._effective), self.default)
        if keys and (target_type, keys[0]) in self._burning:
            return replace(found, burning=True)
        return found

    def keys(self, target_type: str) -> set[str]:
        """Keys of this type with a target of their own."""
        return {key for (kind, key) in self._effective if kind == target_type}

    def windows(self, target_type: str) -> set[str]:
        """Windows some key of this type is judged over, the defaults' included."""
        found = {t.window for (kind, _), t in self._effective.items() if kind == target_type}
        return {DEFAULT_WINDOW} | found
