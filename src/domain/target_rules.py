"""SLO target rules: validation, and the choice of the target a status is judged by.

The status checker and the query service both judge keys through ``TargetTable``,
so the dashboard and the recorded status history agree on which target applies.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain import slo
from domain.targets import TARGET_TYPES, TARGET_WINDOWS, TargetRecord

# When a key has targets for several windows, status follows the shortest:
# it reacts fastest to what is happening now.
WINDOW_PREFERENCE = ("1d", "7d", "30d")
DEFAULT_WINDOW = "1d"


class InvalidTarget(ValueError):
    """A target that must not be stored.

    ``problems`` are sentences that each name their field (the API lists them
    all in one 422); ``str()`` prefixes each with its field, ``field: sentence``.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = [sentence for _, sentence in problems]
        super().__init__("; ".join(f"{name}: {sentence}" for name, sentence in problems))


def target_problems(
    target_type: str, key: str, window: str, availability_target: float, p95_target_ms: float
) -> list[str]:
    """Every problem with a target's fields, each a sentence naming its field (empty when valid)."""
    problems = _field_problems(target_type, key, window, availability_target, p95_target_ms)
    return [sentence for _, sentence in problems]


def validate_target(target: TargetRecord) -> TargetRecord:
    """The target unchanged, or ``InvalidTarget`` listing every problem."""
    problems = _field_problems(
        target.target_type, target.key, target.window, target.availability_target, target.p95_target_ms
    )
    if not target.cluster_id.strip():
        problems.insert(0, ("cluster_id", "cluster_id must not be empty"))
    if problems:
        raise InvalidTarget(problems)
    return target


def _field_problems(
    target_type: str, key: str, window: str, availability_target: float, p95_target_ms: float
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
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
    if not (math.isfinite(availability_target) and 0 < availability_target < 100):
        problems.append((
            "availability_target",
            f"availability_target must be above 0 and below 100 (percent), got {availability_target}",
        ))
    if not (math.isfinite(p95_target_ms) and p95_target_ms > 0):
        problems.append(
            ("p95_target_ms", f"p95_target_ms must be a positive number of milliseconds, got {p95_target_ms}")
        )
    return problems


@dataclass(frozen=True, slots=True)
class EffectiveTarget:
    """What a key's status is judged by: thresholds, and the window they apply to."""

    target: slo.Target
    window: str
    is_default: bool

    @property
    def window_seconds(self) -> int:
        return TARGET_WINDOWS[self.window]


def effective_target(records: Iterable[TargetRecord], defaults: slo.Target) -> EffectiveTarget:
    """The key's target for the most preferred window it has, else the defaults over 1d."""
    by_window = {record.window: record for record in records}
    for window in WINDOW_PREFERENCE:
        record = by_window.get(window)
        if record is not None:
            return EffectiveTarget(
                slo.Target(record.availability_target, record.p95_target_ms), window, is_default=False
            )
    return EffectiveTarget(defaults, DEFAULT_WINDOW, is_default=True)


class TargetTable:
    """A cluster's targets, each (target type, key) resolved to its effective target."""

    def __init__(self, records: Iterable[TargetRecord], defaults: slo.Target) -> None:
        grouped: dict[tuple[str, str], list[TargetRecord]] = defaultdict(list)
        for record in records:
            grouped[(record.target_type, record.key)].append(record)
        self._effective = {slot: effective_target(found, defaults) for slot, found in grouped.items()}
        self.default = effective_target((), defaults)

    def find(self, target_type: str, *keys: str) -> EffectiveTarget:
        """The target of the first of ``keys`` that has one, else the defaults."""
        for key in keys:
            found = self._effective.get((target_type, key))
            if found is not None:
                return found
        return self.default

    def keys(self, target_type: str) -> set[str]:
        """Keys of this type with a target of their own."""
        return {key for (kind, key) in self._effective if kind == target_type}

    def windows(self, target_type: str) -> set[str]:
        """Windows some key of this type is judged over, the defaults' included."""
        found = {t.window for (kind, _), t in self._effective.items() if kind == target_type}
        return {DEFAULT_WINDOW} | found
