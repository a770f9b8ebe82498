"""JobScheduler: periodic runs, error isolation, prompt stop, metrics."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from application.master.jobs import JobIntervals, JobScheduler


@dataclass
class RecordingJob:
    name: str
    log: list[tuple[str, int]]
    fail_times: int = 0
    ran: threading.Event = field(default_factory=threading.Event)
    runs: int = 0

    def run(self, now: int) -> str:
        self.runs += 1
        self.log.append((self.name, now))
        self.ran.set()
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError(f"{self.name} broke")
        return f"{self.name} done"


@dataclass
class RecordingMetrics:
    runs: list[tuple[str, bool]] = field(default_factory=list)

    def job_run(self, job: str, seconds: float, ok: bool) -> None:
        assert seconds >= 0
        self.runs.append((job, ok))


def jobs(log: list[tuple[str, int]], **fail: int) -> tuple[RecordingJob, RecordingJob, RecordingJob]:
    return (RecordingJob("aggregator", log, fail.get("aggregator", 0)),
            RecordingJob("cleaner", log, fail.get("cleaner", 0)),
            RecordingJob("status_checker", log, fail.get("status_checker", 0)))


def test_run_all_once_runs_rollups_then_statuses_then_cleanup_with_the_given_time() -> None:
    log: list[tuple[str, int]] = []
    metrics = RecordingMetrics()
    scheduler = JobScheduler(*jobs(log), JobIntervals(), metrics=metrics)
    outcomes = scheduler.run_all_once(now=1234)
    assert log == [("aggregator", 1234), ("status_checker", 1234), ("cleaner", 1234)]
    assert [o.result for o in outcomes] == ["aggregator done", "status_checker done", "cleaner done"]
    assert metrics.runs == [("aggregator", True), ("status_checker", True), ("cleaner", True)]


def test_a_failing_job_is_logged_counted_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[tuple[str, int]] = []
    metrics = RecordingMetrics()
    scheduler = JobScheduler(*jobs(log, aggregator=1), JobIntervals(), metrics=metrics, clock=lambda: 99.7)
    outcomes = scheduler.run_all_once()
    assert [o.ok for o in outcomes] == [False, True, True]
    assert outcomes[0].error == "RuntimeError: aggregator broke"
    assert ("aggregator", False) in metrics.runs
    assert "background job aggregator failed" in caplog.text
    assert log[0] == ("aggregator", 99)  # the clock, as whole seconds


def test_started_jobs_repeat_survive_failures_and_stop_promptly() -> None:
    log: list[tuple[str, int]] = []
    aggregator, cleaner, status = jobs(log, aggregator=2)
    scheduler = JobScheduler(aggregator, cleaner, status,
                             JobIntervals(aggregate_seconds=0.01, status_seconds=0.01, cleanup_seconds=3600))
    scheduler.start()
    scheduler.start()  # a second start is harmless
    try:
        deadline = time.monotonic() + 5
        while aggregator.runs < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert aggregator.runs >= 5  # two failures, then it went on
        assert status.runs >= 2
        assert cleaner.runs == 1  # right at start, then waits its hour
    finally:
        started = time.monotonic()
        scheduler.stop()
    assert time.monotonic() - started < 2  # the hour-long wait is interrupted
    assert not scheduler.running
    runs = aggregator.runs
    time.sleep(0.05)
    assert aggregator.runs == runs


def test_intervals_must_be_positive() -> None:
    with pytest.raises(ValueError, match="aggregate_seconds"):
        JobIntervals(aggregate_seconds=0)
