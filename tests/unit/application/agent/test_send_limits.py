"""SendUseCase: snapshots over the size limit are dropped before they reach the spool, and
``stranded`` says when snapshots can be neither delivered nor spooled."""

from __future__ import annotations

import pytest
from tests.unit.application.agent.delivery_fakes import BrokenSpool, FakeMasterClient, make_snapshot

from adapters.master_client.spool import DiskSpool
from application.agent.send import Outcome, SendUseCase


def json_size(timestamp: int) -> int:
    return len(make_snapshot(timestamp).model_dump_json())


def test_an_oversize_snapshot_is_dropped_counted_and_never_spooled_even_behind_a_queue(
    master: FakeMasterClient, spool: DiskSpool, caplog: pytest.LogCaptureFixture
) -> None:
    sender = SendUseCase(master, spool)
    master.down = True
    assert sender.deliver(make_snapshot(100)) is Outcome.SPOOLED  # a queue forms
    master.max_json_bytes = json_size(130) - 1
    assert sender.deliver(make_snapshot(130)) is Outcome.TOO_LARGE
    assert len(spool) == 1 and sender.backlog == 1  # only the one queued before
    assert sender.counters.too_large == 1 and sender.counters.rejected == 0
    assert "DROPPED snapshot cluster=c1 window=(100, 130], too large" in caplog.text
    assert "This interval is lost" in caplog.text

    master.down, master.max_json_bytes = False, None
    assert sender.deliver(make_snapshot(160)) is Outcome.SENT
    assert master.taken_timestamps == [100, 160]
    assert sender.counters.too_large == 1


def test_an_oversize_snapshot_with_nothing_queued_is_not_sent_nor_spooled(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    sender = SendUseCase(master, spool)
    master.max_json_bytes = json_size(100) - 1
    assert sender.deliver(make_snapshot(100)) is Outcome.TOO_LARGE
    assert master.attempts == 0 and len(spool) == 0


def test_a_spooled_snapshot_the_master_finds_too_large_is_dropped_and_the_next_goes_on(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    # Spooled while the master was away; its --max-body turns out lower than the agent's limit.
    spool.append(make_snapshot(100))
    spool.append(make_snapshot(130))
    sender = SendUseCase(master, spool)
    master.too_large_at_master = {100}
    assert sender.flush() == 1
    assert master.taken_timestamps == [130]
    assert sender.counters.too_large == 1 and len(spool) == 0


def test_stranded_while_neither_the_master_nor_the_spool_takes_snapshots(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    broken = BrokenSpool(spool)
    sender = SendUseCase(master, broken)
    assert sender.stranded is None
    master.down = True
    assert sender.deliver(make_snapshot(100)) is Outcome.IN_MEMORY
    reason = sender.stranded
    assert reason is not None
    assert "1 snapshot(s) can be neither delivered nor spooled" in reason
    assert "HTTP 503" in reason and "No space left on device" in reason

    broken.broken = False
    assert sender.secure_backlog() is True
    assert sender.stranded is None  # on disk again: safe, although the master is still away


def test_no_longer_stranded_once_the_master_takes_a_snapshot(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    sender = SendUseCase(master, BrokenSpool(spool))
    master.down = True
    sender.deliver(make_snapshot(100))
    sender.deliver(make_snapshot(130))
    assert sender.stranded is not None and sender.backlog == 2
    master.down = False
    assert sender.deliver(make_snapshot(160)) is Outcome.SENT
    assert sender.stranded is None and master.taken_timestamps == [100, 130, 160]


def test_a_failed_spool_alone_is_not_stranded_while_the_master_takes_snapshots(
    master: FakeMasterClient, spool: DiskSpool
) -> None:
    sender = SendUseCase(master, BrokenSpool(spool))
    assert sender.deliver(make_snapshot(100)) is Outcome.SENT
    assert sender.stranded is None
