"""Target and status history queries (SPEC §6): list and upsert targets, read status changes."""

from __future__ import annotations

import dataclasses

from application.query.base import QueryBase, stored_domain
from application.query.errors import InvalidInput, NotFound
from domain.target_rules import InvalidTarget, validate_target
from domain.targets import TARGET_TYPES, StatusChange, TargetRecord


class TargetQueries(QueryBase):
    def list_targets(self, cluster_id: str | None, target_type: str | None) -> list[TargetRecord]:
        _check_type(target_type)
        cluster = None if cluster_id is None else self.resolve_cluster(cluster_id)
        return self._targets.list(cluster_id=cluster, target_type=target_type)

    def upsert_target(
        self,
        cluster_id: str | None,
        target_type: str,
        key: str,
        window: str,
        availability_target: float | None,
        p95_target_ms: float | None,
        latency_threshold_ms: float | None = None,
        latency_target: float | None = None,
        alerting: bool = True,
    ) -> TargetRecord:
        record = TargetRecord(
            cluster_id=self.resolve_cluster(cluster_id),
            target_type=target_type,
            key=key,
            window=window,
            availability_target=availability_target,
            p95_target_ms=p95_target_ms,
            updated_at=int(self._clock()),
            latency_threshold_ms=latency_threshold_ms,
            latency_target=latency_target,
            alerting=alerting,
        )
        try:
            # The rules first: a malformed key is told as such, not as an unknown one.
            validate_target(record)
            record = dataclasses.replace(record, key=self._reported_key(record))
            return self._targets.upsert(record)
        except InvalidTarget as error:
            raise InvalidInput("; ".join(error.problems)) from None

    def delete_target(self, cluster_id: str | None, target_type: str, key: str, window: str) -> int:
        _check_type(target_type)
        cluster = self.resolve_cluster(cluster_id)
        deleted = self._targets.delete(cluster, target_type, key, window)
        if not deleted:
            raise NotFound(f"no {target_type} target for {key!r} over {window!r} in cluster {cluster!r}")
        return deleted

    def _reported_key(self, record: TargetRecord) -> str:
        """The key as the cluster reported it; a target for something never seen is a typo.

        A domain is matched like a host name and stored in the routes' spelling,
        so that its target applies to the domain the checks and views show.
        """
        cluster, key = record.cluster_id, record.key
        if record.target_type == "service":
            namespace, _, name = key.partition("/")
            if self._store.workload_reported(cluster, (namespace, name)):
                return key
            raise InvalidInput(
                f"key {key!r}: cluster {cluster!r} has never reported this workload "
                "(no traffic of it or call to or from it is stored)"
            )
        routes = self._store.routes(cluster)
        domain = stored_domain((route.domain for route in routes), key)
        if domain is not None:
            return domain
        if any(route.service_key == key for route in routes) or self._store.backend_reported(cluster, key):
            return key
        raise InvalidInput(
            f"key {key!r}: cluster {cluster!r} has no route for this domain and has never reported "
            "this ingress backend (ns-svc-port)"
        )

    def status_history(
        self,
        cluster_id: str | None,
        target_type: str | None,
        key: str | None,
        since: int | None,
        limit: int,
        until: int | None = None,
    ) -> list[StatusChange]:
        _check_type(target_type)
        if not 1 <= limit <= 1000:
            raise InvalidInput(f"limit must be between 1 and 1000, got {limit}")
        cluster = None if cluster_id is None else self.resolve_cluster(cluster_id)
        return self._status_history.changes(
            cluster_id=cluster, target_type=target_type, key=key, since=since, limit=limit, until=until
        )


def _check_type(target_type: str | None) -> None:
    if target_type is not None and target_type not in TARGET_TYPES:
        raise InvalidInput(f"target_type must be one of {', '.join(TARGET_TYPES)}, got {target_type!r}")
