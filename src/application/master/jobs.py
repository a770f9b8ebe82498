"""Runs the master's background jobs periodically, each in its own thread.

A failing run is logged and counted and the job goes on at its next interval:
a database hiccup must never stop rollups or kill the master. ``stop()``
returns promptly (the waits are on one ``threading.Event``); a run in
progress finishes its current transaction first. Jobs come as a list of
``ScheduledJob``: a job's name labels its thread, its log lines and its metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from application.ports.scheduler import Job, JobMetrics

log = logging.getLogger(__name__)


class _NoMetrics:
    def add_job(self, job: str) -> None:
        return None

    def job_run(self, job: str, seconds: float, ok: bool) -> None:
        return None


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    """A job, the name it is logged and counted under, and the time between its runs."""

    name: str
    job: Job
    interval_seconds: float

    def __post_init__(self) -> None:
        if self.interval_seconds <= 0:
            raise ValueError(f"interval of job {self.name!r} must be positive, got {self.interval_seconds}")


@dataclass(frozen=True, slots=True)
class JobOutcome:
    job: str
    ok: bool
    seconds: float
    result: Any = None
    error: str | None = None


class JobScheduler:
    def __init__(
        self,
        jobs: Sequence[ScheduledJob],
        metrics: JobMetrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jobs: dict[str, ScheduledJob] = {}
        for scheduled in jobs:
            if scheduled.name in self._jobs:
                raise ValueError(f"two jobs are named {scheduled.name!r}")
            self._jobs[scheduled.name] = scheduled
        self._metrics = metrics if metrics is not None else _NoMetrics()
        for name in self._jobs:
            self._metrics.add_job(name)
        self._clock = clock
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def run_job(self, name: str, now: int | None = None) -> JobOutcome:
        """One run of one job with error isolation: never raises."""
        job = self._jobs[name].job
        started = time.perf_counter()
        try:
            result = job.run(int(self._clock()) if now is None else now)
        except Exception as error:  # isolation: the scheduler must outlive any failure
            seconds = time.perf_counter() - started
            log.exception("background job %s failed after %.3f s", name, seconds)
            self._metrics.job_run(name, seconds, ok=False)
            return JobOutcome(name, ok=False, seconds=seconds, error=f"{type(error).__name__}: {error}")
        seconds = time.perf_counter() - started
        self._metrics.job_run(name, seconds, ok=True)
        log.debug("background job %s done in %.3f s: %s", name, seconds, result)
        return JobOutcome(name, ok=True, seconds=seconds, result=result)

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._stop.clear()
            self._threads = [
                threading.Thread(
                    target=self._loop,
                    args=(job.name, job.interval_seconds),
                    name=f"meshslo-{job.name}",
                    daemon=True,
                )
                for job in self._jobs.values()
            ]
            for thread in self._threads:
                thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        with self._lock:
            self._stop.set()
            deadline = time.monotonic() + timeout
            for thread in self._threads:
                thread.join(max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    log.warning("background job thread %s still finishing its run", thread.name)
            self._threads = [t for t in self._threads if t.is_alive()]

    def _loop(self, name: str, interval: float) -> None:
        # First run right away, so a restarted master catches up without waiting an interval.
        while not self._stop.is_set():
            started = time.monotonic()
            self.run_job(name)
            elapsed = time.monotonic() - started
            if self._stop.wait(max(0.0, interval - elapsed)):
                return
