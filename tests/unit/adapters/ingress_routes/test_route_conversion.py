"""IngressRoute and Ingress objects → route records (SPEC §1.3)."""

from __future__ import annotations

from adapters.ingress_routes.convert import ingress_routes, ingressroute_routes, routes_from_lists
from domain.contract import Route


def ingressroute(routes: list[object], tls: object = None, namespace: str = "shop") -> dict[str, object]:
    spec: dict[str, object] = {"entryPoints": ["websecure"], "routes": routes}
    if tls is not None:
        spec["tls"] = tls
    return {"metadata": {"name": "shop-web", "namespace": namespace}, "spec": spec}


def test_ingressroute_hosts_times_paths_times_services() -> None:
    item = ingressroute(
        [{
            "match": "Host(`shop.example.com`) || Host(`www.shop.example.com`) && PathPrefix(`/api`)",
            "kind": "Rule",
            "services": [{"name": "api", "port": 8080}, {"name": "api-canary", "port": "8080", "weight": 1}],
        }],
        tls={"certResolver": "le"},
    )
    routes = ingressroute_routes(item)
    assert len(routes) == 4
    assert routes[0] == Route(
        name="shop-web", namespace="shop", domain="shop.example.com", path_prefix="/api",
        service_key="shop-api-8080", service_name="api", service_port=8080, tls=True,
    )
    assert {(r.domain, r.service_key) for r in routes} == {
        ("shop.example.com", "shop-api-8080"),
        ("shop.example.com", "shop-api-canary-8080"),
        ("www.shop.example.com", "shop-api-8080"),
        ("www.shop.example.com", "shop-api-canary-8080"),
    }


def test_ingressroute_defaults_port_80_and_no_tls_and_honours_service_namespace() -> None:
    services = [{"name": "web"}, {"name": "db", "namespace": "data", "port": 5432}]
    item = ingressroute([{"match": "Host(`a.io`)", "services": services}])
    routes = ingressroute_routes(item)
    assert [(r.service_key, r.service_port, r.tls, r.namespace, r.path_prefix) for r in routes] == [
        ("shop-web-80", 80, False, "shop", "/"),
        ("data-db-5432", 5432, False, "data", "/"),
    ]


def test_ingressroute_named_port_and_traefik_service() -> None:
    item = ingressroute([{"match": "Host(`a.io`)", "services": [
        {"name": "web", "port": "http"},
        {"name": "split", "kind": "TraefikService"},
    ]}])
    assert [(r.service_key, r.service_port) for r in ingressroute_routes(item)] == [
        ("shop-web-http", 0),
        ("shop-split", 0),
    ]


def test_ingressroute_bad_rule_or_missing_host_costs_only_that_route() -> None:
    problems: list[str] = []
    item = ingressroute([
        {"match": "Host(`broken", "services": [{"name": "a"}]},
        {"match": "PathPrefix(`/nohost`)", "services": [{"name": "b"}]},
        {"match": "Host(`ok.io`)", "services": [{"name": "c"}, {"port": 80}]},
        "not an object",
    ])
    routes = ingressroute_routes(item, problems)
    assert [r.service_key for r in routes] == ["shop-c-80"]
    assert len(problems) == 1 and "shop/shop-web route #0" in problems[0]


def ingress(rules: list[object], tls: list[object] | None = None) -> dict[str, object]:
    spec: dict[str, object] = {"ingressClassName": "nginx", "rules": rules}
    if tls is not None:
        spec["tls"] = tls
    return {"metadata": {"name": "shop", "namespace": "shop"}, "spec": spec}


def backend(name: str, number: int | None = None, port_name: str | None = None) -> dict[str, object]:
    port: dict[str, object] = {}
    if number is not None:
        port["number"] = number
    if port_name is not None:
        port["name"] = port_name
    return {"service": {"name": name, "port": port}}


def rule(host: str, *paths: dict[str, object]) -> dict[str, object]:
    return {"host": host, "http": {"paths": list(paths)}}


def test_ingress_host_times_path_with_tls_from_spec_tls() -> None:
    item = ingress(
        [
            {"host": "shop.example.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": backend("web", 8080)},
                {"path": "/api", "pathType": "Prefix", "backend": backend("api")},
            ]}},
            rule("admin.example.com", {"backend": backend("admin", port_name="https")}),
            rule("img.cdn.example.com", {"path": "/i", "backend": backend("img", 80)}),
        ],
        tls=[{"hosts": ["shop.example.com"], "secretName": "shop-tls"}, {"hosts": ["*.cdn.example.com"]}],
    )
    routes = ingress_routes(item)
    assert [(r.domain, r.path_prefix, r.service_key, r.service_port, r.tls) for r in routes] == [
        ("shop.example.com", "/", "shop-web-8080", 8080, True),
        ("shop.example.com", "/api", "shop-api-80", 80, True),
        ("admin.example.com", "/", "shop-admin-https", 0, False),
        ("img.cdn.example.com", "/i", "shop-img-80", 80, True),
    ]
    assert all(r.name == "shop" and r.namespace == "shop" for r in routes)


def test_ingress_rules_without_host_or_service_backend_are_skipped() -> None:
    item = ingress([
        {"http": {"paths": [{"path": "/", "backend": backend("catchall", 80)}]}},
        rule("x.io", {"path": "/", "backend": {"resource": {"kind": "Bucket", "name": "b"}}}),
        {"host": "y.io"},
        rule("z.io", {"path": "/", "backend": backend("z", 81)}),
    ])
    assert [r.service_key for r in ingress_routes(item)] == ["shop-z-81"]


def test_wildcard_tls_covers_exactly_one_label() -> None:
    item = ingress(
        [rule(host, {"backend": backend("w", 80)}) for host in ("a.b.example.com", "example.com")],
        tls=[{"hosts": ["*.example.com"]}],
    )
    assert [r.tls for r in ingress_routes(item)] == [False, False]


def test_routes_from_lists_combines_both_kinds_and_ignores_garbage() -> None:
    routes = routes_from_lists(
        [ingressroute([{"match": "Host(`a.io`)", "services": [{"name": "a"}]}]), {"spec": None}],
        [ingress([{"host": "b.io", "http": {"paths": [{"backend": backend("b", 80)}]}}]), {}],
    )
    assert [r.domain for r in routes] == ["a.io", "b.io"]


def test_a_host_the_contract_refuses_costs_only_that_route() -> None:
    problems: list[str] = []
    long_host = "a" * 300 + ".example.com"
    item = ingressroute([{"match": f"Host(`{long_host}`) || Host(`ok.io`)", "services": [{"name": "web"}]}])
    assert [r.domain for r in ingressroute_routes(item, problems)] == ["ok.io"]
    assert len(problems) == 1 and "shop/shop-web route #0" in problems[0]


def test_objects_with_wrong_shapes_give_no_routes_and_no_exception() -> None:
    meta = {"name": "x", "namespace": "shop"}
    odd_routes: list[dict[str, object]] = [
        {"metadata": meta, "spec": {"routes": [{"match": None, "services": None}]}},
        {"metadata": meta, "spec": {"routes": "x"}},
        {"metadata": None, "spec": {"routes": [{"match": "Host(`a.io`)", "services": [{"name": "s"}]}]}},
    ]
    problems: list[str] = []
    assert routes_from_lists(odd_routes, [], problems) == []
    assert problems == ["ingressroute (unnamed): no namespace"]
    # A port given as a bare string instead of {number|name}: the default port applies.
    service = {"name": "s", "port": "80"}
    odd_ingress = {"metadata": meta, "spec": {"rules": [rule("a.io", {"backend": {"service": service}})]}}
    (route,) = ingress_routes(odd_ingress)
    assert (route.service_key, route.service_port, route.domain) == ("shop-s-80", 80, "a.io")
