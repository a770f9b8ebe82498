"""Bearer-token checks for the master's HTTP API (SPEC §6).

Ingest requires the ingest token when one is configured (checked by the ingest
handler itself, after counting the request); reads require the read token only
when one is configured (the admin token reads too). Writes (SPEC §10) require the
admin token when one is configured — a read token is then refused with 403 —
and otherwise what reads require. Tokens are compared in constant
time so that response timing does not reveal how much of a guess was right.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from dependency_injector.wiring import Provide, inject
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPBearer


@dataclass(frozen=True, slots=True)
class ApiTokens:
    ingest_token: str | None = None
    read_token: str | None = None
    admin_token: str | None = None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_matches(expected: str, presented: str | None) -> bool:
    if presented is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


def _unauthorised(realm: str, presented: str | None) -> HTTPException:
    detail = f"missing bearer token for {realm}" if presented is None else f"wrong bearer token for {realm}"
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": f'Bearer realm="{realm}"'},
    )


def check_token(expected: str | None, authorization: str | None, realm: str) -> None:
    """Raise 401 when a token is configured and the request does not carry it."""
    if not expected:
        return
    presented = bearer_token(authorization)
    if not token_matches(expected, presented):
        raise _unauthorised(realm, presented)


# Bearer security schemes, one per token, so that the OpenAPI document names on each operation
# the token it checks (adapters.api.openapi turns them into what this master's settings require).
# They check nothing themselves (``auto_error=False``): the functions here compare the tokens.
INGEST_SCHEME = HTTPBearer(scheme_name="ingest", auto_error=False)
READ_SCHEME = HTTPBearer(scheme_name="read", auto_error=False)
ADMIN_SCHEME = HTTPBearer(scheme_name="admin", auto_error=False)


@inject
def require_read_token(
    request: Request,
    _documented: object = Security(READ_SCHEME),
    tokens: ApiTokens = Depends(Provide["api_tokens"]),
) -> None:
    authorization = request.headers.get("authorization")
    if tokens.admin_token and token_matches(tokens.admin_token, bearer_token(authorization)):
        return
    check_token(tokens.read_token, authorization, "meshslo-read")


@inject
def require_admin_token(
    request: Request,
    _documented: object = Security(ADMIN_SCHEME),
    tokens: ApiTokens = Depends(Provide["api_tokens"]),
) -> None:
    """Writes: the admin token when one is set (a read token is refused), else as reads."""
    authorization = request.headers.get("authorization")
    if not tokens.admin_token:
        check_token(tokens.read_token, authorization, "meshslo-read")
        return
    presented = bearer_token(authorization)
    if token_matches(tokens.admin_token, presented):
        return
    if tokens.read_token and token_matches(tokens.read_token, presented):
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN,
                            detail="the read token cannot change targets: writes need the admin token")
    raise _unauthorised("meshslo-admin", presented)
