"""The OpenAPI document, made to say what this master really does.

FastAPI's generated document is completed here, once per app: the snapshot
contract's models (the ingest body is read by hand), the bearer tokens this master
is configured with as security schemes on the operations that check them (with their
401/403), and every 422 as the ``ErrorResponse`` string the app's handler returns
instead of FastAPI's list of error objects. An operation whose token is not
configured is open, and is documented without a security requirement.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI

from adapters.api import ingest
from adapters.api.auth import ApiTokens
from adapters.api.http_errors import STATUS_MEANINGS, ErrorResponse

Access = Literal["ingest", "read", "write"]

_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_SCHEMES = {
    "ingest": "The ingest token (--ingest-token): agents posting snapshots",
    "read": "The read token (--read-token): reads, /metrics and this document",
    "admin": "The admin token (--admin-token): changing targets; it reads too",
}
# The scheme FastAPI put on an operation (adapters.api.auth's dependencies) → what it guards.
_ACCESS_OF_SCHEME: dict[str, Access] = {"ingest": "ingest", "read": "read", "admin": "write"}


def access_of(operation: dict[str, Any]) -> Access | None:
    """A write depends on the read check (its router's) and the admin check: the admin one decides."""
    schemes = {scheme for requirement in operation.get("security", []) for scheme in requirement}
    for scheme in ("ingest", "admin", "read"):
        if scheme in schemes:
            return _ACCESS_OF_SCHEME[scheme]
    return None


def security_requirement(access: Access, tokens: ApiTokens) -> list[dict[str, list[str]]]:
    """The OpenAPI ``security`` of an operation: alternatives, each one scheme; empty when open."""
    if access == "ingest":
        return [{"ingest": []}] if tokens.ingest_token else []
    if access == "read":
        if not tokens.read_token:
            return []  # the admin token is not needed where reads are open
        return [{"read": []}, *([{"admin": []}] if tokens.admin_token else [])]
    if tokens.admin_token:
        return [{"admin": []}]
    return [{"read": []}] if tokens.read_token else []


def _error(code: int) -> dict[str, Any]:
    return {"description": STATUS_MEANINGS[code], "content": {"application/json": {"schema": _ERROR_REF}}}


def _secure(operation: dict[str, Any], tokens: ApiTokens) -> None:
    access = access_of(operation)
    if access is None:
        return
    requirement = security_requirement(access, tokens)
    if not requirement:
        operation.pop("security")
        return
    operation["security"] = requirement
    responses = operation.setdefault("responses", {})
    responses["401"] = _error(401)
    if access == "write" and tokens.admin_token and tokens.read_token:
        responses["403"] = {**_error(403), "description": "the read token cannot change targets"}


def _string_validation_errors(document: dict[str, Any]) -> None:
    for path in document.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {**_error(422), "description": responses["422"].get(
                    "description", STATUS_MEANINGS[422]).replace("Validation Error", STATUS_MEANINGS[422])}
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def complete_document(document: dict[str, Any], tokens: ApiTokens) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(ingest.contract_schemas())
    schemas["ErrorResponse"] = ErrorResponse.model_json_schema()
    configured = {"ingest": tokens.ingest_token, "read": tokens.read_token, "admin": tokens.admin_token}
    components.pop("securitySchemes", None)
    if any(configured.values()):
        components["securitySchemes"] = {
            name: {"type": "http", "scheme": "bearer", "description": text}
            for name, text in _SCHEMES.items() if configured[name]
        }
    for path in document.get("paths", {}).values():
        for operation in path.values():
            _secure(operation, tokens)
    _string_validation_errors(document)
    return document


def install_document(app: FastAPI, tokens: ApiTokens) -> None:
    """Replace ``app.openapi`` with the completed document (built on first use, then kept)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_document(generate(), tokens)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
