"""Bearer-token dependencies of the master API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dependency_injector import containers, providers
from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient

from adapters.api import auth
from adapters.api.auth import ApiTokens, bearer_token, check_token, require_read_token


class _Container(containers.DeclarativeContainer):
    api_tokens = providers.Object(ApiTokens())


def _client(tokens: ApiTokens) -> Iterator[TestClient]:
    container = _Container()
    container.api_tokens.override(providers.Object(tokens))
    container.wire(modules=[auth])
    app = FastAPI()

    @app.get("/read", dependencies=[Depends(require_read_token)])
    def read() -> dict[str, str]:
        return {"ok": "read"}

    try:
        yield TestClient(app)
    finally:
        container.unwire()


@pytest.fixture
def protected() -> Iterator[TestClient]:
    yield from _client(ApiTokens(ingest_token="in-token", read_token="read-token"))


@pytest.fixture
def open_api() -> Iterator[TestClient]:
    yield from _client(ApiTokens())


def test_reads_need_the_read_token_when_one_is_configured(protected: TestClient) -> None:
    assert protected.get("/read").status_code == 401
    assert protected.get("/read", headers={"Authorization": "Bearer in-token"}).status_code == 401
    answer = protected.get("/read", headers={"Authorization": "Bearer read-token"})
    assert (answer.status_code, answer.json()) == (200, {"ok": "read"})


def test_ingest_needs_the_ingest_token_when_one_is_configured() -> None:
    # The ingest handler calls check_token itself (it counts the refusal first).
    with pytest.raises(HTTPException) as refused:
        check_token("in-token", "Bearer read-token", "meshslo-ingest")
    assert refused.value.status_code == 401
    assert refused.value.headers == {"WWW-Authenticate": 'Bearer realm="meshslo-ingest"'}
    assert refused.value.detail == "wrong bearer token for meshslo-ingest"
    check_token("in-token", "bearer in-token", "meshslo-ingest")


def test_without_configured_tokens_everything_is_open(open_api: TestClient) -> None:
    assert open_api.get("/read").status_code == 200
    check_token(None, "Bearer anything", "meshslo-ingest")


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("", None),
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearerabc", None),
        ("Bearer a b", "a b"),
    ],
)
def test_bearer_token_parsing(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token
