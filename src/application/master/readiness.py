"""Readiness of the master: can it reach its database?"""

from __future__ import annotations

import logging

from application.ports.ingest import HealthProbe

log = logging.getLogger(__name__)


class ReadinessCheck:
    def __init__(self, probe: HealthProbe) -> None:
        self._probe = probe

    def problem(self) -> str | None:
        """None when ready, else what is wrong (for the 503 body and the log)."""
        try:
            self._probe.ping()
        except Exception as error:  # any failure to reach the database means not ready
            log.warning("database not reachable: %s", error)
            return f"database not reachable: {type(error).__name__}"
        return None
