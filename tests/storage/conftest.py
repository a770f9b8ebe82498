"""Fixtures of the storage contract suite: a migrated database on each backend and its store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from tests.storage.stores import Store, open_store

from adapters.storage.engine import make_engine
from adapters.storage.migrate import upgrade_to_head


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A database at the current schema (SQLite and PostgreSQL, see tests/conftest.py)."""
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> Store:
    return open_store(engine)


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """The PostgreSQL database alone at the current schema, for what only several masters on
    one server can show (locks); emptied afterwards like ``database_url``'s."""
    engine = make_engine(postgres_url)
    upgrade_to_head(engine)
    yield engine
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    engine.dispose()
