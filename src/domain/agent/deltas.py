"""Per-series counter deltas (SPEC §2.3), the same counter correction as Prometheus' ``increase()``.

Each series (family + complete label set, ``Series.key``) is its own counter:

- first sighting: remembered, nothing emitted;
- ``current >= previous``: the increment is ``current - previous``;
- ``current < previous``: the process behind it restarted and counted up from
  zero, so the increment is ``current``;
- a series absent from a scrape is forgotten; when it comes back it starts again
  from a first sighting.

NaN, negative and infinite samples are treated as absent from the scrape: they
cannot be counter values, and remembering one would poison the next delta.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from domain.agent.aligned import AlignedBatch, CounterColumns, Layout, aligned_values, compute_aligned
from domain.agent.stats import CollectStats
from domain.series import Series


@dataclass(slots=True)
class DeltaBatch:
    """The outcome of one scrape, not yet committed to the state; its counts are in ``stats``."""

    deltas: list[tuple[Series, float]] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    stats: CollectStats = field(default_factory=CollectStats)


class CounterDeltas:
    """The previous value of every live series, and the rule that turns values into increments.

    The values are held by key, or — once a scrape's layout is known — by position along
    that layout (``domain.agent.aligned``); the by-key view is rebuilt only when a scrape
    leaves the layout.
    """

    def __init__(self, values: Mapping[str, float] | None = None) -> None:
        self._values: dict[str, float] | None = dict(values or {})
        self._layout: Layout | None = None
        self._aligned: list[float] = []

    def __len__(self) -> int:
        return len(self._by_key())

    def _by_key(self) -> dict[str, float]:
        if self._values is None:
            assert self._layout is not None
            self._values = CounterColumns(self._layout.keys, self._aligned).as_dict()
        return self._values

    def aligned_with(self, layout: Layout) -> bool:
        return self._layout is layout

    def compute_aligned(self, samples: list[tuple[Series, float]], stats: CollectStats) -> AlignedBatch:
        """:meth:`compute` for a scrape of the layout the state is aligned with (see aligned_with)."""
        assert self._layout is not None
        return compute_aligned(self._layout, self._aligned, samples, stats)

    def compute(
        self, samples: Iterable[tuple[Series, float]], stats: CollectStats | None = None
    ) -> DeltaBatch:
        """Deltas of one scrape against the current state, which stays unchanged until :meth:`commit`.

        The delta stage's counts are added to ``stats`` (the cycle's), or to a fresh one."""
        previous = self._by_key()
        batch = DeltaBatch() if stats is None else DeltaBatch(stats=stats)
        current = batch.values
        emitted = batch.deltas
        # Local counters: this loop runs for every sample.
        invalid = duplicates = first_sightings = resets = 0
        for series, value in samples:
            # `not value >= 0` is also true for NaN.
            if not value >= 0.0 or value == math.inf:
                invalid += 1
                continue
            key = series.key
            if key in current:
                # The same series twice in one exposition: the first one counts, as in Prometheus.
                duplicates += 1
                continue
            current[key] = value
            before = previous.get(key)
            if before is None:
                first_sightings += 1
                continue
            if value >= before:
                emitted.append((series, value - before))
            else:
                resets += 1
                emitted.append((series, value))
        counted = batch.stats
        counted.invalid_values += invalid
        counted.duplicate_series += duplicates
        counted.first_sightings += first_sightings
        counted.resets += resets
        counted.deltas_emitted += len(emitted)
        return batch

    def commit(self, batch: DeltaBatch | AlignedBatch, layout: Layout | None = None) -> None:
        """Make the batch's values the state: series missing from it are forgotten.

        ``layout``: the layout of the scrape a :class:`DeltaBatch` came from, when the next
        scrapes may be computed by position."""
        if isinstance(batch, AlignedBatch):
            self._layout, self._aligned, self._values = batch.layout, batch.values, None
            return
        self._values = batch.values
        self._layout = layout
        self._aligned = aligned_values(layout, batch.values) if layout is not None else []

    def export_state(self) -> dict[str, float]:
        return dict(self._by_key())

    def columns(self) -> CounterColumns:
        """The state as key and value columns; the keys object is kept while the layout is."""
        if self._layout is not None:
            return CounterColumns(self._layout.keys, self._aligned)
        values = self._by_key()
        return CounterColumns(tuple(values), list(values.values()))

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> CounterDeltas:
        """Rebuild from :meth:`export_state`; entries that are not usable counter values are dropped
        (they simply start again from a first sighting)."""
        values: dict[str, float] = {}
        for key, value in state.items():
            if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, int | float):
                continue
            number = float(value)
            if math.isfinite(number) and number >= 0:
                values[key] = number
        return cls(values)
