"""Ports of the query side: what the query service reads from storage, and the service the API calls."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from application.ports.stats import EdgeKey, StatsReader, WorkloadKey
from application.query.alert_views import AlertView, ObjectiveBudgetView
from application.query.views import (
    DomainDetailView,
    DomainHistoryView,
    DomainsView,
    ServiceDetailView,
    TopologyView,
)
from domain.targets import StatusChange, TargetRecord
from domain.totals import EdgeTotals, IngressTotals, WorkloadTotals

T = TypeVar("T", WorkloadTotals, EdgeTotals, IngressTotals)


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    cluster_id: str
    first_seen: int
    last_snapshot: int
    last_received: int
    agent_version: str


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One stored route record: a domain + path served by an ingress backend."""

    domain: str
    path_prefix: str
    service_key: str
    name: str
    namespace: str
    service_name: str
    service_port: int
    tls: bool
    last_seen: int


@dataclass(slots=True)
class Interval(Generic[T]):
    """Totals of one history interval ``(end - step, end]`` and the seconds its snapshots covered."""

    end: int
    covered_seconds: float
    totals: T


class QueryStore(StatsReader, Protocol):
    """Stitched reads (see ``StatsReader``) plus what the query endpoints need beyond totals."""

    def cluster_infos(self) -> list[ClusterInfo]: ...

    def routes(self, cluster_id: str) -> list[RouteInfo]: ...

    def workload_totals(
        self, cluster_id: str, start: int, end: int, keys: Collection[WorkloadKey] | None = None
    ) -> dict[WorkloadKey, WorkloadTotals]: ...

    def workload_keys(self, cluster_id: str, start: int, end: int) -> set[WorkloadKey]:
        """Workloads with rows in the range: the mesh nodes a domain's backends may link to."""
        ...

    def edge_totals(self, cluster_id: str, start: int, end: int) -> dict[EdgeKey, EdgeTotals]: ...

    def workload_reported(self, cluster_id: str, key: WorkloadKey) -> bool:
        """Whether any stored row (raw or hourly, own traffic or a call edge) names this workload."""
        ...

    def backend_reported(self, cluster_id: str, service_key: str) -> bool:
        """Whether any stored row (raw or hourly) holds traffic of this ingress backend."""
        ...

    def ingress_totals(
        self, cluster_id: str, start: int, end: int, service_keys: Collection[str] | None = None
    ) -> dict[str, IngressTotals]: ...

    def workload_history(
        self, cluster_id: str, start: int, end: int, step: int, key: WorkloadKey, hourly: bool
    ) -> list[Interval[WorkloadTotals]]:
        """Evenly spaced intervals ending at multiples of ``step``, empty ones included.

        With ``hourly`` (``step`` a multiple of an hour) complete hours with fresh
        rollups are read from hourly rows; otherwise only raw rows are read.
        """
        ...

    def ingress_history(
        self, cluster_id: str, start: int, end: int, step: int, service_keys: Collection[str], hourly: bool
    ) -> list[Interval[IngressTotals]]:
        """Like ``workload_history``, the given backends summed together."""
        ...


class QueryService(Protocol):
    """The query use cases (see ``application.query.service.SloQueryService``)."""

    def clusters(self) -> list[ClusterInfo]: ...

    def resolve_cluster(self, cluster_id: str | None) -> str: ...

    def topology(self, cluster_id: str | None, start: int, end: int) -> TopologyView: ...

    def service_detail(
        self, cluster_id: str | None, start: int, end: int, namespace: str, name: str
    ) -> ServiceDetailView: ...

    def domains(self, cluster_id: str | None, start: int, end: int) -> DomainsView: ...

    def domain_detail(
        self, cluster_id: str | None, start: int, end: int, domain: str
    ) -> DomainDetailView: ...

    def domain_history(
        self, cluster_id: str | None, start: int, end: int, domain: str
    ) -> DomainHistoryView: ...

    def list_targets(self, cluster_id: str | None, target_type: str | None) -> list[TargetRecord]: ...

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
    ) -> TargetRecord: ...

    def delete_target(self, cluster_id: str | None, target_type: str, key: str, window: str) -> int:
        """How many targets were deleted (0 or 1)."""
        ...

    def status_history(
        self,
        cluster_id: str | None,
        target_type: str | None,
        key: str | None,
        since: int | None,
        limit: int,
        until: int | None = None,
    ) -> list[StatusChange]: ...

    def alerts(
        self, state: str, cluster_id: str | None, target_type: str | None, key: str | None
    ) -> list[AlertView]:
        """Burn-rate alerts newest first, with the labels and annotations as sent (SPEC §11)."""
        ...

    def budget(
        self, cluster_id: str | None, target_type: str, key: str, window: str | None
    ) -> list[ObjectiveBudgetView]:
        """Each objective's remaining budget over its window as points, oldest first."""
        ...
