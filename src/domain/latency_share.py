"""How many observations of a cumulative histogram took at most a threshold (SPEC §10).

Exact when the threshold is a bucket bound: the cumulative count at that
``le``. Otherwise the count is interpolated linearly inside the bucket that
holds the threshold (the first bucket starts at 0), as Prometheus'
``histogram_fraction`` does for classic histograms, and flagged estimated.
Above the highest finite bound everything in ``+Inf`` counts as slow. An
interpolation inside an empty bucket changes nothing and is not an estimate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.contract import bucket_bound


@dataclass(frozen=True, slots=True)
class ThresholdCount:
    within: float  # observations <= threshold
    total: float  # all observations
    estimated: bool = False

    def __add__(self, other: ThresholdCount) -> ThresholdCount:
        return ThresholdCount(
            self.within + other.within, self.total + other.total, self.estimated or other.estimated
        )


def _cumulative(buckets: Mapping[str, float]) -> list[tuple[float, float]]:
    """Sorted ``(bound, count)`` with equal bounds summed and counts made non-decreasing."""
    pairs: list[tuple[float, float]] = []
    for bound, count in sorted((bucket_bound(key), float(count)) for key, count in buckets.items()):
        if pairs and pairs[-1][0] == bound:
            pairs[-1] = (bound, pairs[-1][1] + count)
        else:
            pairs.append((bound, count))
    highest = 0.0
    for index, (bound, count) in enumerate(pairs):
        highest = max(highest, count)
        pairs[index] = (bound, highest)
    return pairs


def count_within(buckets: Mapping[str, float], threshold: float) -> ThresholdCount:
    """Observations of one histogram (one set of bounds) at or under ``threshold``."""
    pairs = _cumulative(buckets)
    if not pairs:
        return ThresholdCount(0.0, 0.0)
    total = pairs[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in pairs:
        if bound == threshold:
            return ThresholdCount(count, total)
        if bound > threshold:
            if math.isinf(bound):
                # Above the highest finite bound: what lies beyond it is slow.
                return ThresholdCount(lower_count, total, estimated=count > lower_count)
            if count == lower_count:
                return ThresholdCount(lower_count, total)
            share = (threshold - lower_bound) / (bound - lower_bound)
            return ThresholdCount(lower_count + (count - lower_count) * share, total, estimated=True)
        lower_bound, lower_count = max(bound, 0.0), count
    return ThresholdCount(lower_count, total)


def count_within_all(histograms: Iterable[Mapping[str, float]], threshold: float) -> ThresholdCount:
    """The sum over histograms that may have different bounds (backends of one domain).

    Each is counted against its own bounds before summing: a bucket-by-bucket
    merge of histograms with different bounds would mix cumulative counts of
    different populations.
    """
    result = ThresholdCount(0.0, 0.0)
    for buckets in histograms:
        result = result + count_within(buckets, threshold)
    return result
