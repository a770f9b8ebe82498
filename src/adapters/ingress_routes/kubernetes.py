"""Routes from the Kubernetes API (SPEC §1.3), over plain HTTPS with httpx.

Reads Traefik ``IngressRoute``s (``traefik.io/v1alpha1``, falling back to the
older ``traefik.containo.us/v1alpha1``) and ``networking.k8s.io/v1``
``Ingress``es across all namespaces. A resource type the cluster does not serve
(404) contributes no routes; any other failure raises :class:`RouteSourceError`
and the collect use case carries on with the last routes it had.

Credentials come from the pod's service account or from a kubeconfig; see
:mod:`adapters.ingress_routes.kube_access`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from adapters.ingress_routes.convert import ingress_routes, ingressroute_routes
from adapters.ingress_routes.kube_access import KubernetesAccess
from domain.contract import Route

log = logging.getLogger(__name__)

TRAEFIK_GROUPS = ("traefik.io/v1alpha1", "traefik.containo.us/v1alpha1")
INGRESSES_PATH = "/apis/networking.k8s.io/v1/ingresses"
PAGE_SIZE = 500


class RouteSourceError(RuntimeError):
    """The Kubernetes API could not be read."""


class _NotServed(Exception):
    """The API answered 404: the resource type does not exist in this cluster."""


class KubernetesRouteSource:
    """Routes re-read at most every ``refresh_seconds``: they change rarely, and a slow API
    server must not stretch every collection cycle."""

    def __init__(
        self,
        access: KubernetesAccess,
        timeout: float = 5.0,
        refresh_seconds: float = 60.0,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._access = access
        self._client = client or httpx.Client(
            base_url=access.server, verify=access.ssl_context(), timeout=timeout
        )
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._traefik_groups = list(TRAEFIK_GROUPS)
        self._cached: list[Route] | None = None
        self._read_at = 0.0
        self.last_problems: list[str] = []

    def close(self) -> None:
        self._client.close()

    def routes(self) -> list[Route]:
        now = self._clock()
        if self._cached is not None and now - self._read_at < self._refresh_seconds:
            return list(self._cached)
        routes = self._read()
        self._cached, self._read_at = routes, now
        return list(routes)

    def _read(self) -> list[Route]:
        problems: list[str] = []
        routes: list[Route] = []
        for item in self._ingressroutes():
            routes.extend(ingressroute_routes(item, problems))
        try:
            ingresses = self._list(INGRESSES_PATH)
        except _NotServed:
            ingresses = []
        for item in ingresses:
            routes.extend(ingress_routes(item, problems))
        if problems:
            log.warning("skipped %d unreadable route definition(s); first: %s", len(problems), problems[0])
        self.last_problems = problems
        return routes

    def _ingressroutes(self) -> list[Mapping[str, Any]]:
        for group in list(self._traefik_groups):
            try:
                items = self._list(f"/apis/{group}/ingressroutes")
            except _NotServed:
                continue
            if group != self._traefik_groups[0]:
                # Ask the group that answers first from now on.
                self._traefik_groups.remove(group)
                self._traefik_groups.insert(0, group)
            return items
        return []

    def _list(self, path: str) -> list[Mapping[str, Any]]:
        """Every item of a cluster-wide list, page by page."""
        items: list[Mapping[str, Any]] = []
        params: dict[str, str | int] = {"limit": PAGE_SIZE}
        while True:
            body = self._get(path, params)
            page = body.get("items")
            if not isinstance(page, list):
                raise RouteSourceError(f"GET {path}: answer has no 'items' list")
            items.extend(item for item in page if isinstance(item, Mapping))
            metadata = body.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, dict) else None
            if not token:
                return items
            params = {"limit": PAGE_SIZE, "continue": str(token)}

    def _get(self, path: str, params: Mapping[str, str | int]) -> dict[str, Any]:
        try:
            response = self._client.get(path, params=params, headers=self._access.headers())
        except (httpx.HTTPError, OSError) as error:
            raise RouteSourceError(f"GET {path}: {type(error).__name__}: {error}") from error
        if response.status_code == 404:
            raise _NotServed(path)
        if response.status_code != 200:
            raise RouteSourceError(f"GET {path}: HTTP {response.status_code}: {_status_message(response)}")
        try:
            body = response.json()
        except ValueError as error:
            raise RouteSourceError(f"GET {path}: answer is not JSON") from error
        if not isinstance(body, dict):
            raise RouteSourceError(f"GET {path}: answer is not a JSON object")
        return body


def _status_message(response: httpx.Response) -> str:
    """The message of a Kubernetes ``Status`` answer, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return response.text[:200]
