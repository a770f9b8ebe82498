"""Streaming parser of Prometheus text 0.0.4 / OpenMetrics text expositions (SPEC §2.1).

It keeps only the sample families of SPEC §1 (``domain.families.SAMPLE_NAMES``
behind the configured prefix) and is built for scrapes of hundreds of MB:

- the body is consumed chunk by chunk; only the current chunk and the
  unfinished line at its end are held;
- a line is first tested with one ``str.startswith(tuple)`` call; every line of
  an unrelated family stops there, before any label is looked at;
- the series text of a kept line (name and label block as written, prefix
  removed) is looked up in a cache built by the previous scrape, so a label set
  that was already seen costs one dict lookup and one ``float()``. Only a miss
  runs the full grammar of ``adapters.exposition.line``.

The cache holds the series of the latest complete scrape and nothing else, so
memory follows the live series. A scrape that fails half-way (the chunk
iterator raises) leaves the cache as it was.

Duplicate series within one exposition are all passed on in exposition order:
the delta stage keeps the first one, as Prometheus does, and counts the rest.
Sample timestamps are checked but not used: every sample is taken at the scrape
time. Content after ``# EOF`` is not read and counts as malformed.
"""

from __future__ import annotations

import codecs
import gc
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from adapters.exposition.canonical import series_key
from adapters.exposition.labels import KeyLabels
from adapters.exposition.line import METRIC_NAME, MalformedLine, SeriesText, read_series, read_value
from domain.families import SAMPLE_NAMES
from domain.series import Scrape, ScrapeStats, Series

# A longer line is dropped (and counted as malformed) instead of being buffered:
# one broken or hostile line must not make the agent hold an unbounded body.
MAX_LINE_CHARS = 1 << 20

# First characters that need a closer look: indentation, a quoted metric name, a CR-only line.
_UNUSUAL_START = " \t{\r"


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Hold off the cycle collector while hundreds of thousands of acyclic objects are created.

    Each generation-0 pass would otherwise promote them and the full passes that
    follow walk every live series: a third of a large scrape's CPU time, for
    objects that can never form a cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(slots=True)
class _Pass:
    """What one call to ``parse`` accumulates."""

    fresh: dict[str, Series] = field(default_factory=dict)
    samples: list[tuple[Series, float]] = field(default_factory=list)
    stats: ScrapeStats = field(default_factory=ScrapeStats)
    eof: bool = False


class ExpositionParser:
    """Turns an exposition into the relevant samples of one scrape.

    One instance lives as long as the agent: its cache maps the raw series text
    of the latest scrape to the ``Series`` built for it.
    """

    def __init__(self, prefix: str = "otel_") -> None:
        self._prefix = prefix
        self._prefix_len = len(prefix)
        # Exposed name → family (the name without prefix), interned so every Series shares one string.
        self._families: dict[str, str] = {prefix + name: name for name in SAMPLE_NAMES}
        self._starts: tuple[str, ...] = tuple(sorted(self._families))
        self._cache: dict[str, Series] = {}

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def cached_series(self) -> int:
        return len(self._cache)

    def parse(self, chunks: Iterable[bytes], timestamp: float | None = None) -> Scrape:
        """Parse an exposition delivered as byte chunks cut anywhere (even inside a UTF-8 character).

        Exceptions raised by ``chunks`` propagate unchanged and leave the cache untouched.
        """
        taken_at = time.time() if timestamp is None else timestamp
        with _cyclic_gc_paused():
            state = self._read(chunks)
        return Scrape(timestamp=taken_at, samples=state.samples, stats=state.stats)

    def _read(self, chunks: Iterable[bytes]) -> _Pass:
        state = _Pass()
        stats = state.stats
        decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        tail = ""
        skipping = False
        for chunk in chunks:
            if not chunk:
                continue
            stats.bytes_read += len(chunk)
            text = decoder.decode(chunk)
            if skipping:
                newline = text.find("\n")
                if newline < 0:
                    continue
                text = text[newline + 1 :]
                skipping = False
            if tail:
                text = tail + text
            lines = text.split("\n")
            tail = lines.pop()
            if len(tail) > MAX_LINE_CHARS:
                tail = ""
                skipping = True
                stats.lines += 1
                stats.malformed_lines += 1
            if lines:
                self._consume(lines, state)
        tail += decoder.decode(b"", final=True)
        if tail and not skipping:
            self._consume([tail], state)
        stats.samples = len(state.samples)
        self._cache = state.fresh
        return state

    def _consume(self, lines: list[str], state: _Pass) -> None:
        """The hot loop: every line of the exposition passes here once."""
        stats = state.stats
        stats.lines += len(lines)
        if state.eof:
            stats.malformed_lines += sum(1 for line in lines if line.strip())
            return
        starts = self._starts
        prefix_len = self._prefix_len
        cache_get = self._cache.get
        fresh = state.fresh
        append = state.samples.append
        unrelated = 0
        for index, line in enumerate(lines):
            if line.startswith(starts):
                end = line.rfind("}")
                if end > 0:
                    raw = line[prefix_len : end + 1]
                    series = cache_get(raw)
                    if series is not None:
                        # A cached series text is a complete, valid label block, so whatever
                        # follows it here is the value part and contains no '}'.
                        rest = line[end + 1 :]
                        try:
                            value = float(rest)
                        except ValueError:
                            value = read_value(rest)
                            if value is None:
                                stats.malformed_lines += 1
                                continue
                        # Keep the key object the series already holds rather than this line's copy.
                        key = series.key
                        fresh[key if key == raw else raw] = series
                        append((series, value))
                        continue
                unrelated += self._slow(line, state)
            elif not line or line[0] == "#":
                if line.startswith("# EOF") and line.rstrip() == "# EOF":
                    state.eof = True
                    stats.malformed_lines += sum(1 for rest in lines[index + 1 :] if rest.strip())
                    break
            elif line[0] in _UNUSUAL_START:
                unrelated += self._unusual(line, state)
                if state.eof:
                    stats.malformed_lines += sum(1 for rest in lines[index + 1 :] if rest.strip())
                    break
            else:
                unrelated += 1
        stats.unrelated_lines += unrelated

    def _unusual(self, line: str, state: _Pass) -> int:
        """Lines with leading whitespace, quoted metric names or a CR ending; returns 1 if unrelated."""
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
        """Full grammar for a line the cache could not settle; returns 1 if the line is unrelated."""
        stats = state.stats
        try:
            if text[0] == "{":
                parsed = read_series(text)
                family = self._families.get(parsed.name or "")
                if family is None:
                    return 1
                raw_start = 0
            else:
                name = METRIC_NAME.match(text)
                # The name decides before any label is read: otel_response_total_foo is not ours.
                family = self._families.get(name.group()) if name else None
                if family is None:
                    return 1
                parsed = read_series(text)
                raw_start = self._prefix_len
            raw = text[raw_start : parsed.end]
            value = read_value(text[parsed.end :])
            if value is None:
                raise MalformedLine("value is not a number")
            series = state.fresh.get(raw) or self._cache.get(raw)
            if series is None:
                series = self._new_series(raw, family, parsed)
        except MalformedLine:
            stats.malformed_lines += 1
            return 0
        key = series.key
        state.fresh[key if key == raw else raw] = series
        state.samples.append((series, value))
        return 0

    def _new_series(self, raw: str, family: str, parsed: SeriesText) -> Series:
        if not raw.isascii():
            try:
                raw.encode("utf-8")
            except UnicodeEncodeError:
                raise MalformedLine("not valid UTF-8") from None
        names = [name for name, _ in parsed.labels]
        if parsed.plain and names == sorted(names) and not raw.endswith(",}"):
            # The usual case: what the exporter wrote is already the canonical text,
            # so the cache key doubles as the identity.
            key = raw
        else:
            key = series_key(family, parsed.labels)
        return Series(key=key, family=family, labels=KeyLabels(key))
