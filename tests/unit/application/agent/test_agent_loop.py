"""AgentLoop: fixed-rate cycles, failed scrapes, durable hand-off before state, restarts, flushing."""

from __future__ import annotations

import contextlib
import copy
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.unit.application.agent.delivery_fakes import (
    BrokenSpool,
    FakeMasterClient,
    FakeTime,
    delivered_total,
)
from tests.unit.application.agent.loop_rig import RATE, Crash, RecordingStore, Rig

from adapters.agent_state.state_file import StateFile
from application.agent.cycle import AgentLoop
from application.ports.agent import DeliveryError
from domain.contract import SLOSnapshot


def test_cycles_run_at_a_fixed_rate_without_drift(tmp_path: Path) -> None:
    rig = Rig(tmp_path, scrape_cost=0.3)
    start = rig.time.now
    assert rig.loop(cycles=5, interval=10.0).run() == 0
    assert rig.collector.runs == 5
    # Waits make up for the time each cycle took: ticks stay at start + k·interval.
    assert rig.time.waits == pytest.approx([9.7] * 4)
    timestamps = rig.master.taken_timestamps
    assert timestamps == [int(start) + 10 * k for k in range(1, 5)]
    assert delivered_total(rig.master.taken) == RATE * 40


def test_an_overrunning_cycle_skips_missed_ticks_and_stays_on_the_grid(tmp_path: Path) -> None:
    rig = Rig(tmp_path, scrape_cost=25.0)
    start = rig.time.now
    rig.loop(cycles=3, interval=10.0).run()
    # Cycle 1 ends at +25: ticks +10 and +20 are missed, the next is +30.
    assert rig.time.waits == pytest.approx([5.0, 5.0])
    assert rig.master.taken_timestamps == [int(start) + 30, int(start) + 60]


def test_a_failed_scrape_changes_nothing_and_the_next_covers_the_gap(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    loop = rig.loop(cycles=0)
    start = rig.time.now
    loop.run_cycle()
    saves = len(rig.store.saved)
    rig.time.advance(10)
    rig.collector.fail_next = 1
    loop.run_cycle()
    assert loop.status.scrape_failures == 1 and loop.status.last_cycle_ok is False
    assert len(rig.store.saved) == saves  # no state write after a failed scrape
    rig.time.advance(10)
    loop.run_cycle()
    assert loop.status.last_cycle_ok is True
    [snapshot] = rig.master.taken
    assert (snapshot.slo_data.window_start, snapshot.slo_data.timestamp) == (int(start), int(start) + 20)
    assert delivered_total(rig.master.taken) == RATE * 20


def test_an_unexpected_collect_error_does_not_stop_the_loop(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    loop = rig.loop(cycles=3)
    original = rig.collector.run
    calls = {"n": 0}

    def flaky():  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("bug")
        return original()

    rig.collector.run = flaky  # type: ignore[method-assign]
    assert loop.run() == 0
    assert loop.status.cycle_errors == 1
    assert len(rig.master.taken) == 1


def test_state_is_saved_after_each_hand_off_and_records_that_interval(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    loop = rig.loop(cycles=0)
    for _ in range(3):
        loop.run_cycle()
        # Whatever the master has taken, the saved state is the collector's state right after it.
        assert rig.store.saved[-1]["collect"] == rig.collector.export_state()
        rig.time.advance(10)
    assert len(rig.store.saved) == 3
    assert rig.store.saved[-1]["cluster_id"] == "c1"


def test_state_is_saved_when_the_snapshot_is_spooled(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    loop = rig.loop(cycles=0)
    loop.run_cycle()
    rig.time.advance(10)
    rig.master.down = True
    loop.run_cycle()
    assert len(rig.spool) == 1
    assert rig.store.saved[-1]["collect"] == rig.collector.export_state()


def test_state_is_not_saved_past_a_snapshot_held_only_in_memory(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    broken = BrokenSpool(rig.spool)
    loop = rig.loop(cycles=0, spool=broken)
    loop.run_cycle()
    rig.master.down = True
    rig.time.advance(10)
    loop.run_cycle()  # master down, disk full: the snapshot only lives in memory…
    assert loop.status.last_cycle_ok is False
    held = rig.store.saved[-1]
    # …but it was saved with the state before the attempt: a restart re-delivers it.
    assert held["pending"] is not None and '"timestamp":1764000010' in held["pending"]
    assert held["collect"] == rig.collector.export_state()
    rig.time.advance(10)
    loop.run_cycle()
    assert rig.store.saved[-1] == held  # nothing saved past the held snapshot

    # Disk back: the held snapshots reach the spool in order, then the state may move on.
    broken.broken = False
    rig.time.advance(10)
    loop.run_cycle()
    assert rig.store.saved[-1]["collect"] == rig.collector.export_state()
    rig.master.down = False
    rig.sender.flush()
    assert delivered_total(rig.master.taken) == RATE * 30


def test_snapshot_is_saved_with_its_state_before_it_is_sent(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    loop = rig.loop(cycles=0)
    loop.run_cycle()
    rig.time.advance(10)
    seen_at_send: list[dict[str, Any]] = []
    rig.master.on_send = lambda snapshot: seen_at_send.append(copy.deepcopy(rig.store.saved[-1]))
    loop.run_cycle()
    [state] = seen_at_send
    assert state["collect"] == rig.collector.export_state()
    assert SLOSnapshot.model_validate_json(state["pending"]) == rig.master.taken[-1]


def test_a_crash_right_after_the_master_took_a_snapshot_neither_loses_nor_doubles(tmp_path: Path) -> None:
    time = FakeTime()
    rig = Rig(tmp_path, time=time)
    loop = rig.loop(cycles=0)
    first = rig.counter()
    loop.run_cycle()
    time.advance(10)

    def crash(snapshot: object) -> None:
        if rig.master.on_send is crash and len(rig.master.taken) == 0:
            rig.master.on_send = None
            rig.master.taken.append(snapshot)  # type: ignore[arg-type]  # stored by the master…
            raise Crash  # …and the agent dies before hearing back

    rig.master.on_send = crash
    with pytest.raises(Crash):
        loop.run_cycle()

    time.advance(100)
    rig.spool.close()
    second = Rig(tmp_path, time=time)
    second.master, second.store = rig.master, rig.store
    second.loop(cycles=2).run()
    assert rig.master.repeats == 1  # the re-delivered snapshot, ignored by the master
    assert delivered_total(rig.master.taken) == second.counter() - first
    windows = [(s.slo_data.window_start, s.slo_data.timestamp) for s in rig.master.taken]
    assert all(later[0] == earlier[1] for earlier, later in pairwise(windows))


def test_a_clean_restart_re_sends_nothing(tmp_path: Path) -> None:
    time = FakeTime()
    rig = Rig(tmp_path, time=time)
    rig.loop(cycles=3).run()
    assert rig.store.saved[-1]["pending"] is None
    rig.spool.close()
    second = Rig(tmp_path, time=time)
    second.master, second.store = rig.master, rig.store
    time.advance(30)
    second.loop(cycles=2).run()
    assert rig.master.repeats == 0 and rig.master.attempts == 4


def test_restart_with_saved_state_loses_no_interval(tmp_path: Path) -> None:
    time = FakeTime()
    first_scrape_value = int(time.now) * RATE
    rig = Rig(tmp_path, time=time)
    rig.store = StateFile(tmp_path / "state.json")
    rig.loop(cycles=3, interval=10.0).run()
    taken_before = list(rig.master.taken)

    time.advance(3600)  # an hour down
    rig.spool.close()
    second = Rig(tmp_path, time=time)
    second.master = rig.master
    second.store = StateFile(tmp_path / "state.json")
    second.loop(cycles=2, interval=10.0).run()

    new = rig.master.taken[len(taken_before):]
    assert new[0].slo_data.window_start == taken_before[-1].slo_data.timestamp
    # The loop ends right after its last scrape: the counter now is what that scrape read.
    assert delivered_total(rig.master.taken) == second.counter() - first_scrape_value
    assert [s.slo_data.timestamp - s.slo_data.window_start for s in new] == [3600, 10]


def test_restart_after_spooled_but_unsent_snapshots_neither_loses_nor_doubles(tmp_path: Path) -> None:
    time = FakeTime()
    start = int(time.now)
    rig = Rig(tmp_path, time=time)
    rig.store = StateFile(tmp_path / "state.json")
    rig.master.down = True
    rig.loop(cycles=3, interval=10.0, flush_timeout=0).run()
    assert rig.master.taken == [] and len(rig.spool) == 2

    time.advance(100)
    rig.spool.close()
    second = Rig(tmp_path, time=time)  # same spool directory, same state file
    second.store = StateFile(tmp_path / "state.json")
    assert second.loop(cycles=2, interval=10.0).run() == 0
    timestamps = second.master.taken_timestamps
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == len(timestamps) == 4
    assert delivered_total(second.master.taken) == (timestamps[-1] - start) * RATE


def test_state_of_another_cluster_or_layout_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(tmp_path)
    rig.store.saved.append({"format": 1, "cluster_id": "other", "collect": {"last": [5, 5]}})
    loop = rig.loop(cycles=1, cluster_id="c1")
    loop.restore_state()
    assert rig.collector.last is None
    assert "belongs to cluster 'other'" in caplog.text
    rig.store.saved.append({"format": 99, "cluster_id": "c1", "collect": {}})
    loop.restore_state()
    assert rig.collector.last is None
    rig.store.saved.append({"format": 1, "cluster_id": "c1", "collect": {"no": "last key"}})
    loop.restore_state()  # the collector refuses it: start fresh, do not crash
    assert rig.collector.last is None


def test_cycles_then_flush_until_the_master_returns(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.master.down = True
    attempts_seen: list[int] = []

    def recover(snapshot: object) -> None:
        attempts_seen.append(1)
        if len(attempts_seen) >= 5:
            rig.master.down = False

    rig.master.on_send = recover
    code = rig.loop(cycles=3, interval=10.0, flush_timeout=60.0).run()
    assert code == 0
    assert len(rig.spool) == 0
    assert len(rig.master.taken) == 2
    assert delivered_total(rig.master.taken) == RATE * 20


def test_cycles_then_flush_gives_up_after_the_flush_timeout(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.master.down = True
    loop = rig.loop(cycles=2, interval=10.0, flush_timeout=12.0)
    before = rig.time.now
    assert loop.run() == 1
    # One wait between the two scrapes, then flush pauses adding up to the timeout.
    assert rig.time.now - before == pytest.approx(10.0 + 12.0)
    assert len(rig.spool) == 1  # still there for the next run


def test_stop_request_ends_the_wait_flushes_once_and_exits_cleanly(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.time.stop_at = rig.time.now + 25.0
    rig.master.down = True
    loop = rig.loop(cycles=0, interval=10.0)
    assert loop.run() == 0  # spooled snapshots are safe on disk: nothing lost
    assert rig.collector.runs == 3
    assert len(rig.spool) == 2
    assert rig.store.saved[-1]["collect"] == rig.collector.export_state()


def test_collector_health_is_checked_at_start_without_stopping(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(tmp_path)
    loop = rig.loop(cycles=2, health=lambda: False)
    assert loop.run() == 0
    assert loop.status.collector_healthy is False
    assert "health endpoint does not answer healthy" in caplog.text
    assert len(rig.master.taken) == 1

    def broken() -> bool:
        raise OSError("no route")

    rig2 = Rig(tmp_path / "2")
    loop2 = rig2.loop(cycles=1, health=broken)
    loop2.run()
    assert loop2.status.collector_healthy is False


def test_health_verdict(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    loop = rig.loop(cycles=0, interval=10.0)
    status = loop.status
    status.started_at = rig.time.now
    assert status.health(rig.time.now, 30.0)[0] is True  # no cycle yet
    loop.run_cycle()
    ok, body = status.health(rig.time.now, 30.0)
    assert ok and body["last_success"] == rig.time.now
    rig.collector.fail_next = 10
    rig.time.advance(10)
    loop.run_cycle()
    assert status.health(rig.time.now, 30.0)[0] is True  # one failure is a blip
    rig.time.advance(25)
    loop.run_cycle()
    ok, body = status.health(rig.time.now, 30.0)
    assert not ok and "scrape failed" in body["last_error"]


def test_an_unexpected_delivery_error_is_counted_and_the_loop_goes_on(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    loop = rig.loop(cycles=4)
    calls = {"n": 0}

    def explode_once(snapshot: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("bug in delivery")

    rig.master.on_send = explode_once
    assert loop.run() == 0
    assert loop.status.cycle_errors == 1
    assert len(rig.master.taken) == 2  # the interval whose delivery blew up is lost, loudly


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(["cycle", "cycle", "cycle", "scrape_fails", "master_down", "master_up",
                                       "disk_full", "disk_ok", "restart", "refuse_next",
                                       "crash_before_send", "crash_after_send"]), max_size=40))
# The process dies after the master stored a snapshot but before the agent heard back.
@example(steps=["cycle", "crash_after_send", "cycle", "cycle"])
@example(steps=["cycle", "master_down", "cycle", "crash_before_send", "master_up", "cycle", "cycle"])
# A restart while a snapshot is held only in memory: its interval must come back through the state.
@example(steps=["cycle", "disk_full", "master_down", "cycle", "restart", "master_up", "disk_ok", "cycle"])
# A restart with snapshots in the spool and a failed scrape straight after.
@example(steps=["cycle", "master_down", "cycle", "cycle", "restart", "scrape_fails", "cycle", "master_up"])
# The state skipped while a snapshot was held in memory is saved once both are delivered,
# so a restart does not resume from before the delivered interval and count it twice.
@example(steps=["cycle", "master_down", "disk_full", "cycle", "master_up", "cycle", "restart"])
def test_any_run_delivers_exactly_what_the_counter_grew_by(
    tmp_path_factory: pytest.TempPathFactory, steps: list[str]
) -> None:
    """Outages, failed scrapes, full disks and restarts (with a state file) in any order:
    the master receives every increment since the very first scrape exactly once, in order,
    except the intervals it refused for good."""
    directory = tmp_path_factory.mktemp("agent")
    time = FakeTime()
    store = RecordingStore()
    master = FakeMasterClient()

    def start() -> tuple[Rig, AgentLoop, BrokenSpool]:
        while True:
            rig = Rig(directory, time=time)
            rig.master, rig.store = master, store
            spool = BrokenSpool(rig.spool)
            spool.broken = False
            loop = rig.loop(cycles=0, spool=spool)
            try:
                loop.start()
            except Crash:  # died again while re-delivering
                rig.spool.close()
                continue
            return rig, loop, spool

    def arm(stores_first: bool) -> None:
        def die(snapshot: SLOSnapshot) -> None:
            master.on_send = None
            if stores_first:
                with contextlib.suppress(DeliveryError):
                    master.send(snapshot)
            raise Crash

        master.on_send = die

    rig, loop, spool = start()
    first_value: int | None = None
    last_good_value: int | None = None
    for step in [*steps, "master_up", "disk_ok", "cycle"]:
        if step == "cycle":
            time.advance(10)
            collector = rig.collector
            before, failing = collector.runs, collector.fail_next
            try:
                loop.run_cycle()
            except Crash:  # after the scrape: its interval must survive through the saved state
                rig.spool.close()
                rig, loop, spool = start()
            if collector.runs > before and not failing:
                first_value = rig.counter() if first_value is None else first_value
                last_good_value = rig.counter()
        elif step == "scrape_fails":
            rig.collector.fail_next = 1
        elif step == "master_down":
            master.down = True
        elif step == "master_up":
            master.down = False
        elif step == "disk_full":
            spool.broken = True
        elif step == "disk_ok":
            spool.broken = False
        elif step == "refuse_next":
            master.refuse.add(int(time.now) + 10)
        elif step == "restart":
            rig.spool.close()
            rig, loop, spool = start()
        elif step.startswith("crash_"):
            arm(stores_first=step == "crash_after_send")
    master.on_send = None
    rig.sender.flush()

    timestamps = master.taken_timestamps
    assert timestamps == sorted(timestamps) and len(set(timestamps)) == len(timestamps)
    if first_value is None or last_good_value is None:
        assert timestamps == []
        return
    # Taken and refused windows together tile the time since the first scrape, without overlap.
    seen = [*master.taken, *master.refused]
    windows = sorted((snapshot.slo_data.window_start, snapshot.slo_data.timestamp) for snapshot in seen)
    assert all(later[0] == earlier[1] for earlier, later in pairwise(windows))
    assert delivered_total(master.taken) + delivered_total(master.refused) == last_good_value - first_value


def test_an_unreadable_pending_snapshot_is_skipped_and_the_state_still_restored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(tmp_path)
    rig.store.saved.append({"format": 1, "cluster_id": "c1", "collect": {"last": [1764000000, 5]},
                            "pending": '{"cluster_id": "c1", "slo_data": {"timestamp": "soon"}}'})
    loop = rig.loop(cycles=1)
    loop.start()
    assert rig.collector.last == (1764000000, 5)
    assert "last snapshot is unreadable" in caplog.text
    assert rig.master.attempts == 0
