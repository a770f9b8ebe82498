"""Streaming parser of Prometheus text 0.0.4 / OpenMetrics text expositions (SPEC §2.1).

It keeps only the sample families of SPEC §1 (``domain.families.SAMPLE_NAMES``
behind the configured prefix) and is built for scrapes of hundreds of MB:

- the body is consumed chunk by chunk; only the current chunk and the
  unfinished line at its end are held;
- a line is first tested with one ``str.startswith(tuple)`` call; every line of
  an unrelated family stops there, before any label is looked at;
- the series text of a kept line (name and label block as written, prefix
  removed) is matched against what the previous scrape held. Exporters write
  their series in a stable order, so the line is first compared in place with
  the series expected next (no copy, no hashing); failing that, it is looked
  up by its text; only a series never seen before runs the full grammar of
  ``adapters.exposition.line``.

Why a match is safe: a remembered series text is a complete, valid name and
label block, so a line that starts with it (after the prefix) has exactly that
series text, and the rest of the line is the value part.

The memory holds the series of the latest complete scrape and nothing else, so
it follows the live series. A scrape that fails half-way (the chunk iterator
raises) leaves it as it was, and so does a body refused by the checks of
``domain.agent.scrape_checks`` (raised as ``ScrapeError`` with their reason):
not text, mostly malformed, empty where the previous scrape had many series,
or more than ``max_series`` samples of the kept families, a limit checked after
every chunk, so a body of a million new series stops there instead of being
held whole. A series' canonical key is, whenever the exporter
wrote its labels sorted, the very string the line was matched by, and its
labels are read back from that key on demand (``KeyLabels``): one copy of the
text per series.

What a line yields:

- ``Series.key``: family (name without prefix) and labels sorted by name,
  values escaped, ``response_total{a="1",b="x\\"y"}``; a series without labels
  is keyed by its bare family name;
- the value as a float (``NaN`` and infinities included);
- malformed relevant lines (and overlong lines, and anything after ``# EOF``)
  are counted in ``malformed_lines``; sample lines of other families in
  ``unrelated_lines``; comments and blank lines in neither. Quoted UTF-8 metric
  names (``{"otel_response_total", a="1"}``) are read like plain ones.

Duplicate series within one exposition are all passed on in exposition order:
the delta stage keeps the first one, as Prometheus does, and counts the rest.
Sample timestamps are checked but not used: every sample is taken at the scrape
time. Content after ``# EOF`` is not read and counts as malformed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from adapters.exposition.canonical import series_key
from adapters.exposition.labels import KeyLabels
from adapters.exposition.line import (
    METRIC_NAME,
    MalformedLine,
    SeriesText,
    canonical_series_end,
    read_series,
    read_value,
)
from adapters.exposition.text import TextDecoder, refuse
from application.agent.gc_pause import cyclic_gc_paused
from domain.agent.scrape_checks import DEFAULT_MAX_SERIES, empty_after_many, mostly_malformed, too_many_series
from domain.agent.stats import CollectStats
from domain.families import SAMPLE_NAMES
from domain.series import Scrape, Series

# A longer line is dropped (and counted as malformed) instead of being buffered:
# one broken or hostile line must not make the agent hold an unbounded body.
MAX_LINE_CHARS = 1 << 20

# First characters that need a closer look: indentation, a quoted metric name, a CR-only line.
_UNUSUAL_START = " \t{\r"


def _match_text(raw: str) -> str:
    """What a remembered series is matched by. A series without labels is remembered with the
    space that must follow its name, so ``response_total`` never matches ``response_total_foo``."""
    return raw if raw.endswith("}") else raw + " "


@dataclass(slots=True)
class _Pass:
    """What one call to ``parse`` accumulates."""

    samples: list[tuple[Series, float]] = field(default_factory=list)
    stats: CollectStats = field(default_factory=CollectStats)
    # This scrape's series in exposition order, the next scrape's reference, kept as runs of the
    # previous order (ranges of positions) and single (match text, series) pairs found elsewhere.
    segments: list[range | tuple[str, Series]] = field(default_factory=list)
    created: dict[str, Series] = field(default_factory=dict)
    # Position in the previous scrape's order of the series expected next, and where the current
    # run of series found in that order began.
    position: int = 0
    run_start: int = 0
    reordered: bool = False
    eof: bool = False
    # The name (and the character after it) of the last unrelated family that shares a kept
    # family's prefix (``otel_response_total_foo{``): its other lines, which come in a block,
    # are rejected by one comparison each.
    unrelated_name: str = "\n"


class ExpositionParser:
    """Turns an exposition into the relevant samples of one scrape.

    One instance lives as long as the agent: it remembers the series of the
    latest scrape, in order, so the next scrape of the same series costs a
    comparison and a ``float()`` per line. Calls to ``parse`` must not overlap
    (the agent scrapes from one loop).
    """

    def __init__(self, prefix: str = "otel_", max_series: int = DEFAULT_MAX_SERIES) -> None:
        if max_series < 1:
            raise ValueError(f"max_series must be at least 1, got {max_series}")
        self._max_series = max_series
        # Empty answers refused since the last accepted scrape (see scrape_checks.empty_after_many).
        self._empty_refusals = 0
        self._prefix = prefix
        self._prefix_len = len(prefix)
        # Exposed name → family (the name without prefix), interned so every Series shares one string.
        self._families: dict[str, str] = {prefix + name: name for name in SAMPLE_NAMES}
        self._starts: tuple[str, ...] = tuple(sorted(self._families))
        self._order: list[str] = []
        self._order_series: list[Series] = []
        # Match text → position in the order; built when a scrape first leaves the order, so a
        # scrape that follows it exactly (the steady state) never pays for it, nor holds it.
        self._index: dict[str, int] | None = None
        # Stands for the remembered order: replaced whenever the order changes, so two scrapes
        # with the same layout object hold the same series at the same positions.
        self._layout = object()

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def max_series(self) -> int:
        return self._max_series

    @property
    def remembered_series(self) -> int:
        return len(self._order)

    def parse(self, chunks: Iterable[bytes], timestamp: float | None = None) -> Scrape:
        """Parse an exposition delivered as byte chunks cut anywhere (even inside a UTF-8 character).

        Exceptions raised by ``chunks`` propagate unchanged and, like the ``ScrapeError`` of a
        refused body, leave the parser's memory untouched.
        """
        taken_at = time.time() if timestamp is None else timestamp
        with cyclic_gc_paused():
            state = self._read(chunks)
            state.stats.samples = len(state.samples)
            self._judge(state.stats)
            self._remember(state)
        return Scrape(timestamp=taken_at, samples=state.samples, stats=state.stats, layout=self._layout)

    def _judge(self, stats: CollectStats) -> None:
        """Refuse a complete body that is not an exposition to take (before it is remembered)."""
        refusal = mostly_malformed(stats)
        if refusal is None:
            refusal = empty_after_many(stats.samples, len(self._order), self._empty_refusals)
            if refusal is not None:
                self._empty_refusals += 1
        if refusal is not None:
            raise refuse(refusal)
        self._empty_refusals = 0

    def _too_many_series(self, state: _Pass) -> None:
        refusal = too_many_series(len(state.samples), self._max_series)
        if refusal is not None:
            raise refuse(refusal)

    def _read(self, chunks: Iterable[bytes]) -> _Pass:
        state = _Pass()
        stats = state.stats
        decoder = TextDecoder()
        max_series = self._max_series
        tail = ""
        skipping = False
        at_start = True
        for chunk in chunks:
            if not chunk:
                continue
            stats.bytes_read += len(chunk)
            text = decoder.decode(chunk)
            if at_start and text:
                at_start = False
                if text.startswith("\ufeff"):
                    text = text[1:]  # a byte order mark is not part of the first line
            if skipping:
                newline = text.find("\n")
                if newline < 0:
                    continue
                text = text[newline + 1 :]
                skipping = False
            lines = text.split("\n")
            if tail:
                # Only the first line needs the previous chunk's end: no copy of the whole chunk.
                lines[0] = tail + lines[0]
            tail = lines.pop()
            if len(tail) > MAX_LINE_CHARS:
                tail = ""
                skipping = True
                stats.lines += 1
                stats.malformed_lines += 1
            if lines:
                self._consume(lines, state)
                if len(state.samples) > max_series:
                    self._too_many_series(state)
        tail += decoder.final()
        if tail and not skipping:
            self._consume([tail], state)
            if len(state.samples) > max_series:
                self._too_many_series(state)
        return state

    def _remember(self, state: _Pass) -> None:
        """The complete scrape becomes the reference; unchanged order keeps the index as it is."""
        if not state.reordered and state.position == len(self._order):
            return
        state.segments.append(range(state.run_start, state.position))
        order: list[str] = []
        order_series: list[Series] = []
        for segment in state.segments:
            if isinstance(segment, range):
                order += self._order[segment.start : segment.stop]
                order_series += self._order_series[segment.start : segment.stop]
            else:
                order.append(segment[0])
                order_series.append(segment[1])
        self._order = order
        self._order_series = order_series
        self._index = None
        self._layout = object()

    def _positions(self) -> dict[str, int]:
        if self._index is None:
            self._index = {text: position for position, text in enumerate(self._order)}
        return self._index

    def _consume(self, lines: list[str], state: _Pass) -> None:
        """The hot loop: every line of the exposition passes here once."""
        stats = state.stats
        stats.lines += len(lines)
        if state.eof:
            stats.malformed_lines += sum(1 for line in lines if line.strip())
            return
        starts = self._starts
        prefix_len = self._prefix_len
        expected = self._order
        expected_series = self._order_series
        expected_count = len(expected)
        position = state.position
        append = state.samples.append
        unrelated = 0
        for line in lines:
            if line.startswith(starts):
                if line.startswith(state.unrelated_name):
                    unrelated += 1
                    continue
                if position < expected_count:
                    text = expected[position]
                    if line.startswith(text, prefix_len):
                        rest = line[prefix_len + len(text) :]
                        try:
                            value: float | None = float(rest)
                        except ValueError:
                            value = read_value(rest)
                        if value is not None:
                            append((expected_series[position], value))
                            position += 1
                            continue
                state.position = position
                unrelated += self._look_up(line, state)
                position = state.position
            elif not line or line[0] == "#":
                if line.startswith("# EOF") and line.rstrip() == "# EOF":
                    self._end_of_file(lines, line, state)
                    break
            elif line[0] in _UNUSUAL_START:
                state.position = position
                unrelated += self._unusual(line, state)
                position = state.position
                if state.eof:
                    self._end_of_file(lines, line, state)
                    break
            else:
                unrelated += 1
        state.position = position
        stats.unrelated_lines += unrelated

    @staticmethod
    def _end_of_file(lines: list[str], marker: str, state: _Pass) -> None:
        state.eof = True
        after = lines[lines.index(marker) + 1 :]
        state.stats.malformed_lines += sum(1 for line in after if line.strip())

    def _look_up(self, line: str, state: _Pass) -> int:
        """A relevant line out of the expected order: find its series by text; returns 1 if unrelated."""
        end = line.rfind("}")
        if end > 0:
            text = line[self._prefix_len : end + 1]
            position = self._positions().get(text)
            if position is not None:
                value = read_value(line[end + 1 :])
                if value is None:
                    state.stats.malformed_lines += 1
                    return 0
                self._take(state, text, self._order_series[position], value, resume_at=position + 1)
                return 0
        return self._slow(line, state)

    def _unusual(self, line: str, state: _Pass) -> int:
        """Lines starting with whitespace, a quoted metric name or a lone CR; returns 1 if unrelated."""
        text = line.strip()
        if not text:
            return 0
        if text[0] == "#":
            state.eof = text == "# EOF"
            return 0
        if text[0] == "{" or text.startswith(self._starts):
            return self._slow(text, state)
        return 1

    def _slow(self, text: str, state: _Pass) -> int:
        """Full grammar for a line the order and the index could not settle; returns 1 if unrelated."""
        try:
            if text[0] == "{":
                parsed = read_series(text)
                family = self._families.get(parsed.name or "")
                if family is None:
                    return 1
                raw_start, end = 0, parsed.end
            else:
                # The name decides before any label is read: otel_response_total_foo is not ours.
                brace = text.find("{")
                family = self._families.get(text[:brace]) if brace > 0 else None
                end = canonical_series_end(text, brace) if family is not None else 0
                if family is None:
                    name = METRIC_NAME.match(text)
                    family = self._families.get(name.group()) if name else None
                    if family is None:
                        if name is not None and name.end() < len(text):
                            state.unrelated_name = text[: name.end() + 1]
                        return 1
                parsed = None
                if not end:
                    parsed = read_series(text)
                    end = parsed.end
                raw_start = self._prefix_len
            raw = text[raw_start:end]
            value = read_value(text[end:])
            if value is None:
                raise MalformedLine("value is not a number")
            match = _match_text(raw)
            position = self._positions().get(match)
            if position is not None:
                series = self._order_series[position]
                resume_at = position + 1
            else:
                series = state.created.get(match) or self._new_series(raw, family, parsed)
                state.created[match] = series
                resume_at = state.position
        except MalformedLine:
            state.stats.malformed_lines += 1
            return 0
        self._take(state, match, series, value, resume_at)
        return 0

    @staticmethod
    def _take(state: _Pass, text: str, series: Series, value: float, resume_at: int) -> None:
        """A sample found off the expected order (or new): the remembered order must be rebuilt.

        The run of series found in order so far is closed; matching resumes at ``resume_at``.
        """
        state.reordered = True
        if state.position > state.run_start:
            state.segments.append(range(state.run_start, state.position))
        # Keep the string the series already holds as its key rather than this line's copy.
        key = series.key
        state.segments.append((key if key == text else text, series))
        state.samples.append((series, value))
        state.position = state.run_start = resume_at

    def _new_series(self, raw: str, family: str, parsed: SeriesText | None) -> Series:
        """``parsed`` is None when ``raw`` is known to be canonical already."""
        if not raw.isascii():
            try:
                raw.encode("utf-8")
            except UnicodeEncodeError:
                raise MalformedLine("not valid UTF-8") from None
        # Canonical text doubles as the identity: one string for the remembered text and the key.
        key = raw if parsed is None else series_key(family, parsed.labels)
        if key == raw:
            key = raw
        return Series(key=key, family=family, labels=KeyLabels(key))
