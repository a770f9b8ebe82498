"""Port of the master's readiness check: whether the schema is in place."""

from __future__ import annotations

from typing import Protocol


class SchemaState(Protocol):
    @property
    def ready(self) -> bool: ...
