"""Failure of part of a background job's run.

Jobs work in independent units (an hour, a cluster, a table). One unit that
fails — bad data, a lock timeout — must not keep the others from being done,
yet the run must still count as failed so that it shows in the job metrics.
"""

from __future__ import annotations

from typing import Any


class JobPartlyFailed(RuntimeError):
    """Some units failed (each already logged with its traceback); the rest were done."""

    def __init__(self, job: str, failures: list[str], report: Any) -> None:
        shown = ", ".join(failures[:5]) + (f" and {len(failures) - 5} more" if len(failures) > 5 else "")
        super().__init__(f"{job}: {len(failures)} unit(s) failed: {shown}")
        self.failures = failures
        self.report = report
