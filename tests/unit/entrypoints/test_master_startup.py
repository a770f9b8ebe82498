"""The master's start: migrate, start the jobs, warm the read cache without holding up /healthz."""

from __future__ import annotations

import threading

import pytest

from application.master.readiness import ReadinessCheck
from entrypoints import master_startup
from entrypoints.master_startup import MasterStartup


class _Migrator:
    ready = False

    def try_once(self) -> bool:
        self.ready = True
        return True

    def mark_ready(self) -> None:
        self.ready = True


class _Jobs:
    def __init__(self) -> None:
        self.started = self.stopped = 0

    def start(self) -> None:
        self.started += 1

    def stop(self) -> None:
        self.stopped += 1


class _SlowWarmUp:
    """Warms until released (or stopped)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.done = threading.Event()

    @property
    def ready(self) -> bool:
        return self.done.is_set()

    def run(self, stop: threading.Event | None = None) -> None:
        while not self.release.wait(0.01):
            if stop is not None and stop.is_set():
                break
        self.done.set()


class _Reachable:
    def ping(self) -> None:
        return None


def test_a_long_warm_up_does_not_hold_the_start_and_readiness_waits_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(master_startup, "WARM_UP_WAIT_SECONDS", 0.05)
    migrator, jobs, warm_up = _Migrator(), _Jobs(), _SlowWarmUp()
    readiness = ReadinessCheck(_Reachable(), migrator, warm_up)  # type: ignore[arg-type]
    startup = MasterStartup(migrator, jobs, warm_up=warm_up)  # type: ignore[arg-type]

    startup.start()  # returns although the warm-up goes on: the app serves /healthz
    assert jobs.started == 1
    assert readiness.problem() == "warming the read cache"

    warm_up.release.set()
    assert warm_up.done.wait(5)
    assert readiness.problem() is None
    startup.stop()
    assert jobs.stopped == 1


def test_a_quick_warm_up_is_done_when_the_start_returns() -> None:
    migrator, warm_up = _Migrator(), _SlowWarmUp()
    warm_up.release.set()
    startup = MasterStartup(migrator, None, warm_up=warm_up)  # type: ignore[arg-type]
    startup.start()
    assert warm_up.ready
    startup.stop()


def test_stopping_during_the_warm_up_ends_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(master_startup, "WARM_UP_WAIT_SECONDS", 0.01)
    migrator, warm_up = _Migrator(), _SlowWarmUp()
    startup = MasterStartup(migrator, None, warm_up=warm_up)  # type: ignore[arg-type]
    startup.start()
    startup.stop()
    assert warm_up.ready
