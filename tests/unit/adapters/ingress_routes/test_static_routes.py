"""Routes file source: YAML/JSON, both layouts, live reload, clear errors (SPEC §1.3)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from adapters.ingress_routes.factory import route_source_from_setting
from adapters.ingress_routes.none import NoRouteSource
from adapters.ingress_routes.static import RoutesFileError, StaticRouteSource
from domain.contract import Route

SHOP = {
    "name": "shop", "namespace": "shop", "domain": "shop.example.com", "path_prefix": "/",
    "service_key": "shop-web-80", "service_name": "web", "service_port": 80, "tls": True,
}


def write(path: Path, text: str, bump: int = 0) -> None:
    path.write_text(text, encoding="utf-8")
    if bump:
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump))


def test_yaml_list_of_routes(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    write(path, """
- name: shop
  namespace: shop
  domain: shop.example.com
  path_prefix: /
  service_key: shop-web-80
  service_name: web
  service_port: 80
  tls: true
- domain: api.example.com
  service_key: shop-api
""")
    routes = StaticRouteSource(path).routes()
    assert routes[0] == Route(**SHOP)
    assert routes[1] == Route(domain="api.example.com", service_key="shop-api")


def test_json_object_with_routes(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    write(path, json.dumps({"routes": [SHOP]}))
    assert StaticRouteSource(path).routes() == [Route(**SHOP)]


@pytest.mark.parametrize("text", ["", "routes: []", "[]", "routes:"])
def test_empty_files_give_no_routes(tmp_path: Path, text: str) -> None:
    path = tmp_path / "routes.yaml"
    write(path, text)
    assert StaticRouteSource(path).routes() == []


def test_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    write(path, json.dumps([SHOP]))
    source = StaticRouteSource(path)
    assert [r.domain for r in source.routes()] == ["shop.example.com"]
    write(path, json.dumps([{**SHOP, "domain": "new.example.com"}]), bump=1_000_000)
    assert [r.domain for r in source.routes()] == ["new.example.com"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([SHOP, {**SHOP, "name": "bad", "service_port": "80"}], "route #1 ('bad'): service_port"),
        (
            [SHOP, {**SHOP, "name": "typo", "servce_key": "x"}],
            "route #1 ('typo'): unknown field(s) ['servce_key']",
        ),
        ([{**SHOP, "domain": ""}], "route #0 ('shop'): domain"),
        ([{k: v for k, v in SHOP.items() if k != "service_key"}], "service_key: Field required"),
        (["just a string"], "route #0: expected an object"),
        ({"routes": SHOP}, "expected a list of routes"),
        ({"route": [SHOP]}, "unknown top-level field(s) ['route']"),
        ("text", "expected a list of routes"),
    ],
)
def test_bad_entries_are_named(tmp_path: Path, document: object, message: str) -> None:
    path = tmp_path / "routes.json"
    write(path, json.dumps(document))
    with pytest.raises(RoutesFileError) as error:
        StaticRouteSource(path).routes()
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_bad_file_keeps_failing_until_fixed(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    write(path, "[unclosed")
    source = StaticRouteSource(path)
    for _ in range(2):
        with pytest.raises(RoutesFileError, match="cannot parse"):
            source.routes()
    write(path, json.dumps([SHOP]), bump=1_000_000)
    assert source.routes() == [Route(**SHOP)]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RoutesFileError, match="cannot read routes file"):
        StaticRouteSource(tmp_path / "absent.yaml").routes()


def test_factory_settings(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write(path, json.dumps([SHOP]))
    assert isinstance(route_source_from_setting("none"), NoRouteSource)
    assert route_source_from_setting("none").routes() == []
    assert route_source_from_setting(f"file:{path}").routes() == [Route(**SHOP)]
    for bad in ("file:", "kube", ""):
        with pytest.raises(ValueError, match="expected 'kubernetes', 'file:PATH' or 'none'"):
            route_source_from_setting(bad)


def test_binary_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RoutesFileError, match="cannot parse routes file"):
        StaticRouteSource(path).routes()
