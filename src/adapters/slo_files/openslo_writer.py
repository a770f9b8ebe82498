"""Targets as OpenSLO v1: one ``kind: SLO`` document per objective, with an inline indicator.

Names are derived from what the SLO measures, ``<cluster>-<type>-<key>-<window>-<sli>``,
so that the same targets always give the same text (export → apply → export is identical).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any

from adapters.slo_files.documents import dump_yaml
from adapters.slo_files.fields import plain_number, sort_key
from adapters.slo_files.openslo import (
    ALERTING_ANNOTATION,
    API_VERSION,
    CALENDAR,
    P95_ANNOTATION,
    ratio_of_percent,
)
from application.ports.targets_api import WireTarget

WINDOW_DURATION = {window: duration for duration, window in CALENDAR.items()}
# A Monday and the first of a month: the start of both calendar windows meshslo evaluates.
CALENDAR_START = "2024-01-01 00:00:00"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _objectives(target: WireTarget) -> list[str]:
    found = ["availability"] if target["availability_target"] is not None else []
    return found + (["latency"] if target["latency_target"] is not None else [])


def _name(target: WireTarget, sli: str) -> str:
    parts = (target["cluster_id"] or "", target["target_type"], target["key"], target["window"], sli)
    return "-".join(slug(part) for part in parts if part)


def _time_window(window: str) -> dict[str, Any]:
    if window in WINDOW_DURATION:
        return {"duration": WINDOW_DURATION[window], "isRolling": False,
                "calendar": {"startTime": CALENDAR_START, "timeZone": "UTC"}}
    return {"duration": window, "isRolling": True}


def _number_text(value: float) -> str:
    return str(plain_number(value))


def slo_document(target: WireTarget, sli: str, name: str) -> dict[str, Any]:
    source: dict[str, Any] = {"target_type": target["target_type"], "key": target["key"], "sli": sli}
    if sli == "latency":
        source["threshold_ms"] = plain_number(target["latency_threshold_ms"])
        percent = target["latency_target"]
        description = (f"{target['latency_target']:g} % of requests within "
                       f"{target['latency_threshold_ms']:g} ms")
    else:
        percent = target["availability_target"]
        description = f"{percent:g} % of requests succeed"
    metadata: dict[str, Any] = {"name": name}
    if target["cluster_id"] is not None:
        metadata["labels"] = {"cluster": target["cluster_id"]}
    annotations: dict[str, str] = {}
    if target["p95_target_ms"] is not None:
        annotations[P95_ANNOTATION] = _number_text(target["p95_target_ms"])
    if target["alerting"] is False:
        annotations[ALERTING_ANNOTATION] = "false"
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": API_VERSION,
        "kind": "SLO",
        "metadata": metadata,
        "spec": {
            "description": f"{target['target_type']} {target['key']}: {description}",
            "service": slug(target["key"]),
            "indicator": {
                "metadata": {"name": f"{name}-sli"},
                "spec": {"ratioMetric": {
                    "counter": True,
                    "good": {"metricSource": {"type": "meshslo", "spec": {**source, "events": "good"}}},
                    "total": {"metricSource": {"type": "meshslo", "spec": source}},
                }},
            },
            "timeWindow": [_time_window(target["window"])],
            "budgetingMethod": "Occurrences",
            "objectives": [{"displayName": sli, "target": ratio_of_percent(percent)}],
        },
    }


def write_openslo(targets: list[WireTarget]) -> str:
    ordered = sorted(targets, key=sort_key)
    pairs = [(target, sli) for target in ordered for sli in _objectives(target)]
    names = [_name(target, sli) for target, sli in pairs]
    repeated = {name for name, count in Counter(names).items() if count > 1}
    documents = []
    for (target, sli), name in zip(pairs, names, strict=True):
        if name in repeated:  # two keys with the same slug ("a.b" and "a-b"): the exact key decides
            identity = "\0".join(str(target[f]) for f in ("cluster_id", "target_type", "key", "window"))
            name = f"{name}-{hashlib.sha256(identity.encode()).hexdigest()[:8]}"
        documents.append(slo_document(target, sli, name))
    return dump_yaml(documents) if documents else ""
