"""AgentLoop and the master's 409 (the window overlaps stored ones): done with, and nothing else lost."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from tests.unit.application.agent.delivery_fakes import delivered_total
from tests.unit.application.agent.loop_rig import RATE, RecordingStore, Rig

from application.ports.delivery import SavedState


class FillingDiskStore(RecordingStore):
    """A state store whose disk fills up (``full``): saves then fail as the file system would."""

    def __init__(self, full: bool = False) -> None:
        super().__init__()
        self.full = full

    def save(self, state: SavedState) -> None:
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        super().save(state)


def test_after_a_409_the_next_interval_starts_at_the_refused_intervals_scrape(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    start = int(rig.time.now)
    rig.master.overlapping = {start + 20}
    loop = rig.loop(cycles=0)
    for _ in range(4):
        loop.run_cycle()
        rig.time.advance(10)
    windows = [(s.slo_data.window_start, s.slo_data.timestamp) for s in rig.master.taken]
    # (start+10, start+20] was refused; the one after starts where it ended: nothing else is lost.
    assert windows == [(start, start + 10), (start + 20, start + 30)]
    assert delivered_total(rig.master.taken) == RATE * 20
    assert rig.sender.counters.already_stored == 1 and rig.sender.backlog == 0
    assert loop.status.last_cycle_ok is True


def test_a_409_from_the_spool_is_done_with_and_the_state_moves_on(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    start = int(rig.time.now)
    loop = rig.loop(cycles=0)
    loop.run_cycle()
    rig.master.down = True
    for _ in range(2):
        rig.time.advance(10)
        loop.run_cycle()
    assert len(rig.spool) == 2
    rig.master.down = False
    rig.master.overlapping = {start + 10}
    rig.time.advance(10)
    loop.run_cycle()
    assert rig.master.taken_timestamps == [start + 20, start + 30]
    assert len(rig.spool) == 0
    assert rig.store.saved[-1]["collect"] == rig.collector.export_state()


def test_a_failed_state_save_says_what_a_restart_would_cost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(tmp_path)
    rig.store = store = FillingDiskStore()
    loop = rig.loop(cycles=0)
    loop.run_cycle()
    rig.time.advance(10)
    loop.run_cycle()
    saved_scrape = int(rig.time.now)
    store.full = True  # the saved state stays as it is from now on
    rig.time.advance(10)
    caplog.clear()
    loop.run_cycle()
    assert loop.status.state_save_failures == 2  # before the send, and again after it
    assert rig.master.taken_timestamps[-1] == int(rig.time.now)  # delivering goes on
    assert f"resumes from the counters of the scrape at {saved_scrape}" in caplog.text
    assert "refused as already stored (409)" in caplog.text
    assert loop.status.last_cycle_ok is True


def test_without_any_saved_state_a_failed_save_says_the_restart_is_a_baseline(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(tmp_path)
    rig.store = FillingDiskStore(full=True)
    loop = rig.loop(cycles=0)
    loop.run_cycle()
    assert "has no counters to resume from: its first scrape is a baseline" in caplog.text

