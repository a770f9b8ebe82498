"""The native SLO file: a list of target objects with the fields of ``PUT /api/v2/slo/targets``,
or a mapping ``{targets: [...]}`` (what ``GET /api/v2/slo/targets`` answers)."""

from __future__ import annotations

from typing import Any

from adapters.slo_files.documents import dump_yaml
from adapters.slo_files.fields import (
    Problems,
    check_unique,
    field_problems,
    normalise,
    plain_number,
    sort_key,
)
from application.ports.targets_api import TARGET_FIELDS, WireTarget


def targets_from_documents(documents: list[Any], problems: Problems) -> list[WireTarget]:
    if not documents:
        return []  # an empty file: no targets
    if len(documents) != 1:
        problems.add(f"document {min(len(documents), 2)}",
                     "a native SLO file is one document: a list of targets or {targets: [...]}")
        return []
    body = documents[0]
    if isinstance(body, dict) and set(body) == {"targets"}:
        body = body["targets"]
    if not isinstance(body, list):
        problems.add("document 1", "must be a list of targets or a mapping {targets: [...]}")
        return []
    found: list[tuple[str, WireTarget]] = []
    for index, raw in enumerate(body):
        where = f"targets[{index}]"
        if not isinstance(raw, dict):
            problems.add(where, f"must be a mapping of target fields, got {type(raw).__name__}")
            continue
        messages = field_problems(raw)
        for message in messages:
            problems.add(where, message)
        if not messages:
            found.append((where, normalise(raw)))
    check_unique(found, problems)
    return [target for _, target in found]


def write_native(targets: list[WireTarget]) -> str:
    """A YAML list sorted by cluster, type, key and window; unset (null) fields left out."""
    entries: list[dict[str, Any]] = []
    for target in sorted(targets, key=sort_key):
        entry: dict[str, Any] = {}
        for name in TARGET_FIELDS:
            value = target.get(name)
            if value is None:
                continue
            entry[name] = plain_number(value) if isinstance(value, float) else value
        entries.append(entry)
    return dump_yaml([entries])
