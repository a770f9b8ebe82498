"""The query use cases behind the REST API (SPEC §6), as one ``QueryService``.

Each group of endpoints has its own module (``mesh``, ``domains``,
``targets``); this class only puts them together over the same stores.
"""

from __future__ import annotations

from application.query.alerts import AlertQueries
from application.query.domains import DomainQueries
from application.query.mesh import MeshQueries
from application.query.targets import TargetQueries


class SloQueryService(MeshQueries, DomainQueries, TargetQueries, AlertQueries):
    """Implements ``QueryService`` over a ``QueryStore`` and the target / status / alert repositories."""
