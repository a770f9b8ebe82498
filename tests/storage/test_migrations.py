"""The migrated schema is exactly ``schema.metadata``, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from adapters.storage import schema
from adapters.storage.engine import create_schema, make_engine
from adapters.storage.migrate import current_revision, head_revision


def test_migrations_create_exactly_the_declared_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        create_schema(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, schema.metadata)
            assert current_revision(connection) == head_revision()
        assert diffs == []
        assert set(inspect(engine).get_table_names()) == {*schema.metadata.tables, "alembic_version"}
    finally:
        engine.dispose()


def test_running_migrations_again_changes_nothing_and_keeps_rows(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        create_schema(engine)
        with engine.begin() as connection:
            connection.execute(
                schema.clusters.insert().values(
                    cluster_id="c1", first_seen=1, last_snapshot=2, last_received=3, agent_version="x"
                )
            )
        create_schema(engine)
        with engine.connect() as connection:
            assert connection.execute(schema.clusters.select()).all() == [("c1", 1, 2, 3, "x")]
    finally:
        engine.dispose()
