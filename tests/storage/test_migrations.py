"""The migrated schema is exactly ``schema.metadata``, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from adapters.storage import schema
from adapters.storage.engine import make_engine
from adapters.storage.migrate import current_revision, head_revision, upgrade_to_head


@pytest.fixture
def migrated(database_url: str) -> Iterator[Engine]:
    """An engine on the database, migrated to the head revision."""
    engine = make_engine(database_url)
    try:
        upgrade_to_head(engine)
        yield engine
    finally:
        engine.dispose()


def test_migrations_create_exactly_the_declared_schema(migrated: Engine) -> None:
    with migrated.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, schema.metadata)
        assert current_revision(connection) == head_revision()
    assert diffs == []
    assert set(inspect(migrated).get_table_names()) == {*schema.metadata.tables, "alembic_version"}


def test_running_migrations_again_changes_nothing_and_keeps_rows(migrated: Engine) -> None:
    with migrated.begin() as connection:
        connection.execute(
            schema.clusters.insert().values(
                cluster_id="c1", first_seen=1, last_snapshot=2, last_received=3, agent_version="x"
            )
        )
    upgrade_to_head(migrated)
    with migrated.connect() as connection:
        assert connection.execute(schema.clusters.select()).all() == [("c1", 1, 2, 3, "x")]


def test_migrator_keeps_trying_until_the_database_answers(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    from adapters.storage import migrate

    attempts: list[int] = []

    def flaky_upgrade(_engine: object) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionRefusedError("database not up yet")

    monkeypatch.setattr(migrate, "upgrade_to_head", flaky_upgrade)
    migrator = migrate.SchemaMigrator(engine=None, retry_seconds=0.01)  # type: ignore[arg-type]
    assert migrator.try_once() is False
    assert not migrator.ready
    assert "database not up yet" in (migrator.last_error or "")
    assert migrator.keep_trying(threading.Event()) is True
    assert migrator.ready and len(attempts) == 3 and migrator.last_error is None


def test_migrator_stops_trying_when_asked(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    from adapters.storage import migrate

    def never(_engine: object) -> None:
        raise ConnectionRefusedError("down")

    monkeypatch.setattr(migrate, "upgrade_to_head", never)
    stop = threading.Event()
    stop.set()
    assert migrate.SchemaMigrator(engine=None, retry_seconds=60).keep_trying(stop) is False  # type: ignore[arg-type]


def test_masters_starting_together_migrate_once(postgres_url: str) -> None:
    """Several replicas on one PostgreSQL: one migrates, the others wait and find it done."""
    import threading

    from sqlalchemy import create_engine, text

    engines = [make_engine(postgres_url) for _ in range(3)]
    errors: list[BaseException] = []

    def migrate(engine) -> None:  # type: ignore[no-untyped-def]
        try:
            upgrade_to_head(engine)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=migrate, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with engines[0].connect() as connection:
            assert current_revision(connection) == head_revision()
    finally:
        for engine in engines:
            engine.dispose()
        cleanup = create_engine(postgres_url)
        with cleanup.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
        cleanup.dispose()


def test_downgrade_to_base_removes_every_table(migrated: Engine) -> None:
    from alembic import command

    from adapters.storage.migrate import alembic_config

    with migrated.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(migrated).get_table_names()) <= {"alembic_version"}
    upgrade_to_head(migrated)  # and back up again
    assert set(inspect(migrated).get_table_names()) == {*schema.metadata.tables, "alembic_version"}
