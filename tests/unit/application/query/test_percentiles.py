"""``histogram.quantiles`` (one sort for p50/p95/p99) must equal ``histogram.quantile`` called per q."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from domain import histogram

BOUNDS = ["0.5", "1", "5", "10", "50", "100", "1000", "+Inf"]
QS = (0.0, 0.5, 0.95, 0.99, 1.0, -0.1, 1.5, math.nan)


@given(
    st.dictionaries(st.sampled_from(BOUNDS), st.integers(min_value=0, max_value=1000), max_size=len(BOUNDS)),
)
def test_quantiles_match_quantile(buckets: dict[str, int]) -> None:
    together = histogram.quantiles(QS, buckets)
    one_by_one = [histogram.quantile(q, buckets) for q in QS]
    assert [repr(v) for v in together] == [repr(v) for v in one_by_one]


def test_quantiles_of_a_known_histogram() -> None:
    buckets = {"10": 150, "100": 190, "+Inf": 200}
    p50, p95, p99 = histogram.quantiles((0.5, 0.95, 0.99), buckets)
    assert p50 is not None and math.isclose(p50, 10 * 100 / 150)
    assert (p95, p99) == (100.0, 100.0)
    assert histogram.quantiles((0.5,), {}) == [None]
    assert histogram.quantiles((), buckets) == []
