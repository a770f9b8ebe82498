"""Workload, edge and ingress backend keys (SPEC §1.2, §2.4)."""

from __future__ import annotations

from domain.agent.keys import (
    RouteIndex,
    dst_workload_name,
    nginx_backend_key,
    traefik_backend_key,
    workload_name,
)
from domain.contract import Route


def route(namespace: str, service: str, port: int, key: str | None = None) -> Route:
    return Route(
        name="r",
        namespace=namespace,
        domain="shop.example.com",
        service_key=key or f"{namespace}-{service}-{port}",
        service_name=service,
        service_port=port,
    )


def test_workload_is_the_first_of_deployment_statefulset_daemonset() -> None:
    assert workload_name({"deployment": "web", "statefulset": "db"}) == "web"
    assert workload_name({"statefulset": "db", "daemonset": "agent"}) == "db"
    assert workload_name({"daemonset": "agent"}) == "agent"
    assert workload_name({"deployment": "", "daemonset": "agent"}) == "agent"
    assert workload_name({"pod": "x"}) == ""


def test_destination_workload_uses_dst_labels_only() -> None:
    assert dst_workload_name({"deployment": "web", "dst_statefulset": "db"}) == "db"
    assert dst_workload_name({"deployment": "web"}) == ""


def test_traefik_provider_is_stripped() -> None:
    assert traefik_backend_key("shop-frontend-80@kubernetescrd") == "shop-frontend-80"
    assert traefik_backend_key("shop-frontend-80@kubernetes") == "shop-frontend-80"
    assert traefik_backend_key("plain") == "plain"
    assert traefik_backend_key("a@b@c") == "a"
    assert traefik_backend_key("@internal") == ""


def test_nginx_key_with_and_without_port() -> None:
    assert nginx_backend_key("shop", "api", "8080") == "shop-api-8080"
    assert nginx_backend_key("shop", "api", "") == "shop-api"
    assert nginx_backend_key("", "api", "80") == ""
    assert nginx_backend_key("shop", "", "80") == ""


def test_route_index_gives_the_lowest_port_of_the_same_namespace_and_service() -> None:
    index = RouteIndex([route("shop", "api", 8080), route("shop", "api", 80), route("other", "api", 70)])
    assert index.port_of("shop", "api") == 80
    assert index.nginx_key("shop", "api", "") == "shop-api-80"
    assert index.nginx_key("shop", "api", "9000") == "shop-api-9000"  # the series' own port wins
    assert index.nginx_key("shop", "web", "") == "shop-web"
    assert index.has_route("shop-api-8080")
    assert not index.has_route("shop-api")


def test_route_index_ignores_routes_without_a_port() -> None:
    index = RouteIndex([route("shop", "api", 0, key="shop-api")])
    assert index.port_of("shop", "api") is None
    assert index.has_route("shop-api")
