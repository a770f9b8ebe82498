"""What every query use case shares: the stores, the defaults and the cluster rules."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from application.ports.alerts import AlertStore, firing_keys
from application.ports.query import ClusterInfo, QueryStore
from application.ports.targets import StatusHistoryRepository, TargetRepository
from application.query.errors import ClusterRequired, NoClusters, UnknownCluster
from domain import slo
from domain.target_rules import TargetTable


class QueryBase:
    def __init__(
        self,
        store: QueryStore,
        targets: TargetRepository,
        status_history: StatusHistoryRepository,
        defaults: slo.Target | None = None,
        clock: Callable[[], float] = time.time,
        alerts: AlertStore | None = None,
        public_url: str = "",
    ) -> None:
        self._alert_store = alerts
        self._public_url = public_url
        self._store = store
        self._targets = targets
        self._status_history = status_history
        self._defaults = defaults or slo.DEFAULT_TARGET
        self._clock = clock

    def clusters(self) -> list[ClusterInfo]:
        return self._store.cluster_infos()

    def resolve_cluster(self, cluster_id: str | None) -> str:
        known = [info.cluster_id for info in self._store.cluster_infos()]
        if cluster_id is None:
            if not known:
                raise NoClusters()
            if len(known) > 1:
                raise ClusterRequired(known)
            return known[0]
        if cluster_id not in known:
            raise UnknownCluster(cluster_id, known)
        return cluster_id

    def _cluster_targets(self, cluster_id: str) -> TargetTable:
        return TargetTable(self._targets.list(cluster_id=cluster_id), self._defaults,
                           firing_keys(self._alert_store, cluster_id))


def host_key(domain: str) -> str:
    """What two spellings of one host name share: no case, no trailing root dot."""
    return domain.rstrip(".").lower()


def stored_domain(known: Iterable[str], wanted: str) -> str | None:
    """The stored spelling of the host ``wanted`` names (``SHOP.example.com.`` → ``shop.example.com``).

    An exact match wins; of several spellings of one host the first in order is taken.
    """
    names = set(known)
    if wanted in names:
        return wanted
    key = host_key(wanted)
    return min((name for name in names if host_key(name) == key), default=None)
