"""Fixtures of the storage contract suite: a migrated database on each backend and its store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
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
