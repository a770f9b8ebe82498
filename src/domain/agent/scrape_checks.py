"""When a scrape that arrived whole is still not an exposition to take (SPEC §2.1, issue #12).

A failed scrape costs nothing: the counters keep their state and the next
good scrape's deltas cover the gap. A *bad* scrape taken as good costs an
interval: every series it lacks is forgotten, and comes back as a first
sighting whose increments are not counted. So a body that is plainly not
what the exporter normally says is refused rather than read:

- not text: a NUL byte anywhere (never part of a text exposition), or more
  than ``NOT_TEXT_INVALID_SHARE`` of the body's bytes being invalid UTF-8,
  and at least ``NOT_TEXT_MIN_INVALID_BYTES`` of them (one stray Latin-1
  label value does not fail a scrape; a binary body does);
- mostly malformed: at least ``MALFORMED_MIN_LINES`` malformed lines, and
  they are more than half of the sample lines (kept, unrelated and malformed);
- empty: none of the families the agent reads while the previous scrape held
  at least ``EMPTY_AFTER_SERIES`` series. An exporter that really lost its
  series (a cluster scaled to zero) would fail every scrape for ever, so the
  empty answer is taken as the truth once it has been refused
  ``EMPTY_REFUSALS_IN_A_ROW`` times in a row.

The figures are what the parser counts anyway: the checks cost nothing per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.agent.stats import CollectStats

DEFAULT_MAX_SCRAPE_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_SERIES = 2_000_000

NOT_TEXT_MIN_INVALID_BYTES = 64
NOT_TEXT_INVALID_SHARE = 0.01
MALFORMED_MIN_LINES = 10
MALFORMED_SHARE = 0.5
EMPTY_AFTER_SERIES = 100
EMPTY_REFUSALS_IN_A_ROW = 3


class ScrapeFailure(StrEnum):
    """Why a scrape failed: the ``reason`` label of the agent's failure counter."""

    CONNECTION = "connection"  # refused, reset, cut short, bad URL
    HTTP = "http"  # an answer other than 2xx
    TIMEOUT = "timeout"  # the whole scrape took longer than the scrape timeout
    ENCODING = "encoding"  # a Content-Encoding not read (stacked, unknown) or a corrupt stream
    TOO_LARGE = "too_large"  # decompressed body over --max-scrape-bytes
    TOO_MANY_SERIES = "too_many_series"  # over --max-series
    NOT_TEXT = "not_text"  # binary, or a protobuf answer
    MALFORMED = "malformed"  # mostly malformed lines
    EMPTY = "empty"  # no relevant series where the previous scrape had many
    OTHER = "other"  # any other failure of a metrics source


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: ScrapeFailure
    message: str


def too_many_series(count: int, limit: int) -> Refusal | None:
    if count <= limit:
        return None
    return Refusal(
        ScrapeFailure.TOO_MANY_SERIES,
        f"exposition has more than {limit:,} series of the families the agent reads (--max-series); "
        f"stopped reading at {count:,}",
    )


def not_text(invalid_bytes: int, bytes_read: int) -> Refusal | None:
    """``invalid_bytes`` of invalid UTF-8 in a body of ``bytes_read``."""
    if invalid_bytes < NOT_TEXT_MIN_INVALID_BYTES or invalid_bytes <= bytes_read * NOT_TEXT_INVALID_SHARE:
        return None
    return Refusal(
        ScrapeFailure.NOT_TEXT,
        f"body is not text: {invalid_bytes:,} of its {bytes_read:,} bytes are invalid UTF-8",
    )


def has_nul(position: int) -> Refusal:
    return Refusal(ScrapeFailure.NOT_TEXT, f"body is not text: a NUL byte at offset {position:,}")


def mostly_malformed(stats: CollectStats) -> Refusal | None:
    sample_lines = stats.samples + stats.unrelated_lines + stats.malformed_lines
    malformed = stats.malformed_lines
    if malformed < MALFORMED_MIN_LINES or malformed <= sample_lines * MALFORMED_SHARE:
        return None
    return Refusal(
        ScrapeFailure.MALFORMED,
        f"{malformed:,} of {sample_lines:,} sample lines are malformed (more than half): "
        "not taken as an exposition",
    )


def empty_after_many(series: int, previous_series: int, refused_in_a_row: int) -> Refusal | None:
    """``refused_in_a_row``: empty answers refused since the last accepted scrape."""
    if series or previous_series < EMPTY_AFTER_SERIES or refused_in_a_row >= EMPTY_REFUSALS_IN_A_ROW:
        return None
    return Refusal(
        ScrapeFailure.EMPTY,
        f"exposition has none of the families the agent reads, the previous scrape had "
        f"{previous_series:,} series (refusal {refused_in_a_row + 1} of {EMPTY_REFUSALS_IN_A_ROW} in a row; "
        "then an empty answer is taken as real)",
    )
