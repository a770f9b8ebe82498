"""The dashboard router: page, static files, security headers, path confinement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters.web import routes


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.include_router(routes.router)
    return TestClient(app)


def test_page_is_served_with_a_strict_script_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert '<script type="module" src="static/js/app.js">' in response.text


def test_every_script_and_stylesheet_the_page_names_is_served(client: TestClient) -> None:
    page = client.get("/").text
    # Relative references, so a reverse proxy may serve the master under a prefix.
    assets = re.findall(r'(?:src|href)="(static/[^"]+)"', page)
    assert len(assets) >= 4
    assert "/static/" not in page and '"/api' not in page
    for asset in assets:
        response = client.get(f"/{asset}")
        assert response.status_code == 200, asset
        assert response.content, asset


def test_modules_are_served_as_javascript(client: TestClient) -> None:
    # Browsers refuse ES modules served with any other media type.
    names = sorted(path.name for path in (routes.STATIC_DIR / "js").glob("*.js"))
    assert {"app.js", "api.js", "dom.js", "mesh.js", "domains.js"} <= set(names)
    for name in names:
        response = client.get(f"/static/js/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/javascript"), name


def test_scripts_call_the_api_by_relative_paths() -> None:
    for path in sorted((routes.STATIC_DIR / "js").glob("*.js")):
        text = path.read_text()
        assert 'getJson("/' not in text and "fetch(\"/" not in text, path.name


def test_module_imports_all_resolve(client: TestClient) -> None:
    for path in sorted((routes.STATIC_DIR / "js").glob("*.js")):
        for target in re.findall(r'from "\./([^"]+)"', path.read_text()):
            assert (routes.STATIC_DIR / "js" / target).is_file(), f"{path.name} imports missing {target}"


def test_vendored_libraries_ship_with_their_licences() -> None:
    vendor = routes.STATIC_DIR / "vendor"
    for library in ["cytoscape", "chartjs"]:
        files = {path.name for path in (vendor / library).iterdir()}
        assert any(name.startswith("LICENSE") for name in files), library
        assert any(name.endswith(".min.js") for name in files), library


@pytest.mark.parametrize(
    "path",
    [
        "/static/../routes.py",
        "/static/%2e%2e/routes.py",
        "/static/..%2Froutes.py",
        "/static/js/../../routes.py",
        "/static/nothing.js",
        "/static/js",
        "/static/",
        "/static/%00",
        "/static/index.html%00.js",
    ],
)
def test_nothing_outside_the_static_files_is_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "import" not in response.text


def test_resolve_static_refuses_escapes_and_unknown_types(tmp_path: Path) -> None:
    root = tmp_path / "static"
    root.mkdir()
    (root / "ok.js").write_text("1")
    (root / "notes.py").write_text("secret")
    (tmp_path / "outside.js").write_text("2")
    (root / "link.js").symlink_to(tmp_path / "outside.js")
    assert routes.resolve_static("ok.js", root) == (root / "ok.js").resolve()
    assert routes.resolve_static("../outside.js", root) is None
    assert routes.resolve_static("ok.js\x00.js", root) is None
    assert routes.resolve_static("\x00", root) is None
    assert routes.resolve_static("link.js", root) is None
    assert routes.resolve_static("notes.py", root) is None
    assert routes.resolve_static("/etc/passwd", root) is None


@pytest.mark.parametrize("path", ["/", "/static/js/app.js", "/static/css/dashboard.css"])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == 200 == got.status_code
    assert head.content == b""
    for header in ("content-type", "content-length", "content-security-policy", "cache-control"):
        assert head.headers[header] == got.headers[header], header
    assert int(head.headers["content-length"]) == len(got.content)


def test_head_on_a_missing_static_file_is_not_found(client: TestClient) -> None:
    assert client.head("/static/js/missing.js").status_code == 404
