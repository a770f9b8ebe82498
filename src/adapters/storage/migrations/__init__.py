"""Alembic migrations of the master's schema (run with ``adapters.storage.migrate.upgrade_to_head``)."""
