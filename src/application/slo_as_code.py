"""SLOs as code (SPEC §10): apply a file of targets to the master, or export the stored ones.

``apply`` validates the whole file before it asks the master anything, then
plans (create / update / unchanged, and with ``prune`` delete the targets of the
file's clusters that the file does not name), prints the plan and, unless it is
a dry run, carries it out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.ports.targets_api import (
    SETTING_FIELDS,
    SloFileError,
    SloFiles,
    TargetsApi,
    TargetsApiError,
    WireTarget,
    describe_id,
    target_id,
)

EXIT_OK = 0
EXIT_MASTER_ERROR = 1
EXIT_INVALID = 2
ACTIONS = ("create", "update", "unchanged", "delete")


@dataclass(frozen=True, slots=True)
class Change:
    action: str
    target: WireTarget
    before: WireTarget | None = None

    def changed_fields(self) -> list[str]:
        if self.before is None:
            return []
        return [name for name in SETTING_FIELDS if self.before[name] != self.target[name]]

    def describe(self) -> str:
        what = describe_id(self.target)
        if self.action == "update":
            changes = ", ".join(f"{name} {_shown(self.before, name)} -> {_shown(self.target, name)}"
                                for name in self.changed_fields())
            return f"{self.action:<9} {what}: {changes}"
        return f"{self.action:<9} {what}: {objectives_text(self.target)}"


def _shown(target: WireTarget | None, name: str) -> str:
    value = None if target is None else target[name]
    if value is None:
        return "unset"
    return f"{value:g}" if isinstance(value, float) else str(value).lower()


def objectives_text(target: WireTarget) -> str:
    parts = []
    if target["availability_target"] is not None:
        parts.append(f"availability {target['availability_target']:g} %")
    if target["latency_target"] is not None:
        parts.append(f"latency {target['latency_target']:g} % within {target['latency_threshold_ms']:g} ms")
    if target["p95_target_ms"] is not None:
        parts.append(f"p95 warning {target['p95_target_ms']:g} ms")
    if target["alerting"] is False:
        parts.append("alerting off")
    return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Plan:
    changes: list[Change]

    def of(self, action: str) -> list[Change]:
        return [change for change in self.changes if change.action == action]

    @property
    def writes(self) -> list[Change]:
        return [change for change in self.changes if change.action != "unchanged"]

    def summary(self) -> str:
        counts = {action: len(self.of(action)) for action in ACTIONS}
        return (f"{counts['create']} to create, {counts['update']} to update, "
                f"{counts['unchanged']} unchanged, {counts['delete']} to delete")


def with_clusters(desired: list[WireTarget], clusters: list[str]) -> list[WireTarget]:
    """Targets without a cluster go to the master's only cluster (as ``PUT`` would put them)."""
    if all(target["cluster_id"] is not None for target in desired):
        return desired
    if len(clusters) != 1:
        known = f" ({', '.join(clusters)})" if clusters else ""
        raise SloFileError([
            f"{describe_id(target)}: cluster_id: not set, and the master knows {len(clusters)} "
            f"clusters{known}: set cluster_id (OpenSLO: metadata.labels.cluster)"
            for target in desired if target["cluster_id"] is None
        ])
    resolved = [{**target, "cluster_id": target["cluster_id"] or clusters[0]} for target in desired]
    seen: set[tuple[str | None, str, str, str]] = set()
    for target in resolved:
        if target_id(target) in seen:
            raise SloFileError([f"{describe_id(target)}: defined twice, once without cluster_id"])
        seen.add(target_id(target))
    return resolved


def plan_changes(desired: list[WireTarget], current: list[WireTarget], prune: bool) -> Plan:
    stored = {target_id(target): target for target in current}
    changes: list[Change] = []
    for target in desired:
        before = stored.get(target_id(target))
        if before is None:
            changes.append(Change("create", target))
        else:
            change = Change("update", target, before)
            changes.append(change if change.changed_fields() else Change("unchanged", target, before))
    if prune:
        named = {target_id(target) for target in desired}
        clusters = {target["cluster_id"] for target in desired}
        changes += [Change("delete", target) for target in current
                    if target["cluster_id"] in clusters and target_id(target) not in named]
    return Plan(changes)


class SloAsCode:
    def __init__(self, files: SloFiles, api: TargetsApi, out: Callable[[str], None],
                 err: Callable[[str], None]) -> None:
        self.files = files
        self.api = api
        self.out = out
        self.err = err

    def apply(self, path: str, prune: bool = False, dry_run: bool = False) -> int:
        try:
            desired = self.files.read(path)
        except SloFileError as error:
            return self._invalid(error)
        try:
            desired = with_clusters(desired, self.api.clusters()) if desired else desired
            plan = plan_changes(desired, self.api.list_targets(), prune)
        except SloFileError as error:
            return self._invalid(error)
        except TargetsApiError as error:
            self.err(f"error: {error}")
            return EXIT_MASTER_ERROR
        for change in plan.changes:
            self.out(change.describe())
        self.out(f"Plan: {plan.summary()}.")
        if dry_run:
            self.out("Dry run: nothing was changed.")
            return EXIT_OK
        return self._execute(plan)

    def _invalid(self, error: SloFileError) -> int:
        for problem in error.problems:
            self.err(f"error: {problem}")
        self.err(f"{len(error.problems)} problem(s) found: nothing was changed.")
        return EXIT_INVALID

    def _execute(self, plan: Plan) -> int:
        done = 0
        writes = plan.writes
        try:
            for change in writes:
                target = change.target
                if change.action == "delete":
                    if not self.api.delete_target(target["cluster_id"], target["target_type"],
                                                  target["key"], target["window"]):
                        self.out(f"already gone: {describe_id(target)}")
                else:
                    self.api.put_target(target)
                done += 1
        except TargetsApiError as error:
            self.err(f"error: {error}")
            self.err(f"{done} of {len(writes)} change(s) were made before the error.")
            return EXIT_MASTER_ERROR
        self.out(f"Applied: {done} change(s).")
        return EXIT_OK

    def export(self, format_name: str, cluster_id: str | None = None) -> int:
        try:
            targets = self.api.list_targets(cluster_id)
        except TargetsApiError as error:
            self.err(f"error: {error}")
            return EXIT_MASTER_ERROR
        self.out(self.files.write(targets, format_name).rstrip("\n"))
        return EXIT_OK
