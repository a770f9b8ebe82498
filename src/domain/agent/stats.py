"""What collection saw and did: the one set of figures every stage of a cycle counts into.

The parser fills the scrape's figures, the classification and the delta stage
theirs, and the run loop sums each cycle's into a running total with
:meth:`CollectStats.add` for the agent's /metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class CollectStats:
    """Figures of one scrape and its cycle, or (summed with :meth:`add`) of every cycle so far.

    Per-reason counts are of series; ``filtered`` holds the deliberate filters of
    §2.2, ``skipped`` the series that cannot be used. A running total is written
    by the run loop's thread and read by the HTTP server's: :meth:`add` replaces
    each field whole, so a reader sees either a field's old or its new value.
    """

    # the exposition, as read by the parser
    bytes_read: int = 0
    lines: int = 0
    samples: int = 0
    unrelated_lines: int = 0
    malformed_lines: int = 0
    # classification of the scrape's series
    series_kept: int = 0
    filtered: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    # the delta stage
    invalid_values: int = 0  # NaN, negative or infinite samples, treated as absent
    duplicate_series: int = 0
    first_sightings: int = 0
    resets: int = 0
    deltas_emitted: int = 0
    # facts of one cycle, which a running total does not sum
    routes: int = 0
    inferred_routes: int = 0
    routes_error: str | None = None
    no_data_reason: str | None = None  # why a good scrape gave no snapshot

    @property
    def series_filtered(self) -> int:
        return sum(self.filtered.values())

    @property
    def series_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def series_dropped(self) -> int:
        return self.series_filtered + self.series_skipped

    def add(self, other: CollectStats) -> None:
        """Add another cycle's counts to these (the per-cycle facts are left as they are)."""
        self.bytes_read += other.bytes_read
        self.lines += other.lines
        self.samples += other.samples
        self.unrelated_lines += other.unrelated_lines
        self.malformed_lines += other.malformed_lines
        self.series_kept += other.series_kept
        self.filtered = _summed(self.filtered, other.filtered)
        self.skipped = _summed(self.skipped, other.skipped)
        self.invalid_values += other.invalid_values
        self.duplicate_series += other.duplicate_series
        self.first_sightings += other.first_sightings
        self.resets += other.resets
        self.deltas_emitted += other.deltas_emitted


def _summed(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    # A new dict, not an update in place: another thread (the /metrics server) may be
    # iterating the old one; each field is replaced whole.
    summed = dict(total)
    for reason, count in more.items():
        summed[reason] = summed.get(reason, 0) + count
    return summed
