"""Identities the agent aggregates by: workloads, call edges and ingress backends (SPEC §1.2, §2.4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.contract import Route

WORKLOAD_LABELS = ("deployment", "statefulset", "daemonset")
DST_WORKLOAD_LABELS = tuple(f"dst_{label}" for label in WORKLOAD_LABELS)


def _first_present(labels: Mapping[str, str], names: tuple[str, ...]) -> str:
    for name in names:
        value = labels.get(name)
        if value:
            return value
    return ""


def workload_name(labels: Mapping[str, str]) -> str:
    """First of ``deployment``, ``statefulset``, ``daemonset``; empty when none is set."""
    return _first_present(labels, WORKLOAD_LABELS)


def dst_workload_name(labels: Mapping[str, str]) -> str:
    """First of ``dst_deployment``, ``dst_statefulset``, ``dst_daemonset``; empty when none is set."""
    return _first_present(labels, DST_WORKLOAD_LABELS)


def traefik_backend_key(service: str) -> str:
    """``shop-frontend-80@kubernetescrd`` → ``shop-frontend-80``: the provider is not part of the backend."""
    return service.split("@", 1)[0]


def nginx_backend_key(namespace: str, service: str, port: str) -> str:
    """``ns-svc-port``, or ``ns-svc`` when the port is unknown; empty when it cannot be built."""
    if not namespace or not service:
        return ""
    return f"{namespace}-{service}-{port}" if port else f"{namespace}-{service}"


class RouteIndex:
    """What the known routes say about ingress backends: service ports and which keys have a route."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._ports: dict[tuple[str, str], int] = {}
        self._keys: set[str] = set()
        for route in routes:
            self._keys.add(route.service_key)
            if route.service_port > 0 and route.namespace and route.service_name:
                service = (route.namespace, route.service_name)
                known = self._ports.get(service)
                if known is None or route.service_port < known:
                    self._ports[service] = route.service_port

    def port_of(self, namespace: str, service: str) -> int | None:
        """The lowest port of the routes to this service, if any."""
        return self._ports.get((namespace, service))

    def has_route(self, service_key: str) -> bool:
        return service_key in self._keys

    def nginx_key(self, namespace: str, service: str, port: str) -> str:
        """An ingress-nginx backend key (SPEC §1.2): its own port, else the route's, else none."""
        if not port:
            route_port = self.port_of(namespace, service)
            if route_port is not None:
                port = str(route_port)
        return nginx_backend_key(namespace, service, port)
