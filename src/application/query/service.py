"""The query use cases behind the REST API (SPEC §6), as one ``QueryService``.

Each group of endpoints has its own module (``mesh``, ``domains``,
``targets``); this class only puts them together over the same stores.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from application.ports.alerts import AlertStore
from application.ports.query import QueryStore
from application.ports.targets import StatusHistoryRepository, TargetRepository
from application.query.alerts import AlertQueries
from application.query.domains import DomainQueries
from application.query.mesh import MeshQueries
from application.query.targets import TargetQueries
from domain import slo


class SloQueryService(MeshQueries, DomainQueries, TargetQueries, AlertQueries):
    """Implements ``QueryService`` over a ``QueryStore`` and the target / status / alert repositories."""

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
        super().__init__(store, targets, status_history, defaults, clock)
        self._alert_store = alerts
        self._public_url = public_url
