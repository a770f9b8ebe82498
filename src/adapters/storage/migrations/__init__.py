"""Alembic migrations of the master's schema (run with ``adapters.storage.engine.create_schema``)."""
