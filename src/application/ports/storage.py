"""What every storage port may raise, whichever use case calls it."""

from __future__ import annotations


class StorageUnavailable(Exception):
    """The database cannot be reached right now; worth retrying, not a bug.

    ``database`` names it for people (dialect, host, path), never with a password.
    """

    def __init__(self, database: str) -> None:
        self.database = database
        super().__init__(f"database unavailable: {database}")
