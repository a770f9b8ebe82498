"""Runs the master's background jobs periodically, each in its own thread.

A failing run is logged and counted and the job goes on at its next interval:
a database hiccup must never stop rollups or kill the master. ``stop()``
returns promptly (the waits are on one ``threading.Event``); a run in
progress finishes its current transaction first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

AGGREGATOR = "aggregator"
CLEANER = "cleaner"
STATUS_CHECKER = "status_checker"
JOB_NAMES = (AGGREGATOR, CLEANER, STATUS_CHECKER)


class Job(Protocol):
    def run(self, now: int) -> Any: ...


class JobMetrics(Protocol):
    def job_run(self, job: str, seconds: float, ok: bool) -> None: ...


class _NoMetrics:
    def job_run(self, job: str, seconds: float, ok: bool) -> None:
        return None


@dataclass(frozen=True, slots=True)
class JobIntervals:
    aggregate_seconds: float = 300.0
    status_seconds: float = 60.0
    cleanup_seconds: float = 3600.0

    def __post_init__(self) -> None:
        for name in ("aggregate_seconds", "status_seconds", "cleanup_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")


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
        aggregator: Job,
        cleaner: Job,
        status_checker: Job,
        intervals: JobIntervals,
        metrics: JobMetrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Order matters for run_all_once: fresh rollups first, then statuses, then cleanup.
        self._jobs: dict[str, tuple[Job, float]] = {
            AGGREGATOR: (aggregator, intervals.aggregate_seconds),
            STATUS_CHECKER: (status_checker, intervals.status_seconds),
            CLEANER: (cleaner, intervals.cleanup_seconds),
        }
        self._metrics = metrics if metrics is not None else _NoMetrics()
        self._clock = clock
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def run_job(self, name: str, now: int | None = None) -> JobOutcome:
        """One run of one job with error isolation: never raises."""
        job, _ = self._jobs[name]
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

    def run_all_once(self, now: int | None = None) -> list[JobOutcome]:
        return [self.run_job(name, now) for name in self._jobs]

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._stop.clear()
            self._threads = [
                threading.Thread(
                    target=self._loop, args=(name, interval), name=f"meshslo-{name}", daemon=True
                )
                for name, (_, interval) in self._jobs.items()
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
