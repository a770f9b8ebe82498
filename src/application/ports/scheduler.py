"""Ports of the background-job scheduler: what it runs and where it reports runs."""

from __future__ import annotations

from typing import Any, Protocol


class Job(Protocol):
    def run(self, now: int) -> Any:
        """One run at unix time ``now``; raising marks the run failed (the job goes on)."""
        ...


class JobMetrics(Protocol):
    def add_job(self, job: str) -> None:
        """Make ``job`` known before its first run, so that it shows with zero runs."""
        ...

    def job_run(self, job: str, seconds: float, ok: bool) -> None: ...
