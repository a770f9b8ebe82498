"""A fake master's targets API for the SLOs-as-code tests, and a target builder."""

from __future__ import annotations

from typing import Any

from application.ports.targets_api import TargetsApiError, WireTarget, target_id


def target(key: str = "shop/checkout", target_type: str = "service", window: str = "1d",
           cluster_id: str | None = "demo", **settings: Any) -> WireTarget:
    made: WireTarget = {
        "cluster_id": cluster_id, "target_type": target_type, "key": key, "window": window,
        "availability_target": 99.0, "p95_target_ms": None, "latency_threshold_ms": None,
        "latency_target": None, "alerting": True,
    }
    made.update(settings)
    return made


class FakeTargetsApi:
    """Holds targets like the master; records every write; can fail the n-th write."""

    def __init__(self, targets: list[WireTarget] = (), clusters: list[str] | None = None,  # type: ignore[assignment]
                 fail_write: int | None = None) -> None:
        self.targets = {target_id(t): dict(t) for t in targets}
        self.cluster_ids = clusters if clusters is not None else sorted(
            {t["cluster_id"] for t in targets} or {"demo"})
        self.writes: list[tuple[str, Any]] = []
        self.fail_write = fail_write

    def _write(self, kind: str, what: Any) -> None:
        if self.fail_write is not None and len(self.writes) == self.fail_write:
            raise TargetsApiError("setting it: the master refused it (422): latency_target: bad")
        self.writes.append((kind, what))

    def clusters(self) -> list[str]:
        return list(self.cluster_ids)

    def list_targets(self, cluster_id: str | None = None) -> list[WireTarget]:
        return [dict(t) for t in self.targets.values() if cluster_id in (None, t["cluster_id"])]

    def put_target(self, target: WireTarget) -> WireTarget:
        self._write("put", dict(target))
        self.targets[target_id(target)] = dict(target)
        return dict(target)

    def delete_target(self, cluster_id: str, target_type: str, key: str, window: str) -> bool:
        self._write("delete", (cluster_id, target_type, key, window))
        return self.targets.pop((cluster_id, target_type, key, window), None) is not None
