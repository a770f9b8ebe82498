"""Who may read ``/metrics``, ``/docs`` and ``/openapi.json``, and whether the OpenAPI document tells
the truth: one error shape, the bearer tokens as security schemes, the allowed values of parameters
and target fields, and ``Allow`` on 405. The master app runs on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.e2e.master_app import running_app

pytestmark = pytest.mark.e2e

INGEST, READ, ADMIN = "doc-ingest", "doc-read", "doc-admin"
NOW = 1_764_312_030
PROTECTED = ["/metrics", "/docs", "/openapi.json"]
ERROR_REF = "#/components/schemas/ErrorResponse"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def guarded(tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    yield from running_app(f"sqlite:///{tmp_path / 'g.db'}", [], NOW,
                           ingest_token=INGEST, read_token=READ, admin_token=ADMIN)


@pytest.fixture
def open_master(tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    yield from running_app(f"sqlite:///{tmp_path / 'o.db'}", [], NOW)


@pytest.fixture
def document(guarded: TestClient) -> dict[str, Any]:
    answer = guarded.get("/openapi.json", headers=bearer(READ))
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


# ---- tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PROTECTED)
def test_metrics_docs_and_the_document_need_the_read_token(guarded: TestClient, path: str) -> None:
    for headers in ({}, bearer("nope"), bearer(INGEST)):
        refused = guarded.get(path, headers=headers)
        assert refused.status_code == 401, (path, headers)
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "cluster" not in refused.text and "paths" not in refused.text
    assert guarded.get(path, headers=bearer(READ)).status_code == 200
    assert guarded.get(path, headers=bearer(ADMIN)).status_code == 200


def test_probes_and_the_static_docs_assets_stay_open(guarded: TestClient) -> None:
    # The probes carry no token; the Swagger UI files and start-up script are the same for every master.
    for path in ("/healthz", "/readyz", "/docs/start.js", "/static/vendor/swagger-ui/swagger-ui.css"):
        assert guarded.get(path).status_code == 200, path
    assert guarded.get("/redoc", headers=bearer(READ)).status_code == 404  # not offered at all


def test_without_a_read_token_they_are_open(open_master: TestClient) -> None:
    for path in PROTECTED:
        assert open_master.get(path).status_code == 200, path


# ---- errors ---------------------------------------------------------------------------------------


def test_a_refused_parameter_answers_one_string_naming_it(guarded: TestClient) -> None:
    answer = guarded.get("/api/v2/slo/status-history?limit=abc", headers=bearer(READ))
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": "limit: Input should be a valid integer, unable to parse string as an integer"}
    too_many = guarded.get("/api/v2/slo/status-history?limit=1001", headers=bearer(READ)).json()["detail"]
    assert isinstance(too_many, str) and too_many.startswith("limit: ")


def test_every_error_response_is_documented_as_the_one_string_shape(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["ErrorResponse"]["properties"]["detail"]["type"] == "string"
    assert schemas["ErrorResponse"]["required"] == ["detail"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    for path, _method, operation in operations(document):
        for code, response in operation["responses"].items():
            # /readyz answers its probe shape, {"status": "unavailable", "detail": "..."}, documented as such.
            if code.startswith(("4", "5")) and path != "/readyz":
                assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, (path, code)


def codes(document: dict[str, Any], path: str, method: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_each_operation_documents_the_errors_it_really_gives(document: dict[str, Any]) -> None:
    assert codes(document, "/agent/snapshot", "post") >= {"200", "400", "401", "403", "408", "409", "413",
                                                          "415", "422", "503"}
    assert codes(document, "/api/v2/slo/targets", "put") >= {"200", "400", "401", "403", "404", "408", "413",
                                                              "422", "503"}
    assert codes(document, "/api/v2/slo/targets", "delete") >= {"200", "401", "403", "404", "422", "503"}
    assert codes(document, "/api/v2/slo/mesh/topology", "get") == {"200", "401", "404", "422", "503"}
    assert codes(document, "/api/v2/clusters", "get") == {"200", "401", "503"}
    assert codes(document, "/metrics", "get") == {"200", "401"}
    assert codes(document, "/readyz", "get") >= {"200", "503"}
    assert codes(document, "/healthz", "get") == {"200"}


# ---- security schemes -----------------------------------------------------------------------------


def test_tokens_are_bearer_security_schemes_not_header_parameters(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {"ingest", "read", "admin"}
    assert {(scheme["type"], scheme["scheme"]) for scheme in schemes.values()} == {("http", "bearer")}
    for path, method, operation in operations(document):
        names = {parameter["name"].lower() for parameter in operation.get("parameters", [])}
        assert "authorization" not in names, (path, method)
    paths = document["paths"]
    assert paths["/agent/snapshot"]["post"]["security"] == [{"ingest": []}]
    assert paths["/api/v2/slo/mesh/topology"]["get"]["security"] == [{"read": []}, {"admin": []}]
    assert paths["/metrics"]["get"]["security"] == [{"read": []}, {"admin": []}]
    assert paths["/api/v2/slo/targets"]["put"]["security"] == [{"admin": []}]
    assert paths["/api/v2/slo/targets"]["delete"]["security"] == [{"admin": []}]
    assert "security" not in paths["/healthz"]["get"] and "security" not in paths["/readyz"]["get"]


def test_an_open_master_documents_open_operations(open_master: TestClient) -> None:
    document = open_master.get("/openapi.json").json()
    assert "securitySchemes" not in document.get("components", {})
    for path, method, operation in operations(document):
        assert "security" not in operation, (path, method)
        assert "401" not in operation["responses"], (path, method)


# ---- enums and ranges ----------------------------------------------------------------------------


def parameter(document: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    (found,) = [p for p in document["paths"][path][method]["parameters"] if p["name"] == name]
    return found["schema"]  # type: ignore[no-any-return]


def test_parameters_state_their_allowed_values(document: dict[str, Any]) -> None:
    topology = "/api/v2/slo/mesh/topology"
    assert parameter(document, topology, "get", "time_range")["enum"] == ["15m", "1h", "6h", "24h", "1d",
                                                                        "7d", "30d"]
    assert parameter(document, topology, "get", "cluster_id")["pattern"] == r"\S"
    start = parameter(document, topology, "get", "start")
    assert {"format": "date-time", "type": "string"} in start["anyOf"]
    assert parameter(document, "/api/v2/slo/targets", "get", "target_type")["enum"] == ["service", "ingress"]
    assert parameter(document, "/api/v2/slo/targets", "delete", "window")["enum"] == [
        "1d", "7d", "28d", "30d", "week", "month"]
    assert parameter(document, "/api/v2/slo/alerts", "get", "state")["enum"] == ["firing", "resolved", "all"]
    limit = parameter(document, "/api/v2/slo/status-history", "get", "limit")
    assert (limit["type"], limit["minimum"], limit["maximum"]) == ("integer", 1, 1000)


def test_target_fields_state_their_allowed_values(document: dict[str, Any]) -> None:
    target = document["components"]["schemas"]["TargetIn"]["properties"]
    assert target["target_type"]["enum"] == ["service", "ingress"]
    assert target["window"]["enum"] == ["1d", "7d", "28d", "30d", "week", "month"]
    for name in ("availability_target", "latency_target"):
        assert (target[name]["exclusiveMinimum"], target[name]["exclusiveMaximum"]) == (0, 100), name
    for name in ("p95_target_ms", "latency_threshold_ms"):
        assert target[name]["exclusiveMinimum"] == 0, name


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_target_body_is_limited(guarded: TestClient, chunked: bool) -> None:
    body = b'{"target_type": "service", "key": "shop/checkout", "padding": "' + b"x" * 70_000 + b'"}'
    content = iter([body[:1000], body[1000:]]) if chunked else body
    answer = guarded.put("/api/v2/slo/targets", content=content,
                         headers={**bearer(ADMIN), "Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json() == {"detail": "request body larger than the limit of 65536 bytes"}


# ---- 405 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("POST", "/api/v2/slo/targets", {"GET", "PUT", "DELETE"}),
    ("PATCH", "/api/v2/slo/targets", {"GET", "PUT", "DELETE"}),
    ("GET", "/agent/snapshot", {"POST"}),
    ("DELETE", "/api/v2/clusters", {"GET"}),
    ("POST", "/static/js/app.js", {"GET", "HEAD"}),
])
def test_allow_lists_every_method_of_the_path(guarded: TestClient, method: str, path: str,
                                              allowed: set[str]) -> None:
    answer = guarded.request(method, path, headers=bearer(ADMIN))
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["Allow"].split(",")} == allowed
    assert answer.json() == {"detail": "Method Not Allowed"}
