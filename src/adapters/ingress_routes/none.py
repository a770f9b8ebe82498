"""``--routes none``: the snapshot carries only the routes the agent infers from ingress-nginx series."""

from __future__ import annotations

from domain.contract import Route


class NoRouteSource:
    def routes(self) -> list[Route]:
        return []
