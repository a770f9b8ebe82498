"""Signed sums of row groups, cheap to merge: the working data of the stitched reader.

Per key, the summed columns are a list and the merged cumulative buckets a
vector indexed by a shared table of bucket bounds, plus a bit mask of the
bounds that were present (a bound absent from every row stays absent: it
would change the quantile interpolation). Merging two sums is then a few
C-level ``map`` calls per key, which matters when a range is stitched from a
cached run of hours and cached hour prefixes.

Once a ``RowSums`` has been handed to the cache it is never changed in place:
``merge`` replaces a key's lists instead of editing them, so ``copy`` can be
shallow.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Hashable, Sequence
from operator import add, sub
from typing import Any

_EMPTY: tuple[int, list[float]] = (0, [])


class BoundIndex:
    """Bucket bound text ("300", "+Inf") ↔ position in the bucket vectors; only grows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._positions: dict[str, int] = {}
        self.bounds: list[str] = []
        # Rows of one source repeat the same bounds in the same order: remember where they go.
        self._layouts: dict[tuple[str, ...], tuple[tuple[int, ...], int, int]] = {}

    def layout(self, bounds: tuple[str, ...]) -> tuple[tuple[int, ...], int, int]:
        """Positions of these bounds, their presence mask and the vector width they need."""
        found = self._layouts.get(bounds)
        if found is None:
            positions = tuple(self.position(bound) for bound in bounds)
            mask = 0
            for at in positions:
                mask |= 1 << at
            found = (positions, mask, max(positions, default=-1) + 1)
            if len(self._layouts) < 4096:  # agents may send any bounds: keep the memo bounded
                self._layouts[bounds] = found
        return found

    def position(self, bound: str) -> int:
        found = self._positions.get(bound)
        if found is not None:
            return found
        with self._lock:
            found = self._positions.get(bound)
            if found is None:
                found = self._positions[bound] = len(self.bounds)
                self.bounds.append(bound)
            return found


def _combine(mine: list[float], other: list[float], sign: int) -> list[float]:
    if len(mine) < len(other):
        mine = mine + [0.0] * (len(other) - len(mine))
    elif len(other) < len(mine):
        other = other + [0.0] * (len(mine) - len(other))
    return list(map(add if sign > 0 else sub, mine, other))


class RowSums:
    def __init__(self, width: int, bounds: BoundIndex) -> None:
        self.width = width
        self.bounds = bounds
        self.sums: dict[Hashable, list[float]] = {}
        self.rows: dict[Hashable, int] = {}
        self.buckets: dict[Hashable, tuple[int, list[float]]] = {}

    def add_sums(self, key: Hashable, values: Sequence[Any], rows: Any, sign: int) -> None:
        """Add one group's (or one row's) summed columns; ``rows`` raw rows stand behind it."""
        numbers = [0.0 if v is None else float(v) for v in values]
        mine = self.sums.get(key)
        if mine is None:
            self.sums[key] = numbers if sign > 0 else [-v for v in numbers]
        else:
            self.sums[key] = list(map(add if sign > 0 else sub, mine, numbers))
        self.rows[key] = self.rows.get(key, 0) + sign * int(rows or 0)

    def add_buckets(self, key: Hashable, text: str | None, sign: int) -> None:
        """Add one row's bucket JSON ``{"le": cumulative count}``."""
        if not text or text == "{}":
            return
        parsed: dict[str, float] = json.loads(text)
        positions, row_mask, width = self.bounds.layout(tuple(parsed))
        mask, values = self.buckets.get(key, _EMPTY)
        values = list(values)
        if len(values) < width:
            values.extend([0.0] * (width - len(values)))
        if sign > 0:
            for at, count in zip(positions, parsed.values(), strict=True):
                values[at] += count
        else:
            for at, count in zip(positions, parsed.values(), strict=True):
                values[at] -= count
        self.buckets[key] = (mask | row_mask, values)

    def merge(self, other: RowSums, sign: int) -> None:
        for key, values in other.sums.items():
            mine = self.sums.get(key)
            if mine is None:
                self.sums[key] = values if sign > 0 else [-v for v in values]
            else:
                self.sums[key] = list(map(add if sign > 0 else sub, mine, values))
            self.rows[key] = self.rows.get(key, 0) + sign * other.rows.get(key, 0)
        for key, (mask, values) in other.buckets.items():
            found = self.buckets.get(key)
            if found is None:
                self.buckets[key] = (mask, values if sign > 0 else [-v for v in values])
            else:
                self.buckets[key] = (found[0] | mask, _combine(found[1], values, sign))

    def copy(self) -> RowSums:
        twin = RowSums(self.width, self.bounds)
        twin.sums = dict(self.sums)
        twin.rows = dict(self.rows)
        twin.buckets = dict(self.buckets)
        return twin

    def present(self) -> list[Hashable]:
        """Keys with raw rows behind them.

        An hour's rollup minus the rows outside the range may leave a key that no
        row inside the range had: it is not reported.
        """
        return [key for key, rows in self.rows.items() if rows > 0]

    def bucket_dict(self, key: Hashable) -> dict[str, float]:
        mask, values = self.buckets.get(key, _EMPTY)
        bounds = self.bounds.bounds
        return {bounds[i]: values[i] for i in range(len(values)) if mask >> i & 1}
