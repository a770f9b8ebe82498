"""Signed sums of row groups, cheap to merge: the working data of the stitched reader.

Per key, the summed columns are a list and the merged cumulative buckets a
``{le: count}`` map, summed with ``domain.histogram.add_buckets`` (a bound
absent from every row stays absent: it would change the quantile
interpolation). Sums of a cached run of hours and of cached hour prefixes are
merged with a sign, +1 to add a part and -1 to take the rows outside the
range away.

Once a ``RowSums`` has been handed to the cache it is never changed in place:
``merge`` and ``add_buckets`` replace a key's list or map instead of editing
it, so ``copy`` can be shallow.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from operator import add, sub
from typing import Any

from pydantic_core import from_json

from domain.histogram import add_buckets, merge_buckets

_NO_BUCKETS: dict[str, float] = {}


def _signed(buckets: dict[str, float], sign: int) -> dict[str, float]:
    return buckets if sign > 0 else {le: -count for le, count in buckets.items()}


class RowSums:
    def __init__(self, width: int) -> None:
        self.width = width
        self.sums: dict[Hashable, list[float]] = {}
        self.rows: dict[Hashable, int] = {}
        self.buckets: dict[Hashable, dict[str, float]] = {}

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
        self._add_buckets(key, from_json(text), sign)

    def add_bucket_texts(self, key: Hashable, texts: str, sign: int) -> None:
        """Add many rows' bucket JSON at once, given comma-joined (as SQL's string aggregation gives them).

        One JSON parse of the list and one merge per key: a week of hourly rows is
        a hundred thousand bucket maps, which decoded and added one by one took seconds.
        """
        if texts:
            self._add_buckets(key, merge_buckets(from_json("[" + texts + "]")), sign)
    def _add_buckets(self, key: Hashable, buckets: dict[str, float], sign: int) -> None:
        mine = self.buckets.get(key)
        if mine is None:
            self.buckets[key] = _signed(buckets, sign)
        elif mine.keys() == buckets.keys():
            # The usual case, the same bounds on both sides: one C-level pass instead of a loop per bound.
            counts = map(add if sign > 0 else sub, mine.values(), map(buckets.__getitem__, mine))
            self.buckets[key] = dict(zip(mine, counts, strict=True))
        else:
            merged = dict(mine)
            add_buckets(merged, buckets, sign)
            self.buckets[key] = merged

    def merge(self, other: RowSums, sign: int) -> None:
        for key, values in other.sums.items():
            mine = self.sums.get(key)
            if mine is None:
                self.sums[key] = values if sign > 0 else [-v for v in values]
            else:
                self.sums[key] = list(map(add if sign > 0 else sub, mine, values))
            self.rows[key] = self.rows.get(key, 0) + sign * other.rows.get(key, 0)
        for key, buckets in other.buckets.items():
            self._add_buckets(key, buckets, sign)

    def copy(self) -> RowSums:
        twin = RowSums(self.width)
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
        return dict(self.buckets.get(key, _NO_BUCKETS))
