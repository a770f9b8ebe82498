"""The rules that refuse a scrape which arrived whole: their thresholds, exactly."""

from __future__ import annotations

import pytest

from domain.agent.scrape_checks import (
    EMPTY_AFTER_SERIES,
    EMPTY_REFUSALS_IN_A_ROW,
    MALFORMED_MIN_LINES,
    NOT_TEXT_MIN_INVALID_BYTES,
    ScrapeFailure,
    empty_after_many,
    mostly_malformed,
    not_text,
    too_many_series,
)
from domain.agent.stats import CollectStats


def test_the_series_limit_is_inclusive_and_named_in_the_message() -> None:
    assert too_many_series(2_000_000, 2_000_000) is None
    refusal = too_many_series(2_000_001, 2_000_000)
    assert refusal is not None and refusal.reason is ScrapeFailure.TOO_MANY_SERIES
    assert "more than 2,000,000 series" in refusal.message and "--max-series" in refusal.message


@pytest.mark.parametrize(
    ("invalid", "size", "refused"),
    [
        (NOT_TEXT_MIN_INVALID_BYTES - 1, 100, False),  # too few to judge, however dense
        (NOT_TEXT_MIN_INVALID_BYTES, 100, True),
        (100, 10_000, False),  # 1 %: a few Latin-1 label values in a real exposition
        (101, 10_000, True),
    ],
)
def test_invalid_utf8_needs_a_count_and_a_share(invalid: int, size: int, refused: bool) -> None:
    refusal = not_text(invalid, size)
    assert (refusal is not None) is refused
    if refusal is not None:
        assert refusal.reason is ScrapeFailure.NOT_TEXT


@pytest.mark.parametrize(
    ("samples", "unrelated", "malformed", "refused"),
    [
        (0, 0, MALFORMED_MIN_LINES - 1, False),  # a handful of bad lines never fails a scrape
        (0, 0, MALFORMED_MIN_LINES, True),
        (50, 0, 50, False),  # exactly half is not more than half
        (49, 0, 51, True),
        (10, 1000, 200, False),  # unrelated lines are lines of the exposition too
    ],
)
def test_mostly_malformed_is_more_than_half_of_the_sample_lines(
    samples: int, unrelated: int, malformed: int, refused: bool
) -> None:
    stats = CollectStats(samples=samples, unrelated_lines=unrelated, malformed_lines=malformed)
    assert (mostly_malformed(stats) is not None) is refused


def test_empty_is_refused_only_after_many_and_only_a_few_times_in_a_row() -> None:
    assert empty_after_many(0, EMPTY_AFTER_SERIES - 1, 0) is None
    assert empty_after_many(1, 10_000, 0) is None
    for refused_so_far in range(EMPTY_REFUSALS_IN_A_ROW):
        refusal = empty_after_many(0, EMPTY_AFTER_SERIES, refused_so_far)
        assert refusal is not None and refusal.reason is ScrapeFailure.EMPTY
    assert empty_after_many(0, EMPTY_AFTER_SERIES, EMPTY_REFUSALS_IN_A_ROW) is None
