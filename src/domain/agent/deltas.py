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

from domain.series import Series


@dataclass(slots=True)
class DeltaBatch:
    """The outcome of one scrape, not yet committed to the state."""

    deltas: list[tuple[Series, float]] = field(default_factory=list)
    first_sightings: int = 0
    resets: int = 0
    invalid_values: int = 0
    duplicates: int = 0
    values: dict[str, float] = field(default_factory=dict)

    @property
    def deltas_emitted(self) -> int:
        return len(self.deltas)


class CounterDeltas:
    """The previous value of every live series, and the rule that turns values into increments."""

    def __init__(self, values: Mapping[str, float] | None = None) -> None:
        self._values: dict[str, float] = dict(values or {})

    def __len__(self) -> int:
        return len(self._values)

    def compute(self, samples: Iterable[tuple[Series, float]]) -> DeltaBatch:
        """Deltas of one scrape against the current state, which stays unchanged until :meth:`commit`."""
        previous = self._values
        batch = DeltaBatch()
        current = batch.values
        emitted = batch.deltas
        for series, value in samples:
            # `not value >= 0` is also true for NaN.
            if not value >= 0.0 or value == math.inf:
                batch.invalid_values += 1
                continue
            key = series.key
            if key in current:
                # The same series twice in one exposition: the first one counts, as in Prometheus.
                batch.duplicates += 1
                continue
            current[key] = value
            before = previous.get(key)
            if before is None:
                batch.first_sightings += 1
                continue
            if value >= before:
                emitted.append((series, value - before))
            else:
                batch.resets += 1
                emitted.append((series, value))
        return batch

    def commit(self, batch: DeltaBatch) -> None:
        """Make the batch's values the state: series missing from it are forgotten."""
        self._values = batch.values

    def apply(self, samples: Iterable[tuple[Series, float]]) -> DeltaBatch:
        """:meth:`compute` then :meth:`commit`."""
        batch = self.compute(samples)
        self.commit(batch)
        return batch

    def export_state(self) -> dict[str, float]:
        return dict(self._values)

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
