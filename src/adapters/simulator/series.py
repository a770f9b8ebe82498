"""Simulated counters and histograms that restart the way real processes do.

Ground truth stays exact only if every increment the model makes is one an
agent following SPEC §2.3 can recover. Two rules make that so:

- A series counts nothing until it has been shown in a scrape the client
  received (``known``): an agent emits nothing on a first sighting, so
  increments before it would be invisible. New series therefore appear at 0.
- After a restart the series must be *strictly* below the value the client
  last saw (``cap``) until the client has seen it again; otherwise
  ``current >= previous`` and the agent would take the post-restart value for a
  plain increment. Increments that would break this are refused (the request
  never happened), so a post-restart value always counts exactly the
  increments since the restart.
"""

from __future__ import annotations

from bisect import bisect_left

Labels = tuple[tuple[str, str], ...]


class CounterSeries:
    __slots__ = ("cap", "known", "labels", "value")

    def __init__(self, labels: Labels, value: int = 0) -> None:
        self.labels = labels
        self.value = value
        self.cap: int | None = None
        self.known = False

    def accepts(self, amount: int) -> bool:
        if not self.known:
            return False
        return self.cap is None or self.value + amount < self.cap

    def add(self, amount: int) -> None:
        self.value += amount

    def restart(self) -> None:
        self.cap = self.value
        self.value = 0

    def seen(self) -> None:
        self.known = True
        self.cap = None


class HistogramSeries:
    """A classic histogram: per-bucket counts, rendered cumulative, plus ``_sum`` and ``_count``."""

    __slots__ = ("bounds", "cap", "counts", "known", "labels", "total")

    def __init__(self, labels: Labels, bounds: tuple[float, ...]) -> None:
        self.labels = labels
        self.bounds = bounds  # ascending, the last one is +Inf
        self.counts = [0] * len(bounds)
        self.total = 0.0
        self.cap: tuple[list[int], float] | None = None
        self.known = False

    def bucket_of(self, value: float) -> int:
        # Buckets are "<= le": the first bound that is not below the value.
        return bisect_left(self.bounds, value)

    def cumulative(self) -> list[int]:
        out, running = [], 0
        for count in self.counts:
            running += count
            out.append(running)
        return out

    @property
    def count(self) -> int:
        return sum(self.counts)

    def accepts(self, value: float) -> bool:
        if not self.known:
            return False
        if self.cap is None:
            return True
        cap_cumulative, cap_sum = self.cap
        if self.total + value >= cap_sum:
            return False
        cumulative = self.cumulative()
        first = self.bucket_of(value)
        return all(cumulative[i] + 1 < cap_cumulative[i] for i in range(first, len(self.bounds)))

    def observe(self, value: float) -> None:
        self.counts[self.bucket_of(value)] += 1
        self.total += value

    def restart(self) -> None:
        self.cap = (self.cumulative(), self.total)
        self.counts = [0] * len(self.bounds)
        self.total = 0.0

    def seen(self) -> None:
        self.known = True
        self.cap = None
