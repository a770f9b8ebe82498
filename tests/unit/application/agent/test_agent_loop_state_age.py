"""AgentLoop and --state-max-age: a saved state older than the bound is not resumed."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.application.agent.delivery_fakes import FakeTime, delivered_total
from tests.unit.application.agent.loop_rig import RATE, Crash, Rig

from adapters.agent_state.state_file import StateFile

HOUR = 3600.0


def crash_before_the_third_send(tmp_path: Path, time: FakeTime) -> tuple[Rig, int]:
    """Two delivered intervals, then the process dies after saving the third with its state
    but before sending it. Returns the rig and the counter at the agent's first scrape."""
    rig = Rig(tmp_path, time=time)
    rig.store = StateFile(tmp_path / "state.json")
    loop = rig.loop(cycles=0, interval=10.0)
    first = rig.counter()
    loop.start()
    for _ in range(3):
        loop.run_cycle()
        time.advance(10)
        if len(rig.master.taken) == 2:
            rig.master.on_send = crash
    with pytest.raises(Crash):
        loop.run_cycle()
    rig.master.on_send = None
    rig.spool.close()
    return rig, first


def crash(snapshot: object) -> None:
    raise Crash


def restart(tmp_path: Path, first: Rig, time: FakeTime) -> Rig:
    second = Rig(tmp_path, time=time)
    second.master = first.master
    second.store = StateFile(tmp_path / "state.json")
    return second


def test_a_state_within_the_bound_is_resumed(tmp_path: Path) -> None:
    time = FakeTime()
    rig, first_value = crash_before_the_third_send(tmp_path, time)
    pending_end = int(time.now)
    time.advance(HOUR - 10)  # just inside the bound
    second = restart(tmp_path, rig, time)
    second.loop(cycles=1, interval=10.0, state_max_age=HOUR).run()
    windows = [(s.slo_data.window_start, s.slo_data.timestamp) for s in rig.master.taken]
    # The pending interval arrives, then one interval covering the whole downtime.
    assert windows[-2:] == [(pending_end - 10, pending_end), (pending_end, int(time.now))]
    assert delivered_total(rig.master.taken) == second.counter() - first_value


def test_an_older_state_starts_from_a_baseline_and_still_delivers_its_pending_snapshot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    time = FakeTime()
    rig, first_value = crash_before_the_third_send(tmp_path, time)
    pending_end = int(time.now)
    crash_value = rig.counter()
    time.advance(2 * HOUR)
    second = restart(tmp_path, rig, time)
    loop = second.loop(cycles=0, interval=10.0, state_max_age=HOUR)
    loop.start()
    # The interval saved with the state was counted before the crash: it is not lost.
    assert rig.master.taken_timestamps[-1] == pending_end
    assert "7200s old" in caplog.text and "3600s bound" in caplog.text
    assert "baseline" in caplog.text

    baseline_value = second.counter()
    loop.run_cycle()  # a baseline: nothing to send
    assert rig.master.taken_timestamps[-1] == pending_end
    time.advance(10)
    loop.run_cycle()
    last = rig.master.taken[-1].slo_data
    assert (last.window_start, last.timestamp) == (int(time.now) - 10, int(time.now))
    # Everything before the crash, then only what grew since the baseline: no two-hour delta.
    since_baseline = second.counter() - baseline_value
    assert since_baseline == 10 * RATE
    assert delivered_total(rig.master.taken) == (crash_value - first_value) + since_baseline


def test_a_bound_of_zero_resumes_any_state(tmp_path: Path) -> None:
    time = FakeTime()
    rig, first_value = crash_before_the_third_send(tmp_path, time)
    pending_end = int(time.now)
    time.advance(30 * 24 * HOUR)
    second = restart(tmp_path, rig, time)
    second.loop(cycles=1, interval=10.0, state_max_age=0).run()
    last = rig.master.taken[-1].slo_data
    assert (last.window_start, last.timestamp) == (pending_end, int(time.now))
    assert delivered_total(rig.master.taken) == second.counter() - first_value


def test_the_age_counts_from_the_scrape_not_from_when_the_state_was_written(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    now = rig.time.now
    # A clean shutdown may save long after its last scrape (a long spool flush).
    rig.store.saved.append({"format": 1, "cluster_id": "c1", "collect": {"last": [int(now) - 4000, 5]},
                            "scraped_at": now - 4000, "saved_at": now - 60})
    rig.loop(cycles=1, state_max_age=HOUR).restore_state()
    assert rig.collector.last is None


def test_a_state_without_its_scrape_time_is_aged_by_its_save_time(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    now = rig.time.now
    document = {"format": 1, "cluster_id": "c1", "collect": {"last": [int(now) - 4000, 5]}}
    rig.store.saved.append({**document, "saved_at": now - 4000})
    loop = rig.loop(cycles=1, state_max_age=HOUR)
    loop.restore_state()
    assert rig.collector.last is None
    rig.store.saved.append({**document, "saved_at": now - 60})
    loop.restore_state()
    assert rig.collector.last == (int(now) - 4000, 5)
