"""Every error the master answers has one shape, ``{"detail": "<one line>"}``, and the
OpenAPI document says so with the same model.

FastAPI's own handlers answer a refused parameter or body with a *list* of error
objects and a 405 with the ``Allow`` of the first route that matched the path only
(``GET`` for ``/api/v2/slo/targets``, which also takes ``PUT`` and ``DELETE``); the
handlers here answer a string naming each field and the methods the path really takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from adapters.api.errors import field_path

# What each status means wherever it is documented; an operation may say more in its own text.
STATUS_MEANINGS: dict[int, str] = {
    400: "the request could not be read (the client went away, or the body is malformed)",
    401: "missing or wrong bearer token",
    403: "the token may not do this",
    404: "no such cluster, key or target",
    405: "method not allowed on this path; Allow lists the methods it takes",
    408: "the request body did not arrive within --body-timeout; the connection is closed",
    409: "conflicts with what is stored",
    413: "body larger than the limit",
    415: "unsupported media type or content encoding",
    422: "invalid value; the message names each field and what was wrong",
    503: "the database is unavailable; retry later",
}

# The parts of a validation error's location that name where a value came from, not which.
_SOURCES = ("body", "query", "path", "header", "cookie")


class ErrorResponse(BaseModel):
    """The body of every 4xx and 5xx answer."""

    detail: str = Field(description="What was wrong, in one line; a refused value names its field")


def error_responses(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each code with ``ErrorResponse``; ``described`` overrides the text
    of a code (keyword ``s413="..."``)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        text = described.get(f"s{code}", STATUS_MEANINGS[code])
        responses[code] = {"model": ErrorResponse, "description": text}
    return responses


def validation_problems(errors: Sequence[Any]) -> str:
    """``limit: Input should be a valid integer; key: Field required``."""
    problems = []
    for item in errors:
        location = tuple(item.get("loc", ()))
        inside = location[1:] if location[:1] and location[0] in _SOURCES else location
        if item.get("type") == "json_invalid":
            inside = ()
        problems.append(f"{field_path(inside)}: {item.get('msg', 'invalid')}")
    return "; ".join(problems)


async def _invalid_request(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"detail": validation_problems(error.errors())}, status_code=422)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: Any, scope: dict[str, Any]) -> list[str]:
    """Every method some route of ``app`` takes at this path (a path may have one route per method),
    asked of the router itself so that it holds for every kind of route."""
    routes = app.router.routes
    return [method for method in _METHODS
            if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)]


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app, dict(request.scope)))
    detail = error.detail if isinstance(error.detail, str) else str(error.detail)
    return JSONResponse({"detail": detail}, status_code=error.status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
