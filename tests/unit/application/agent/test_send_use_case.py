"""SendUseCase: order, spooling while the master is away, permanent refusals, full disks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.application.agent.delivery_fakes import BrokenSpool, FakeMasterClient, make_snapshot

from adapters.master_client.spool import DiskSpool
from application.agent.send import Outcome, SendUseCase


def test_sends_directly_when_nothing_is_queued(master: FakeMasterClient, spool: DiskSpool) -> None:
    sender = SendUseCase(master, spool)
    assert sender.deliver(make_snapshot(100), now=5.0) is Outcome.SENT
    assert master.taken_timestamps == [100]
    assert len(spool) == 0
    assert sender.counters.sent == 1 and sender.counters.last_sent_at == 5.0


def test_spools_while_the_master_is_down_and_resends_in_order(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    sender = SendUseCase(master, spool)
    sender.deliver(make_snapshot(100))
    master.down = True
    outcomes = [sender.deliver(make_snapshot(ts)) for ts in (130, 160, 190)]
    assert outcomes == [Outcome.SPOOLED] * 3
    assert len(spool) == 3 and sender.backlog == 3
    assert sender.counters.spooled == 3 and sender.counters.failed == 3

    master.down = False
    # The next snapshot joins the back of the queue; the queue drains oldest first.
    assert sender.deliver(make_snapshot(220)) is Outcome.SENT
    assert master.taken_timestamps == [100, 130, 160, 190, 220]
    assert sender.backlog == 0 and len(spool) == 0
    assert sender.counters.sent == 5


def test_a_queued_snapshot_is_never_overtaken_by_a_direct_send(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    sender = SendUseCase(master, spool)
    master.down = True
    sender.deliver(make_snapshot(100))
    # Master back up but nobody has flushed: a new snapshot must not jump the queue.
    master.down = False
    order: list[int] = []
    master.on_send = lambda snapshot: order.append(snapshot.slo_data.timestamp)
    sender.deliver(make_snapshot(130))
    assert order == [100, 130]


def test_flush_stops_at_the_first_retryable_failure_and_keeps_the_rest(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    sender = SendUseCase(master, spool)
    master.down = True
    for ts in (100, 130, 160):
        sender.deliver(make_snapshot(ts))
    attempts = master.attempts

    def fail_after_first(snapshot: object) -> None:
        master.down = len(master.taken) >= 1

    master.down = False
    master.on_send = fail_after_first
    assert sender.flush() == 1
    assert master.attempts == attempts + 2  # one taken, one failed, the third not tried
    assert master.taken_timestamps == [100]
    assert sender.backlog == 2

    master.on_send = None
    master.down = False
    assert sender.flush() == 2
    assert master.taken_timestamps == [100, 130, 160]


def test_a_permanently_refused_snapshot_is_dropped_and_does_not_block_the_queue(
    master: FakeMasterClient, spool: DiskSpool, caplog: pytest.LogCaptureFixture
) -> None:
    sender = SendUseCase(master, spool)
    master.down = True
    for ts in (100, 130, 160):
        sender.deliver(make_snapshot(ts))
    master.down = False
    master.refuse = {130}
    sender.flush()
    assert master.taken_timestamps == [100, 160]
    assert sender.backlog == 0
    assert sender.counters.rejected == 1
    assert "DROPPED snapshot cluster=c1 window=(100, 130]" in caplog.text
    assert "HTTP 422" in caplog.text


def test_a_directly_refused_snapshot_is_not_spooled(master: FakeMasterClient, spool: DiskSpool) -> None:
    sender = SendUseCase(master, spool)
    master.refuse = {100}
    assert sender.deliver(make_snapshot(100)) is Outcome.REJECTED
    assert len(spool) == 0 and sender.counters.rejected == 1
    assert sender.deliver(make_snapshot(130)) is Outcome.SENT


def test_a_409_is_done_with_at_once_counted_and_logged_with_the_masters_message(
    master: FakeMasterClient, spool: DiskSpool, caplog: pytest.LogCaptureFixture
) -> None:
    sender = SendUseCase(master, spool)
    master.overlapping = {100}
    assert sender.deliver(make_snapshot(100), now=5.0) is Outcome.ALREADY_STORED
    assert master.attempts == 1  # not retried
    assert len(spool) == 0 and sender.backlog == 0  # not kept either
    counters = sender.counters
    assert (counters.already_stored, counters.rejected, counters.failed, counters.sent) == (1, 0, 0, 0)
    assert counters.last_error is None  # not an error of the delivery path
    [record] = [r for r in caplog.records if "not stored" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "window=(70, 100]" in record.getMessage()
    assert "overlaps the stored window (65, 95] of cluster c1" in record.getMessage()
    assert sender.deliver(make_snapshot(130)) is Outcome.SENT


def test_a_spooled_snapshot_answered_409_leaves_the_spool_and_the_rest_follow_in_order(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    sender = SendUseCase(master, spool)
    master.down = True
    for ts in (100, 130, 160):
        sender.deliver(make_snapshot(ts))
    master.down = False
    master.overlapping = {100, 130}
    assert sender.flush() == 1
    assert master.taken_timestamps == [160]
    assert len(spool) == 0 and sender.counters.already_stored == 2 and sender.counters.rejected == 0


def test_a_snapshot_held_in_memory_answered_409_is_done_with(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    sender = SendUseCase(master, BrokenSpool(spool))
    master.down = True
    for ts in (100, 130):
        assert sender.deliver(make_snapshot(ts)) is Outcome.IN_MEMORY
    master.down = False
    master.overlapping = {100}
    assert sender.deliver(make_snapshot(160)) is Outcome.SENT
    assert master.taken_timestamps == [130, 160]
    assert sender.durable and sender.backlog == 0 and sender.counters.already_stored == 1


def test_queue_survives_a_restart_of_the_agent(master: FakeMasterClient, tmp_path: Path) -> None:
    first = SendUseCase(master, DiskSpool(tmp_path, max_items=100))
    master.down = True
    for ts in (100, 130):
        first.deliver(make_snapshot(ts))
    first.spool.close()  # type: ignore[attr-defined]

    master.down = False
    second = SendUseCase(master, DiskSpool(tmp_path, max_items=100))
    assert second.backlog == 2
    second.deliver(make_snapshot(160))
    assert master.taken_timestamps == [100, 130, 160]


def test_a_full_spool_keeps_the_newest_within_its_bound(master: FakeMasterClient, tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_items=3)
    sender = SendUseCase(master, spool)
    master.down = True
    for ts in range(100, 106):
        sender.deliver(make_snapshot(ts))
    assert spool.dropped == 3
    master.down = False
    sender.flush()
    assert master.taken_timestamps == [103, 104, 105]


def test_unwritable_spool_holds_snapshots_in_memory_until_it_works_again(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    broken = BrokenSpool(spool)
    sender = SendUseCase(master, broken)
    master.down = True
    assert sender.deliver(make_snapshot(100)) is Outcome.IN_MEMORY
    assert sender.deliver(make_snapshot(130)) is Outcome.IN_MEMORY
    assert sender.durable is False and sender.backlog == 2
    assert sender.counters.spool_errors >= 2

    broken.broken = False
    assert sender.deliver(make_snapshot(160)) is Outcome.SPOOLED
    assert sender.durable is True
    assert len(spool) == 3

    master.down = False
    sender.flush()
    assert master.taken_timestamps == [100, 130, 160]


def test_memory_held_snapshots_go_to_the_master_in_order_when_it_returns(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    broken = BrokenSpool(spool)
    sender = SendUseCase(master, broken)
    master.down = True
    for ts in (100, 130):
        sender.deliver(make_snapshot(ts))
    master.down = False
    assert sender.deliver(make_snapshot(160)) is Outcome.SENT
    assert master.taken_timestamps == [100, 130, 160]
    assert sender.durable is True and sender.backlog == 0


def test_memory_hold_is_bounded(master: FakeMasterClient, spool: DiskSpool) -> None:
    sender = SendUseCase(master, BrokenSpool(spool), max_in_memory=2)
    master.down = True
    for ts in (100, 130, 160, 190):
        sender.deliver(make_snapshot(ts))
    assert sender.backlog == 2
    master.down = False
    sender.flush()
    assert master.taken_timestamps == [160, 190]


def test_flush_budget_spreads_a_long_backlog_over_several_flushes(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    clock = {"now": 0.0}

    def one_second_per_send(snapshot: object) -> None:
        clock["now"] += 1.0

    sender = SendUseCase(master, spool, flush_budget=2.5, clock=lambda: clock["now"])
    master.down = True
    for ts in range(100, 110):
        sender.deliver(make_snapshot(ts))
    master.down = False
    master.on_send = one_second_per_send
    assert sender.flush() == 3
    assert sender.flush() == 3
    assert master.taken_timestamps == list(range(100, 106))
    assert sender.flush() + sender.flush() == 4
    assert master.taken_timestamps == list(range(100, 110)) and sender.backlog == 0


def test_flush_always_makes_progress_even_with_a_tiny_budget(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    sender = SendUseCase(master, spool, flush_budget=0.0)
    master.down = True
    for ts in (100, 130):
        sender.deliver(make_snapshot(ts))
    master.down = False
    assert sender.flush() == 1
    assert sender.flush() == 1
    assert master.taken_timestamps == [100, 130]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from(["deliver", "down", "up", "refuse_next", "flush", "restart",
                                       "disk_full", "disk_ok"]), max_size=40))
def test_any_sequence_keeps_order_and_accounts_for_every_snapshot(
    tmp_path_factory: pytest.TempPathFactory, steps: list[str]
) -> None:
    directory = tmp_path_factory.mktemp("spool")
    master = FakeMasterClient()
    spool = BrokenSpool(DiskSpool(directory, max_items=1000))
    spool.broken = False
    sender = SendUseCase(master, spool)
    produced: list[int] = []
    for step in steps:
        if step == "deliver":
            timestamp = 100 + 30 * len(produced)
            produced.append(timestamp)
            sender.deliver(make_snapshot(timestamp))
        elif step == "down":
            master.down = True
        elif step == "up":
            master.down = False
        elif step == "refuse_next":
            master.refuse.add(100 + 30 * len(produced))
        elif step == "flush":
            sender.flush()
        elif step == "disk_full":
            spool.broken = True
        elif step == "disk_ok":
            spool.broken = False
        elif step == "restart" and sender.durable:  # only what is on disk survives a restart
            spool.inner.close()
            spool = BrokenSpool(DiskSpool(directory, max_items=1000))
            spool.broken = False
            sender = SendUseCase(master, spool)
    master.down, spool.broken = False, False
    sender.flush()

    taken = master.taken_timestamps
    assert taken == sorted(taken) and len(set(taken)) == len(taken)
    refused = [ts for ts in produced if ts in master.refuse]
    assert sorted(taken + refused) == produced  # nothing lost, nothing twice
    assert sender.backlog == 0
