"""Checks of one target object against the objectives contract (SPEC §10), shared by both formats.

Every problem is collected rather than raised at the first, so one run of
``meshslo slo apply`` shows all that is wrong with a file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from application.ports.targets_api import TARGET_FIELDS, SloFileError, WireTarget, target_id

TARGET_TYPES = ("service", "ingress")
WINDOWS = ("1d", "7d", "28d", "30d", "week", "month")
DEFAULT_WINDOW = "1d"
# Accepted so that a GET answer can be applied as it is; never sent back.
ANSWER_ONLY_FIELDS = ("updated_at",)


@dataclass
class Problems:
    """Problems found in one file, each prefixed with the file and the document it is in."""

    source: str
    items: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.source}: {where}: {message}")

    def raise_any(self) -> None:
        if self.items:
            raise SloFileError(self.items)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _text(value: Any, name: str) -> str | None:
    """The reason a key-like string is refused, or None when it is fine."""
    if not isinstance(value, str) or not value:
        return f"{name}: must be a non-empty string, got {shown(value)}"
    if value != value.strip():
        return f"{name}: must not have surrounding spaces, got {value!r}"
    return None


def _percent(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not is_number(value) or not 0 < value < 100:
        return f"{name}: must be above 0 and below 100 (%), got {shown(value)}"
    return None


def _positive(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not is_number(value) or value <= 0:
        return f"{name}: must be a number of milliseconds above 0, got {shown(value)}"
    return None


def key_problem(target_type: Any, key: Any, name: str = "key") -> str | None:
    problem = _text(key, name)
    if problem is None and target_type == "service":
        namespace, slash, workload = key.partition("/")
        if not slash or not namespace or not workload or "/" in workload:
            problem = f"{name}: a service key is 'namespace/name', got {key!r}"
    return problem


def field_problems(raw: Mapping[str, Any]) -> list[str]:
    """What is wrong with a target object's fields, each message naming the field first."""
    found: list[str] = []
    cluster = raw.get("cluster_id")
    if cluster is not None and (problem := _text(cluster, "cluster_id")):
        found.append(problem)
    target_type = raw.get("target_type")
    if target_type not in TARGET_TYPES:
        found.append(f"target_type: must be one of {', '.join(TARGET_TYPES)}, got {shown(target_type)}")
    if problem := key_problem(target_type, raw.get("key")):
        found.append(problem)
    window = raw.get("window", DEFAULT_WINDOW)
    if window not in WINDOWS:
        found.append(f"window: must be one of {', '.join(WINDOWS)}, got {shown(window)}")
    for name in ("availability_target", "latency_target"):
        if problem := _percent(raw.get(name), name):
            found.append(problem)
    for name in ("p95_target_ms", "latency_threshold_ms"):
        if problem := _positive(raw.get(name), name):
            found.append(problem)
    threshold, latency = raw.get("latency_threshold_ms"), raw.get("latency_target")
    if (threshold is None) != (latency is None):
        missing = "latency_target" if latency is None else "latency_threshold_ms"
        found.append(f"{missing}: latency_threshold_ms and latency_target are set together or not at all")
    if raw.get("availability_target") is None and threshold is None and latency is None:
        found.append("availability_target: at least one objective is needed "
                     "(availability_target, or latency_threshold_ms with latency_target)")
    alerting = raw.get("alerting", True)
    if not isinstance(alerting, bool):
        found.append(f"alerting: must be true or false, got {shown(alerting)}")
    updated = raw.get("updated_at")
    if updated is not None and (not isinstance(updated, int) or isinstance(updated, bool)):
        found.append(f"updated_at: must be a whole number of seconds, got {shown(updated)}")
    unknown = sorted(str(name) for name in raw if name not in TARGET_FIELDS + ANSWER_ONLY_FIELDS)
    if unknown:
        found.append(f"{unknown[0]}: unknown field (known: {', '.join(TARGET_FIELDS)})")
    return found


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)


def normalise(raw: Mapping[str, Any]) -> WireTarget:
    """A checked target object with every contract field present, numbers as floats."""
    return {
        "cluster_id": raw.get("cluster_id"),
        "target_type": raw["target_type"],
        "key": raw["key"],
        "window": raw.get("window", DEFAULT_WINDOW),
        "availability_target": _as_float(raw.get("availability_target")),
        "p95_target_ms": _as_float(raw.get("p95_target_ms")),
        "latency_threshold_ms": _as_float(raw.get("latency_threshold_ms")),
        "latency_target": _as_float(raw.get("latency_target")),
        "alerting": raw.get("alerting", True),
    }


def check_unique(targets: list[tuple[str, WireTarget]], problems: Problems) -> None:
    """Two entries for the same (cluster, type, key, window) would silently overwrite each other."""
    first: dict[tuple[Any, ...], str] = {}
    for where, target in targets:
        identity = target_id(target)
        if identity in first:
            problems.add(where, f"key: {target['target_type']} {target['key']!r} window "
                                f"{target['window']} is already defined by {first[identity]}")
        else:
            first[identity] = where


def plain_number(value: float) -> int | float:
    """``99.0`` as ``99`` in written files: what a person would type."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def sort_key(target: WireTarget) -> tuple[str, str, str, int]:
    window = target["window"]
    order = WINDOWS.index(window) if window in WINDOWS else len(WINDOWS)
    return (target["cluster_id"] or "", target["target_type"], target["key"], order)
