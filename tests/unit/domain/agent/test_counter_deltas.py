"""Per-series counter deltas (SPEC §2.3)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.domain.agent.samples import series

from domain.agent.deltas import CounterDeltas, DeltaBatch

A = series("response_total", pod="a", status_code="200")
B = series("response_total", pod="b", status_code="200")


def apply(state: CounterDeltas, samples: list[tuple[object, float]]) -> DeltaBatch:
    batch = state.compute(samples)  # type: ignore[arg-type]
    state.commit(batch)
    return batch


def deltas_of(state: CounterDeltas, *samples: tuple[object, float]) -> dict[str, float]:
    return {s.key: d for s, d in apply(state, list(samples)).deltas}  # type: ignore[arg-type]


def test_first_sighting_is_remembered_and_emits_nothing() -> None:
    state = CounterDeltas()
    batch = apply(state, [(A, 10.0), (B, 3.0)])
    assert batch.deltas == []
    assert batch.stats.first_sightings == 2
    assert state.export_state() == {A.key: 10.0, B.key: 3.0}


def test_increase_is_current_minus_previous() -> None:
    state = CounterDeltas()
    apply(state, [(A, 10.0)])
    assert deltas_of(state, (A, 17.0)) == {A.key: 7.0}
    assert deltas_of(state, (A, 17.0)) == {A.key: 0.0}


def test_reset_in_the_middle_of_a_run_counts_from_zero() -> None:
    state = CounterDeltas()
    emitted = [apply(state, [(A, value)]) for value in (10.0, 15.0, 3.0, 8.0)]
    assert [b.deltas[0][1] for b in emitted[1:]] == [5.0, 3.0, 5.0]
    assert [b.stats.resets for b in emitted] == [0, 0, 1, 0]


def test_reset_to_zero_emits_zero_and_counts_the_reset() -> None:
    state = CounterDeltas({A.key: 40.0})
    batch = apply(state, [(A, 0.0)])
    assert batch.deltas == [(A, 0.0)]
    assert batch.stats.resets == 1


def test_series_that_vanishes_is_forgotten_and_returns_as_a_first_sighting() -> None:
    state = CounterDeltas()
    apply(state, [(A, 10.0), (B, 1.0)])
    apply(state, [(B, 2.0)])
    assert A.key not in state.export_state()
    batch = apply(state, [(A, 50.0), (B, 4.0)])
    assert {s.key: d for s, d in batch.deltas} == {B.key: 2.0}
    assert batch.stats.first_sightings == 1
    assert deltas_of(state, (A, 65.0), (B, 4.0)) == {A.key: 15.0, B.key: 0.0}


def test_non_integer_counters_are_exact_float_differences() -> None:
    state = CounterDeltas()
    apply(state, [(A, 0.5)])
    assert deltas_of(state, (A, 2.25)) == {A.key: 1.75}
    assert deltas_of(state, (A, 1.125)) == {A.key: 1.125}  # reset


@pytest.mark.parametrize("bad", [math.nan, -1.0, math.inf, -math.inf])
def test_unusable_sample_is_absent_from_the_scrape(bad: float) -> None:
    state = CounterDeltas()
    apply(state, [(A, 10.0), (B, 1.0)])
    batch = apply(state, [(A, bad), (B, 2.0)])
    assert batch.stats.invalid_values == 1
    assert {s.key: d for s, d in batch.deltas} == {B.key: 1.0}
    # Absent means forgotten: the next good value is a first sighting, not a delta against 10.
    assert A.key not in state.export_state()
    assert deltas_of(state, (A, 12.0), (B, 2.0)) == {B.key: 0.0}


def test_duplicate_series_in_one_scrape_keeps_the_first() -> None:
    state = CounterDeltas()
    apply(state, [(A, 10.0)])
    batch = apply(state, [(A, 12.0), (A, 99.0)])
    assert batch.deltas == [(A, 2.0)]
    assert batch.stats.duplicate_series == 1
    assert state.export_state() == {A.key: 12.0}


def test_compute_changes_no_state_until_commit() -> None:
    state = CounterDeltas()
    apply(state, [(A, 10.0)])
    batch = state.compute([(A, 30.0)])
    assert batch.deltas == [(A, 20.0)]
    assert state.export_state() == {A.key: 10.0}
    # Dropping the batch (a failed cycle) means the next scrape covers the whole gap.
    assert deltas_of(state, (A, 45.0)) == {A.key: 35.0}
    later = state.compute([(A, 50.0)])
    state.commit(later)
    assert state.export_state() == {A.key: 50.0}


def test_state_round_trip_and_bad_entries_dropped() -> None:
    state = CounterDeltas()
    apply(state, [(A, 10.0), (B, 2.5)])
    restored = CounterDeltas.from_state(state.export_state())
    assert deltas_of(restored, (A, 11.0), (B, 3.0)) == {A.key: 1.0, B.key: 0.5}
    odd = CounterDeltas.from_state({A.key: "7", B.key: -1, "c": True, "d": math.nan, "e": 3})
    assert odd.export_state() == {"e": 3.0}


# --- property: emitted deltas add up to the true increments ------------------------------

@st.composite
def counter_histories(draw: st.DrawFn) -> tuple[list[list[float | None]], float]:
    """Values of several counters over several scrapes (None = absent), and the true increment
    that a delta stage must see: increments between consecutive scrapes where the series is present
    in both, a reset counting from zero (observable: the post-reset value is below the previous one)."""
    scrapes = draw(st.integers(min_value=2, max_value=12))
    n_series = draw(st.integers(min_value=1, max_value=5))
    histories: list[list[float | None]] = []
    expected = 0
    for _ in range(n_series):
        values: list[float | None] = []
        current: int | None = None
        for _ in range(scrapes):
            action = draw(st.sampled_from(["grow", "grow", "grow", "reset", "absent"]))
            if action == "absent":
                current = None
                values.append(None)
                continue
            if current is None:
                current = draw(st.integers(min_value=0, max_value=10**6))
            elif action == "reset" and current > 0:
                current = draw(st.integers(min_value=0, max_value=current - 1))
                expected += current
            else:
                step = draw(st.integers(min_value=0, max_value=10**4))
                current += step
                expected += step
            values.append(float(current))
        histories.append(values)
    return histories, float(expected)


@settings(max_examples=200, deadline=None)
@given(counter_histories())
def test_summed_deltas_equal_true_increments(history: tuple[list[list[float | None]], float]) -> None:
    histories, expected = history
    keys = [series("response_total", pod=f"p{i}") for i in range(len(histories))]
    state = CounterDeltas()
    total = 0.0
    for step in range(len(histories[0])):
        samples = [(keys[i], values[step]) for i, values in enumerate(histories) if values[step] is not None]
        batch = apply(state, samples)  # type: ignore[arg-type]
        assert all(delta >= 0 for _, delta in batch.deltas)
        total += sum(delta for _, delta in batch.deltas)
    assert total == expected
