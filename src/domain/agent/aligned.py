"""The per-series work of a cycle done by position, for scrapes that repeat the previous order.

Exporters write their series in a stable order, and the parser says when a
scrape holds exactly the series of the previous one at the same positions (the
same ``Scrape.layout``). Everything that depends only on the series — its role,
whether it is kept, the classification figures, the ingress backends — is then
the same as last time, and the previous values can be kept in a list aligned
with the positions. One cycle is a single pass over the values: no hashing of
series keys, no dict of ~300,000 entries rebuilt.

The rules are those of ``domain.agent.deltas`` (SPEC §2.3), applied by
position; a NaN previous value stands for "no previous value" (first sighting,
or a sample that was not a usable counter value last time). Deltas are summed
per role slot in exposition order, exactly as the general path sums them, so
both give the same floating-point totals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from domain.agent.roles import Backend
from domain.agent.stats import CollectStats
from domain.series import Series

ABSENT = math.nan


@dataclass(frozen=True, slots=True)
class Layout:
    """What every scrape of one ``Scrape.layout`` classifies to.

    ``positions`` are the sample positions that go to the delta stage, ``slots``
    their role slots and ``keys`` their series keys, all aligned.
    """

    token: object
    positions: list[int]
    slots: list[int]
    keys: tuple[str, ...]
    series_kept: int
    filtered: dict[str, int]
    skipped: dict[str, int]
    backends: frozenset[Backend]

    def count_into(self, stats: CollectStats) -> None:
        """The classification figures of a scrape of this layout."""
        stats.series_kept = self.series_kept
        stats.filtered = dict(self.filtered)
        stats.skipped = dict(self.skipped)


@dataclass(slots=True)
class AlignedBatch:
    """One scrape's outcome by position, not yet committed: sums per role slot and the new values."""

    layout: Layout
    per_slot: dict[int, float] = field(default_factory=dict)
    values: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CounterColumns:
    """The previous values as two aligned columns; ``ABSENT`` (NaN) where a series has none.

    ``keys`` stays the same object as long as the layout does, so a writer can
    tell that only ``values`` changed.
    """

    keys: tuple[str, ...]
    values: Sequence[float]

    def as_dict(self) -> dict[str, float]:
        return {key: value for key, value in zip(self.keys, self.values, strict=True) if value == value}


def aligned_values(layout: Layout, values: Mapping[str, float]) -> list[float]:
    """Values by key laid out along the layout's kept positions."""
    get = values.get
    return [get(key, ABSENT) for key in layout.keys]


def compute_aligned(
    layout: Layout, previous: list[float], samples: Sequence[tuple[Series, float]], stats: CollectStats
) -> AlignedBatch:
    """The positional twin of ``CounterDeltas.compute`` plus the per-slot sum of the collect use case."""
    batch = AlignedBatch(layout)
    per_slot = batch.per_slot
    slot_total = per_slot.get
    values = batch.values
    append = values.append
    invalid = first_sightings = resets = emitted = 0
    inf = math.inf
    for position, slot, before in zip(layout.positions, layout.slots, previous, strict=True):
        value = samples[position][1]
        # `not value >= 0` is also true for NaN.
        if not value >= 0.0 or value == inf:
            invalid += 1
            append(ABSENT)
            continue
        append(value)
        if before != before:  # NaN: no previous value
            first_sightings += 1
            continue
        if value >= before:
            delta = value - before
        else:
            resets += 1
            delta = value
        emitted += 1
        per_slot[slot] = slot_total(slot, 0.0) + delta
    stats.invalid_values += invalid
    stats.first_sightings += first_sightings
    stats.resets += resets
    stats.deltas_emitted += emitted
    return batch
