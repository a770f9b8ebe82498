"""JobScheduler: periodic runs, error isolation, prompt stop, metrics."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from application.master.jobs import JobScheduler, ScheduledJob


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
    added: list[str] = field(default_factory=list)

    def add_job(self, job: str) -> None:
        self.added.append(job)

    def job_run(self, job: str, seconds: float, ok: bool) -> None:
        assert seconds >= 0
        self.runs.append((job, ok))


def jobs(log: list[tuple[str, int]], **fail: int) -> tuple[RecordingJob, RecordingJob, RecordingJob]:
    return (RecordingJob("aggregator", log, fail.get("aggregator", 0)),
            RecordingJob("cleaner", log, fail.get("cleaner", 0)),
            RecordingJob("status_checker", log, fail.get("status_checker", 0)))


def scheduled(*recording: RecordingJob, seconds: float = 60.0) -> list[ScheduledJob]:
    return [ScheduledJob(job.name, job, seconds) for job in recording]


ORDER = ("aggregator", "status_checker", "cleaner")


def test_run_job_runs_the_named_job_with_the_given_time() -> None:
    log: list[tuple[str, int]] = []
    metrics = RecordingMetrics()
    scheduler = JobScheduler(scheduled(*jobs(log)), metrics=metrics)
    assert metrics.added == ["aggregator", "cleaner", "status_checker"]  # known before any run
    outcomes = [scheduler.run_job(name, now=1234) for name in ORDER]
    assert log == [("aggregator", 1234), ("status_checker", 1234), ("cleaner", 1234)]
    assert [o.result for o in outcomes] == ["aggregator done", "status_checker done", "cleaner done"]
    assert metrics.runs == [("aggregator", True), ("status_checker", True), ("cleaner", True)]


def test_a_failing_job_is_logged_counted_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[tuple[str, int]] = []
    metrics = RecordingMetrics()
    scheduler = JobScheduler(scheduled(*jobs(log, aggregator=1)), metrics=metrics, clock=lambda: 99.7)
    outcomes = [scheduler.run_job(name) for name in ORDER]
    assert [o.ok for o in outcomes] == [False, True, True]
    assert outcomes[0].error == "RuntimeError: aggregator broke"
    assert ("aggregator", False) in metrics.runs
    assert "background job aggregator failed" in caplog.text
    assert log[0] == ("aggregator", 99)  # the clock, as whole seconds


def test_started_jobs_repeat_survive_failures_and_stop_promptly() -> None:
    log: list[tuple[str, int]] = []
    aggregator, cleaner, status = jobs(log, aggregator=2)
    scheduler = JobScheduler(
        [*scheduled(aggregator, status, seconds=0.01), *scheduled(cleaner, seconds=3600)]
    )
    scheduler.start()
    scheduler.start()  # a second start is harmless
    try:
        deadline = time.monotonic() + 5
        while (aggregator.runs < 5 or status.runs < 2) and time.monotonic() < deadline:
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
    log: list[tuple[str, int]] = []
    with pytest.raises(ValueError, match="'aggregator' must be positive"):
        ScheduledJob("aggregator", RecordingJob("aggregator", log), 0)


def test_job_names_are_unique() -> None:
    log: list[tuple[str, int]] = []
    with pytest.raises(ValueError, match="two jobs are named 'cleaner'"):
        JobScheduler(scheduled(RecordingJob("cleaner", log), RecordingJob("cleaner", log)))
