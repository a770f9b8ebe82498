"""Shared fixtures: databases for the storage contract tests.

``database_url`` is parametrised over SQLite and the PostgreSQL on
127.0.0.1:5432 (override with MESHSLO_TEST_POSTGRES_URL). Each test session
creates its own PostgreSQL database, so parallel runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "MESHSLO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_admin_connect():  # type: ignore[no-untyped-def]
    import psycopg

    url = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True, connect_timeout=3)


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """The name of a new PostgreSQL database, dropped afterwards; skips the test without a server."""
    try:
        admin = _postgres_admin_connect()
    except Exception as error:  # no server answering: skip, loudly
        pytest.skip(f"PostgreSQL half skipped: no server answers at {POSTGRES_ADMIN_URL} ({error})")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        admin = _postgres_admin_connect()
        with admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_url_of(name: str) -> str:
    return f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with fresh_postgres_database("meshslo_test") as name:
        yield postgres_url_of(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database URL with an empty schema-less database, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meshslo.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    # Leave the session database empty for the next test.
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    engine.dispose()
