"""Kubernetes objects → route records (SPEC §1.3). Pure functions over the API's JSON.

A malformed object or rule is skipped (and reported through ``problems``), never
allowed to cost the other routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from adapters.ingress_routes.traefik_rule import RuleError, parse_rule
from domain.contract import Route

DEFAULT_SERVICE_PORT = 80


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _port(value: object) -> tuple[str, int]:
    """A service port as it appears in backend keys, and as a number (0 for a named port)."""
    if value is None or value == "":
        return str(DEFAULT_SERVICE_PORT), DEFAULT_SERVICE_PORT
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), value
    text = str(value)
    return (text, int(text)) if text.isdigit() else (text, 0)


def _route(problems: list[str] | None, where: str, **fields: Any) -> Route | None:
    try:
        return Route(**fields)
    except ValidationError as error:
        if problems is not None:
            problems.append(f"{where}: {error.errors()[0].get('msg', error)}")
        return None


def _object_name(item: Mapping[str, Any]) -> tuple[str, str]:
    metadata = _mapping(item.get("metadata"))
    return str(metadata.get("name") or ""), str(metadata.get("namespace") or "")


def _no_namespace(problems: list[str] | None, kind: str, name: str) -> list[Route]:
    # Backend keys start with the namespace: without one no key would match the metrics.
    if problems is not None:
        problems.append(f"{kind} {name or '(unnamed)'}: no namespace")
    return []


def ingressroute_routes(item: Mapping[str, Any], problems: list[str] | None = None) -> list[Route]:
    """Routes of one Traefik ``IngressRoute``: each rule's hosts × paths × services."""
    name, namespace = _object_name(item)
    if not namespace:
        return _no_namespace(problems, "ingressroute", name)
    spec = _mapping(item.get("spec"))
    tls = spec.get("tls") is not None
    routes: list[Route] = []
    for index, entry in enumerate(_list(spec.get("routes"))):
        entry = _mapping(entry)
        where = f"ingressroute {namespace}/{name} route #{index}"
        try:
            targets = parse_rule(str(entry.get("match") or ""))
        except RuleError as error:
            if problems is not None:
                problems.append(f"{where}: {error}")
            continue
        for service in _list(entry.get("services")):
            service = _mapping(service)
            service_name = str(service.get("name") or "")
            if not service_name:
                continue
            service_namespace = str(service.get("namespace") or namespace)
            if service.get("kind") == "TraefikService":
                key, port = f"{service_namespace}-{service_name}", 0
            else:
                port_text, port = _port(service.get("port"))
                key = f"{service_namespace}-{service_name}-{port_text}"
            for host in targets.hosts:
                for path in targets.paths:
                    route = _route(
                        problems,
                        where,
                        name=name,
                        namespace=service_namespace,
                        domain=host,
                        path_prefix=path,
                        service_key=key,
                        service_name=service_name,
                        service_port=port,
                        tls=tls,
                    )
                    if route is not None:
                        routes.append(route)
    return routes


def _tls_hosts(spec: Mapping[str, Any]) -> set[str]:
    return {
        str(host).lower() for entry in _list(spec.get("tls")) for host in _list(_mapping(entry).get("hosts"))
    }


def _covered_by_tls(host: str, tls_hosts: set[str]) -> bool:
    if host in tls_hosts:
        return True
    # A wildcard certificate host covers exactly one label.
    head, _, rest = host.partition(".")
    return bool(head and rest) and f"*.{rest}" in tls_hosts


def ingress_routes(item: Mapping[str, Any], problems: list[str] | None = None) -> list[Route]:
    """Routes of one ``networking.k8s.io/v1`` Ingress: rule host × path × backend service."""
    name, namespace = _object_name(item)
    if not namespace:
        return _no_namespace(problems, "ingress", name)
    spec = _mapping(item.get("spec"))
    tls_hosts = _tls_hosts(spec)
    routes: list[Route] = []
    for index, rule in enumerate(_list(spec.get("rules"))):
        rule = _mapping(rule)
        host = str(rule.get("host") or "").lower()
        if not host:
            continue  # a rule for every host places the backend under no domain
        for path_entry in _list(_mapping(rule.get("http")).get("paths")):
            path_entry = _mapping(path_entry)
            service = _mapping(_mapping(path_entry.get("backend")).get("service"))
            service_name = str(service.get("name") or "")
            if not service_name:
                continue  # a resource backend, not a service
            port = _mapping(service.get("port"))
            port_text, port_number = _port(port.get("number") or port.get("name"))
            route = _route(
                problems,
                f"ingress {namespace}/{name} rule #{index}",
                name=name,
                namespace=namespace,
                domain=host,
                path_prefix=str(path_entry.get("path") or "/"),
                service_key=f"{namespace}-{service_name}-{port_text}",
                service_name=service_name,
                service_port=port_number,
                tls=_covered_by_tls(host, tls_hosts),
            )
            if route is not None:
                routes.append(route)
    return routes


def routes_from_lists(
    ingressroutes: Iterable[Mapping[str, Any]],
    ingresses: Iterable[Mapping[str, Any]],
    problems: list[str] | None = None,
) -> list[Route]:
    routes: list[Route] = []
    for item in ingressroutes:
        routes.extend(ingressroute_routes(item, problems))
    for item in ingresses:
        routes.extend(ingress_routes(item, problems))
    return routes
