"""Validation of SLO targets and the choice of the target a status is judged by."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from domain import slo
from domain.targets import TARGET_TYPES, TARGET_WINDOWS, TargetRecord

# When a key has targets for several windows, status follows the shortest:
# it reacts fastest to what is happening now.
WINDOW_PREFERENCE = ("1d", "7d", "30d")
DEFAULT_WINDOW = "1d"


class InvalidTarget(ValueError):
    """A target that must not be stored; the message names the field."""


def validate_target(target: TargetRecord) -> TargetRecord:
    if not target.cluster_id.strip():
        raise InvalidTarget("cluster_id: must not be empty")
    if target.target_type not in TARGET_TYPES:
        raise InvalidTarget(
            f"target_type: must be one of {', '.join(TARGET_TYPES)}, got {target.target_type!r}"
        )
    if target.window not in TARGET_WINDOWS:
        raise InvalidTarget(f"window: must be one of {', '.join(TARGET_WINDOWS)}, got {target.window!r}")
    if not target.key or target.key != target.key.strip():
        raise InvalidTarget(f"key: must be non-empty without surrounding spaces, got {target.key!r}")
    if target.target_type == "service":
        namespace, slash, name = target.key.partition("/")
        if not slash or not namespace or not name or "/" in name:
            raise InvalidTarget(f"key: a service key is 'namespace/name', got {target.key!r}")
    availability = target.availability_target
    if not math.isfinite(availability) or not 0 < availability < 100:
        raise InvalidTarget(f"availability_target: must be above 0 and below 100 (%), got {availability}")
    p95 = target.p95_target_ms
    if not math.isfinite(p95) or p95 <= 0:
        raise InvalidTarget(f"p95_target_ms: must be a positive number of milliseconds, got {p95}")
    return target


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
