"""DiskSpool: order, bound, restarts, corruption, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.unit.application.agent.delivery_fakes import make_snapshot

from adapters.master_client.spool import DiskSpool
from application.ports.delivery import SpoolError


def drain(spool: DiskSpool) -> list[int]:
    timestamps = []
    while (item := spool.oldest()) is not None:
        timestamps.append(item.snapshot.slo_data.timestamp)
        spool.remove(item)
    return timestamps


def entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))


def reopen(spool: DiskSpool, max_items: int = 100) -> DiskSpool:
    """What a restarted agent sees: the first one lets go of the directory, a new one opens it."""
    spool.close()
    return DiskSpool(spool.directory, max_items=max_items)


def test_first_in_first_out_and_round_trip(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_items=10)
    originals = [make_snapshot(ts, delta=ts % 7) for ts in (300, 100, 200)]
    for snapshot in originals:
        spool.append(snapshot)
    assert len(spool) == 3
    item = spool.oldest()
    assert item is not None and item.snapshot == originals[0]
    # oldest() does not consume: the same item until it is removed.
    assert spool.oldest() == item
    assert drain(spool) == [300, 100, 200]
    assert len(spool) == 0 and entries(tmp_path) == []


def test_file_names_sort_in_arrival_order_beyond_nine(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_items=100)
    for ts in range(1, 13):
        spool.append(make_snapshot(1000 + ts))
    names = entries(tmp_path)
    assert len(names) == 12
    assert drain(reopen(spool)) == [1000 + ts for ts in range(1, 13)]


def test_bound_drops_the_oldest_and_counts_it(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_items=3)
    for ts in range(1, 7):
        spool.append(make_snapshot(100 + ts))
    assert len(spool) == 3
    assert spool.dropped == 3
    assert len(entries(tmp_path)) == 3
    assert drain(spool) == [104, 105, 106]


def test_nothing_dropped_within_the_bound(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_items=5)
    for ts in range(1, 6):
        spool.append(make_snapshot(100 + ts))
    assert spool.dropped == 0
    assert drain(spool) == [101, 102, 103, 104, 105]


def test_survives_a_restart_and_keeps_numbering_after_the_last_entry(tmp_path: Path) -> None:
    first = DiskSpool(tmp_path, max_items=10)
    for ts in (101, 102, 103):
        first.append(make_snapshot(ts))
    item = first.oldest()
    assert item is not None
    first.remove(item)

    second = reopen(first, max_items=10)
    assert len(second) == 2
    second.append(make_snapshot(104))
    assert drain(second) == [102, 103, 104]


def test_restart_with_a_smaller_bound_drops_the_oldest(tmp_path: Path) -> None:
    first = DiskSpool(tmp_path, max_items=10)
    for ts in range(101, 106):
        first.append(make_snapshot(ts))
    second = reopen(first, max_items=2)
    assert second.dropped == 3
    assert drain(second) == [104, 105]


@pytest.mark.parametrize(
    "garbage",
    [b"", b"{\"cluster_id\": \"c1\", \"slo_da", b"\xff\xfe\x00binary", b"[]",
     b'{"cluster_id": "c1", "slo_data": {"timestamp": 5, "window_start": 9}}'],
    ids=["empty", "truncated", "binary", "wrong-shape", "invalid-window"],
)
def test_corrupt_files_are_moved_aside_and_counted_without_blocking(tmp_path: Path, garbage: bytes) -> None:
    spool = DiskSpool(tmp_path, max_items=10)
    for ts in (101, 102, 103):
        spool.append(make_snapshot(ts))
    middle = sorted(tmp_path.glob("*.json"))[1]
    middle.write_bytes(garbage)

    restarted = reopen(spool)
    assert drain(restarted) == [101, 103]
    assert restarted.corrupt == 1
    assert (tmp_path / "corrupt" / middle.name).read_bytes() == garbage


def test_interrupted_writes_are_cleaned_up_and_foreign_files_ignored(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_items=10)
    spool.append(make_snapshot(101))
    (tmp_path / ".tmp-00000000000000000002.json.999").write_bytes(b'{"half": ')
    (tmp_path / "README").write_text("not a snapshot")
    restarted = reopen(spool)
    assert len(restarted) == 1
    assert not list(tmp_path.glob(".tmp-*"))
    assert (tmp_path / "README").exists()
    assert drain(restarted) == [101]


def test_a_file_deleted_behind_its_back_is_skipped(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_items=10)
    spool.append(make_snapshot(101))
    spool.append(make_snapshot(102))
    sorted(tmp_path.glob("*.json"))[0].unlink()
    assert drain(spool) == [102]


def test_write_failure_is_a_spool_error_and_changes_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    spool = DiskSpool(directory, max_items=10)
    spool.append(make_snapshot(101))
    kept = tmp_path / "kept"
    directory.rename(kept)
    directory.write_text("a file where the spool directory was")  # every write now fails, even as root
    with pytest.raises(SpoolError, match="cannot write to spool"):
        spool.append(make_snapshot(102))
    assert len(spool) == 1
    directory.unlink()
    kept.rename(directory)
    assert entries(directory) == [entries(directory)[0]] and len(entries(directory)) == 1
    spool.append(make_snapshot(103))
    assert drain(spool) == [101, 103]


def test_a_second_agent_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    first = DiskSpool(tmp_path, max_items=10)
    with pytest.raises(SpoolError, match=rf"in use by another agent \(pid {os.getpid()}\)"):
        DiskSpool(tmp_path, max_items=10)
    first.close()
    DiskSpool(tmp_path, max_items=10).close()


def test_creates_its_directory_and_rejects_a_zero_bound(tmp_path: Path) -> None:
    DiskSpool(tmp_path / "a" / "b", max_items=1)
    assert (tmp_path / "a" / "b").is_dir()
    with pytest.raises(ValueError):
        DiskSpool(tmp_path, max_items=0)
