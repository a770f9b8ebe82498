"""Ports of SLOs as code (SPEC §10): the master's targets API and the SLO file formats.

A target travels as a plain dict in the wire shape of ``PUT /api/v2/slo/targets``
(the objectives contract), with every field of ``TARGET_FIELDS`` present.
"""

from __future__ import annotations

from typing import Any, Protocol

WireTarget = dict[str, Any]
TargetId = tuple[str | None, str, str, str]

IDENTITY_FIELDS = ("cluster_id", "target_type", "key", "window")
SETTING_FIELDS = (
    "availability_target", "p95_target_ms", "latency_threshold_ms", "latency_target", "alerting",
)
TARGET_FIELDS = IDENTITY_FIELDS + SETTING_FIELDS


def target_id(target: WireTarget) -> TargetId:
    return (target["cluster_id"], target["target_type"], target["key"], target["window"])


def describe_id(target: WireTarget) -> str:
    cluster = target["cluster_id"] or "(cluster not set)"
    return f"{cluster} {target['target_type']} {target['key']} {target['window']}"


class TargetsApiError(Exception):
    """The master refused a request or could not be reached; the message says which and why."""


class TargetsApi(Protocol):
    def clusters(self) -> list[str]:
        """Ids of the clusters that reported to the master."""
        ...

    def list_targets(self, cluster_id: str | None = None) -> list[WireTarget]: ...

    def put_target(self, target: WireTarget) -> WireTarget: ...

    def delete_target(self, cluster_id: str, target_type: str, key: str, window: str) -> bool:
        """False when the master had no such target (someone else deleted it first)."""
        ...


class SloFileError(ValueError):
    """An SLO file that must not be applied: every problem found, each naming document and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class SloFiles(Protocol):
    """SLO files in the native format or OpenSLO v1."""

    def read(self, path: str) -> list[WireTarget]:
        """Every target of the file, validated; raises ``SloFileError`` listing every problem."""
        ...

    def write(self, targets: list[WireTarget], format_name: str) -> str:
        """``format_name``: ``native`` or ``openslo``."""
        ...
