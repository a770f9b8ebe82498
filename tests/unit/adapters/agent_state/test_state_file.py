"""StateFile: atomic replace, round trip, corrupt files set aside."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from adapters.agent_state.state_file import StateFile, StateFileError
from application.ports.delivery import SavedState


def test_missing_file_is_a_first_start(tmp_path: Path) -> None:
    assert StateFile(tmp_path / "state.json").load() is None


def test_round_trip_including_non_finite_values(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "deep" / "state.json")
    state = SavedState("c1", {"counters": {'a{x="1"}': 12.5, "b": math.inf}, "last": 1764000000})
    store.save(state)
    loaded = StateFile(tmp_path / "deep" / "state.json").load()
    assert loaded == state


def test_save_replaces_the_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "state.json")
    store.save(SavedState("c1", {"counters": {str(i): i for i in range(1000)}}))
    store.save(SavedState("c1", {"counters": {"only": 1}}))
    assert store.load() == SavedState("c1", {"counters": {"only": 1}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


@pytest.mark.parametrize("content", [b"", b'{"format": 1, "coll', b"\x00\xff", b"[1, 2]", b"null"])
def test_unreadable_state_is_set_aside_and_the_agent_starts_fresh(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    store = StateFile(path)
    assert store.load() is None
    assert not path.exists()
    assert (tmp_path / "state.json.corrupt").read_bytes() == content
    assert "starting fresh" in caplog.text
    store.save(SavedState("c1", {}))
    assert store.load() == SavedState("c1", {})


def test_unwritable_location_raises_a_state_file_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(StateFileError, match="cannot write state file"):
        StateFile(blocker / "state.json").save(SavedState("c1", {"a": 1}))


def test_the_scrape_time_round_trips_and_is_none_in_a_file_without_it(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "state.json")
    state = SavedState("c1", {"last": 1764000000}, saved_at=1764000031.5, scraped_at=1764000030.0)
    store.save(state)
    assert store.load() == state
    # A file written before the scrape time was recorded: only its save time is known.
    (tmp_path / "state.json").write_text('{"format": 1, "cluster_id": "c1", "collect": {}, "saved_at": 17}')
    assert store.load() == SavedState("c1", {}, saved_at=17.0, scraped_at=None)


def _columns_state(series: tuple[str, ...], values: list[float]) -> SavedState:
    return SavedState("c1", {"version": 2, "last_timestamp": 100, "series": series, "values": values})


def test_columns_are_saved_as_a_series_file_written_once_and_binary_values(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "state.json")
    series = ('a{x="1"}', 'b{le="10"}')
    store.save(_columns_state(series, [1.0, math.nan]))
    first = sorted(p.name for p in tmp_path.iterdir())
    series_file = tmp_path / first[1]
    written = series_file.stat().st_mtime_ns
    store.save(_columns_state(series, [2.0, 5.0]))  # same series object: only the values are written
    assert sorted(p.name for p in tmp_path.iterdir()) == first
    assert series_file.stat().st_mtime_ns == written
    loaded = StateFile(tmp_path / "state.json").load()
    assert loaded is not None
    expected = {"version": 2, "last_timestamp": 100, "series": list(series), "values": [2.0, 5.0]}
    assert loaded.collect == expected
    store.save(_columns_state(('c{y="2"}',), [3.0]))  # a new series set replaces the old file
    assert len(list(tmp_path.glob("state.json.series-*"))) == 1


def test_a_missing_series_file_makes_a_baseline_not_a_crash(tmp_path: Path) -> None:
    store = StateFile(tmp_path / "state.json")
    store.save(_columns_state(('a{x="1"}',), [1.0]))
    for path in tmp_path.glob("state.json.series-*"):
        path.unlink()
    loaded = StateFile(tmp_path / "state.json").load()
    assert loaded is not None
    assert loaded.collect == {"version": 2, "last_timestamp": None, "series": [], "values": []}


def test_the_previous_format_is_still_read(tmp_path: Path) -> None:
    import json

    old = {"format": 1, "cluster_id": "c1", "saved_at": 5.0, "scraped_at": 4.0, "pending": None,
           "collect": {"version": 1, "last_timestamp": 100, "counters": {'a{x="1"}': 3.0}}}
    (tmp_path / "state.json").write_text(json.dumps(old))
    loaded = StateFile(tmp_path / "state.json").load()
    assert loaded == SavedState("c1", old["collect"], saved_at=5.0, scraped_at=4.0)
