"""Why a query cannot be answered; the REST adapter maps each to an HTTP status."""

from __future__ import annotations


class QueryError(Exception):
    """Base of the query service's refusals; ``str()`` is a message for people."""


class NoClusters(QueryError):
    def __init__(self) -> None:
        super().__init__("no cluster has reported yet: start an agent first")


class ClusterRequired(QueryError):
    def __init__(self, known: list[str]) -> None:
        self.known = known
        super().__init__(f"cluster_id is required when several clusters report; known: {', '.join(known)}")


class UnknownCluster(QueryError):
    def __init__(self, cluster_id: str, known: list[str]) -> None:
        self.known = known
        super().__init__(f"unknown cluster_id {cluster_id!r}; known: {', '.join(known) or 'none'}")


class NotFound(QueryError):
    pass


class InvalidInput(QueryError):
    pass
