"""Readiness of the master: is its schema in place, its read cache warm and its database reachable?"""

from __future__ import annotations

import logging

from application.ports.ingest import HealthProbe
from application.ports.readiness import SchemaState

log = logging.getLogger(__name__)


class _AlwaysReady:
    ready = True


class ReadinessCheck:
    def __init__(
        self, probe: HealthProbe, schema: SchemaState | None = None, read_cache: SchemaState | None = None
    ) -> None:
        self._probe = probe
        self._schema = schema if schema is not None else _AlwaysReady()
        # Not ready while the read cache warms: a load balancer then sends the first dashboard elsewhere.
        self._read_cache = read_cache if read_cache is not None else _AlwaysReady()

    def problem(self) -> str | None:
        """None when ready, else what is wrong (for the 503 body and the log)."""
        if not self._schema.ready:
            return "database schema not migrated yet (database unreachable at start?)"
        if not self._read_cache.ready:
            return "warming the read cache"
        try:
            self._probe.ping()
        except Exception as error:  # any failure to reach the database means not ready
            log.warning("database not reachable: %s", error)
            return f"database not reachable: {type(error).__name__}"
        return None
