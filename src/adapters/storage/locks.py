"""Job locks, so that several masters on one database never do the same work twice.

On PostgreSQL a transaction-scoped advisory lock (released at commit or
rollback, so a crashed master never leaves one behind); ``try`` so a second
master skips instead of queueing behind the first. SQLite serialises writers
itself and is single-master, so there the lock is always granted.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (Python's ``hash`` is salted per process)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def job_lock(connection: Connection, name: str) -> bool:
    """Take ``name``'s lock for the current transaction; False when another holds it."""
    if connection.dialect.name != "postgresql":
        return True
    acquired = connection.execute(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}
    ).scalar_one()
    return bool(acquired)
