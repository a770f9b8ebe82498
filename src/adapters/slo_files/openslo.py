"""OpenSLO v1 (SPEC §10): ``kind: SLO`` documents, with inline indicators or ``indicatorRef``s to
``kind: SLI`` documents of the same file, read into targets.

One SLO document holds one objective; meshslo holds up to two (availability and
latency) in one target, so the SLOs of one (cluster, type, key, window) merge.
What OpenSLO has no field for travels in annotations: ``meshslo.io/p95-target-ms``
(the status warning threshold) and ``meshslo.io/alerting``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.slo_files.fields import (
    TARGET_TYPES,
    Problems,
    check_unique,
    field_problems,
    is_number,
    key_problem,
    normalise,
    shown,
)
from application.ports.targets_api import WireTarget

API_VERSION = "openslo/v1"
P95_ANNOTATION = "meshslo.io/p95-target-ms"
ALERTING_ANNOTATION = "meshslo.io/alerting"
ROLLING = {"1d": "1d", "7d": "7d", "28d": "28d", "30d": "30d"}
CALENDAR = {"1w": "week", "1M": "month"}
UTC_ZONES = ("UTC", "Etc/UTC", "GMT", "Z")
# Kinds that say nothing meshslo evaluates; refusing them would refuse valid OpenSLO files.
SOURCE_FIELDS = ("target_type", "key", "sli", "threshold_ms")
IGNORED_KINDS = ("Service", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "DataSource")


@dataclass(frozen=True, slots=True)
class Indicator:
    target_type: str
    key: str
    sli: str
    threshold_ms: float | None


@dataclass(frozen=True, slots=True)
class Objective:
    """One SLO document, read: where it is, what it measures, over which window, to what target."""

    where: str
    cluster_id: str | None
    window: str
    indicator: Indicator
    percent: float
    p95_target_ms: float | None
    alerting: bool | None


def percent_of_ratio(ratio: float) -> float:
    # Through the decimal text: 0.999 * 100 would give 99.90000000000001.
    return float(Decimal(repr(float(ratio))) * 100)


def ratio_of_percent(percent: float) -> float:
    return float(Decimal(repr(float(percent))) / 100)


def _mapping(value: Any, where: str, path: str, problems: Problems) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    problems.add(where, f"{path}: {'is required' if value is None else 'must be a mapping'}")
    return None


def document_name(document: Any, index: int) -> str:
    kind = document.get("kind") if isinstance(document, dict) else None
    metadata = document.get("metadata") if isinstance(document, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if isinstance(name, str) and name and kind in ("SLO", "SLI"):
        return f'{kind} "{name}"'
    return f"document {index + 1}"


def read_indicator(spec: Any, where: str, path: str, problems: Problems) -> Indicator | None:
    """``{ratioMetric: {total: {metricSource: {type: meshslo, spec: {...}}}}}`` → what it measures."""
    spec = _mapping(spec, where, path, problems)
    if spec is None:
        return None
    if "ratioMetric" not in spec:
        other = next((name for name in ("thresholdMetric", "good", "bad") if name in spec), None)
        hint = f" ({other} is not)" if other else ""
        problems.add(where, f"{path}.ratioMetric: is required: meshslo indicators are ratio metrics{hint}")
        return None
    ratio = _mapping(spec["ratioMetric"], where, f"{path}.ratioMetric", problems)
    total = ratio and _mapping(ratio.get("total"), where, f"{path}.ratioMetric.total", problems)
    path = f"{path}.ratioMetric.total.metricSource"
    source = total and _mapping(total.get("metricSource"), where, path, problems)
    if not source:
        return None
    if source.get("type") != "meshslo":
        problems.add(where, f"{path}.type: must be meshslo, got {shown(source.get('type'))}")
        return None
    params = _mapping(source.get("spec"), where, f"{path}.spec", problems)
    if params is None:
        return None
    before = len(problems.items)
    target_type, key, sli = params.get("target_type"), params.get("key"), params.get("sli")
    if target_type not in TARGET_TYPES:
        problems.add(where, f"{path}.spec.target_type: must be one of {', '.join(TARGET_TYPES)}, "
                            f"got {shown(target_type)}")
    if problem := key_problem(target_type, key, f"{path}.spec.key"):
        problems.add(where, problem)
    threshold = params.get("threshold_ms")
    if sli == "latency":
        if not is_number(threshold) or threshold <= 0:
            problems.add(where, f"{path}.spec.threshold_ms: a latency indicator needs a number of "
                                f"milliseconds above 0, got {shown(threshold)}")
    elif sli == "availability":
        if threshold is not None:
            problems.add(where, f"{path}.spec.threshold_ms: only a latency indicator has a threshold")
    else:
        problems.add(where, f"{path}.spec.sli: must be availability or latency, got {shown(sli)}")
    unknown = sorted(str(name) for name in params if name not in SOURCE_FIELDS)
    if unknown:
        problems.add(where, f"{path}.spec.{unknown[0]}: unknown field "
                            "(known: target_type, key, sli, threshold_ms)")
    if len(problems.items) > before:
        return None
    return Indicator(target_type, key, sli, None if threshold is None else float(threshold))


def _window(spec: dict[str, Any], where: str, problems: Problems) -> str | None:
    windows = spec.get("timeWindow")
    if not isinstance(windows, list) or len(windows) != 1:
        problems.add(where, "spec.timeWindow: must be a list of exactly one window")
        return None
    window = _mapping(windows[0], where, "spec.timeWindow[0]", problems)
    if window is None:
        return None
    duration, rolling = window.get("duration"), window.get("isRolling")
    if rolling is True:
        if duration in ROLLING:
            return ROLLING[duration]
        problems.add(where, f"spec.timeWindow[0].duration: a rolling window is one of "
                            f"{', '.join(ROLLING)}, got {shown(duration)}")
    elif rolling is False:
        calendar = _mapping(window.get("calendar"), where, "spec.timeWindow[0].calendar", problems)
        zone = calendar.get("timeZone", "UTC") if calendar is not None else "UTC"
        if zone not in UTC_ZONES:
            problems.add(where, f"spec.timeWindow[0].calendar.timeZone: calendar windows are UTC, "
                                f"got {shown(zone)}")
        if duration not in CALENDAR:
            problems.add(where, f"spec.timeWindow[0].duration: a calendar window is 1w (ISO week) "
                                f"or 1M (calendar month), got {shown(duration)}")
        elif calendar is not None and zone in UTC_ZONES:
            return CALENDAR[duration]
    else:
        problems.add(where, f"spec.timeWindow[0].isRolling: must be true or false, got {shown(rolling)}")
    return None


def _target_percent(spec: dict[str, Any], where: str, problems: Problems) -> float | None:
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or len(objectives) != 1:
        problems.add(where, "spec.objectives: must be a list of exactly one objective "
                            "(write one SLO document per objective)")
        return None
    objective = _mapping(objectives[0], where, "spec.objectives[0]", problems)
    if objective is None:
        return None
    ratio, percent = objective.get("target"), objective.get("targetPercent")
    if ratio is not None and percent is not None:
        problems.add(where, "spec.objectives[0].target: set target or targetPercent, not both")
    elif ratio is not None:
        if is_number(ratio) and 0 < ratio < 1:
            return percent_of_ratio(ratio)
        problems.add(where, f"spec.objectives[0].target: must be between 0 and 1, got {shown(ratio)}")
    elif percent is not None:
        if is_number(percent) and 0 < percent < 100:
            return float(percent)
        problems.add(where, f"spec.objectives[0].targetPercent: must be between 0 and 100, "
                            f"got {shown(percent)}")
    else:
        problems.add(where, "spec.objectives[0].target: is required (or targetPercent)")
    return None


def _metadata(document: dict[str, Any], where: str, problems: Problems) -> tuple[Any, Any, Any]:
    """``(cluster_id, p95_target_ms, alerting)`` from labels and annotations."""
    metadata = _mapping(document.get("metadata"), where, "metadata", problems) or {}
    if not isinstance(metadata.get("name"), str) or not metadata.get("name"):
        problems.add(where, "metadata.name: is required")
    labels = metadata.get("labels") or {}
    annotations = metadata.get("annotations") or {}
    cluster = labels.get("cluster") if isinstance(labels, dict) else None
    if isinstance(cluster, list) and len(cluster) == 1:
        cluster = cluster[0]  # OpenSLO labels may be lists of values
    if cluster is not None and (not isinstance(cluster, str) or not cluster or cluster != cluster.strip()):
        problems.add(where, f"metadata.labels.cluster: must be one cluster id, got {shown(cluster)}")
    p95 = annotations.get(P95_ANNOTATION) if isinstance(annotations, dict) else None
    if p95 is not None:
        try:
            p95 = float(p95)
        except (TypeError, ValueError):
            p95 = -1.0
        if not is_number(p95) or p95 <= 0:
            problems.add(where, f"metadata.annotations.{P95_ANNOTATION}: must be a number of "
                                "milliseconds above 0")
    alerting = annotations.get(ALERTING_ANNOTATION) if isinstance(annotations, dict) else None
    if alerting is not None:
        text = str(alerting).lower()
        if text not in ("true", "false"):
            problems.add(where, f"metadata.annotations.{ALERTING_ANNOTATION}: must be true or false")
        alerting = text == "true"
    return cluster, p95, alerting


def read_slo(document: dict[str, Any], where: str, indicators: dict[str, Indicator | None],
             problems: Problems) -> Objective | None:
    before = len(problems.items)
    cluster, p95, alerting = _metadata(document, where, problems)
    spec = _mapping(document.get("spec"), where, "spec", problems)
    if spec is None:
        return None
    method = spec.get("budgetingMethod")
    if method != "Occurrences":
        problems.add(where, f"spec.budgetingMethod: only Occurrences is supported, got {shown(method)}")
    window = _window(spec, where, problems)
    percent = _target_percent(spec, where, problems)
    inline, ref = spec.get("indicator"), spec.get("indicatorRef")
    indicator: Indicator | None = None
    if (inline is None) == (ref is None):
        problems.add(where, "spec.indicator: set an inline indicator or an indicatorRef (exactly one)")
    elif inline is not None:
        inline = _mapping(inline, where, "spec.indicator", problems)
        if inline is not None:
            indicator = read_indicator(inline.get("spec"), where, "spec.indicator.spec", problems)
    elif ref not in indicators:
        problems.add(where, f"spec.indicatorRef: no kind: SLI document named {shown(ref)} in this file")
    else:
        indicator = indicators[ref]  # its own problems are reported at the SLI document
        if indicator is None:
            problems.add(where, f"spec.indicatorRef: SLI {ref!r} is invalid (see its problems)")
    if len(problems.items) > before or indicator is None or window is None or percent is None:
        return None
    return Objective(where, cluster, window, indicator, percent, p95, alerting)


def is_openslo(documents: list[Any]) -> bool:
    return any(isinstance(d, dict) and str(d.get("apiVersion", "")).startswith("openslo/") for d in documents)


def _merge_setting(target: WireTarget, name: str, objective: Objective, value: Any,
                   first: dict[str, str], problems: Problems) -> None:
    """p95 and alerting are per target: the SLOs merged into one must not disagree about them."""
    if value is None:
        return
    if target[name] is not None and target[name] != value:
        annotation = P95_ANNOTATION if name == "p95_target_ms" else ALERTING_ANNOTATION
        problems.add(objective.where, f"metadata.annotations.{annotation}: {shown(value)} disagrees with "
                                      f"{shown(target[name])} of {first[name]} for the same target")
        return
    target[name] = value
    first.setdefault(name, objective.where)


def merge(objectives: list[Objective], problems: Problems) -> list[WireTarget]:
    """One target per (cluster, type, key, window), holding its availability and latency objectives."""
    targets: dict[tuple[Any, ...], tuple[WireTarget, dict[str, str]]] = {}
    for objective in objectives:
        indicator = objective.indicator
        identity = (objective.cluster_id, indicator.target_type, indicator.key, objective.window)
        if identity not in targets:
            targets[identity] = ({
                "cluster_id": objective.cluster_id, "target_type": indicator.target_type,
                "key": indicator.key, "window": objective.window, "availability_target": None,
                "p95_target_ms": None, "latency_threshold_ms": None, "latency_target": None,
                "alerting": None,
            }, {})
        target, first = targets[identity]
        slot = "availability_target" if indicator.sli == "availability" else "latency_target"
        if slot in first:
            problems.add(objective.where, f"spec.indicator: the {indicator.sli} objective of "
                                          f"{indicator.target_type} {indicator.key!r} over "
                                          f"{objective.window} is already defined by {first[slot]}")
            continue
        first[slot] = objective.where
        target[slot] = objective.percent
        if indicator.sli == "latency":
            target["latency_threshold_ms"] = indicator.threshold_ms
        _merge_setting(target, "p95_target_ms", objective, objective.p95_target_ms, first, problems)
        _merge_setting(target, "alerting", objective, objective.alerting, first, problems)
    found: list[tuple[str, WireTarget]] = []
    for target, first in targets.values():
        if target["alerting"] is None:
            target["alerting"] = True
        where = first.get("availability_target") or first["latency_target"]
        # Built from checked parts, so this only guards the two formats against drifting apart.
        for message in field_problems(target):
            problems.add(where, message)
        found.append((where, normalise(target)))
    check_unique(found, problems)
    return [target for _, target in found]


def targets_from_documents(documents: list[Any], problems: Problems) -> list[WireTarget]:
    indicators: dict[str, Indicator | None] = {}
    slos: list[tuple[dict[str, Any], str]] = []
    for index, document in enumerate(documents):
        where = document_name(document, index)
        if not isinstance(document, dict):
            problems.add(where, "must be a mapping (an OpenSLO document)")
            continue
        if document.get("apiVersion") != API_VERSION:
            problems.add(where, f"apiVersion: must be {API_VERSION}, got {shown(document.get('apiVersion'))}")
            continue
        kind = document.get("kind")
        if kind == "SLO":
            slos.append((document, where))
        elif kind == "SLI":
            metadata = document.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            if not isinstance(name, str) or not name:
                problems.add(where, "metadata.name: is required (an indicatorRef names it)")
            elif name in indicators:
                problems.add(where, f"metadata.name: another SLI is named {name!r}")
            else:
                indicators[name] = read_indicator(document.get("spec"), where, "spec", problems)
        elif kind not in IGNORED_KINDS:
            problems.add(where, f"kind: must be SLO or SLI, got {shown(kind)}")
    seen: set[str] = set()
    objectives: list[Objective] = []
    for document, where in slos:
        metadata = document.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if isinstance(name, str) and name in seen:
            problems.add(where, f"metadata.name: another SLO is named {name!r}")
        elif isinstance(name, str):
            seen.add(name)
        objective = read_slo(document, where, indicators, problems)
        if objective is not None:
            objectives.append(objective)
    return merge(objectives, problems)
