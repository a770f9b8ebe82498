"""The complete grammar of one sample line, for lines the parser's fast path cannot settle.

Prometheus text 0.0.4 and OpenMetrics text::

    name{label="value",...} value [timestamp] [# {exemplar labels} value [timestamp]]
    {"quoted.name", "quoted.label"="value"} value

Label values are unescaped the way Prometheus does it: ``\\"``, ``\\\\`` and
``\\n`` are escapes, any other backslash pair is kept as written. Whitespace is
allowed between the name and ``{``, around ``=`` and ``,``, and a trailing comma
before ``}`` is accepted (JMX exporter output has one).
"""

from __future__ import annotations

import re
from typing import NamedTuple

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_QUOTE_OR_BACKSLASH = re.compile(r'["\\]')
_ESCAPES = {"n": "\n", "\\": "\\", '"': '"'}
_BLANK = " \t"


class MalformedLine(ValueError):
    """A sample line that does not follow the exposition grammar."""


class SeriesText(NamedTuple):
    """Where the series part of a line (name and label block) ends, and what it says.

    ``name`` is None only when the line names no metric at all (``{a="b"} 1``),
    which callers treat as malformed.
    """

    name: str | None
    labels: list[tuple[str, str]]
    end: int


# What nearly every exporter writes: name{a="1",b="2"} with no escapes and no stray whitespace.
_PLAIN_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
_PLAIN_SERIES = re.compile(rf"[a-zA-Z_:][a-zA-Z0-9_:]*\{{(?:{_PLAIN_LABEL}(?:,{_PLAIN_LABEL})*,?)?\}}")


_CANONICAL_SKELETON = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*="(?:,[a-zA-Z_][a-zA-Z0-9_]*=")*')


def read_series(text: str) -> SeriesText:
    """Parse the name and label block at the start of ``text`` (leading whitespace already removed)."""
    plain = _PLAIN_SERIES.match(text)
    if plain is not None:
        end = plain.end()
        brace = text.index("{")
        labels = plain_pairs(text[brace + 1 : end - 1])
        if len(dict(labels)) != len(labels):
            raise MalformedLine("a label is given twice")
        return SeriesText(text[:brace], labels, end)
    return _read_series_escaped(text)


def canonical_series_end(text: str, brace: int) -> int:
    """Where the series text ends when it is plain and already canonical (at least one label,
    classic names sorted and unique, values without escapes, no trailing comma, ``{`` right after
    the name at ``brace``); 0 when it is not, or cannot be told this way (exemplars).

    Most lines of a first scrape are like this: their text is their identity, and their labels
    need not be taken apart now. Values hold no quote, so splitting the block on quotes gives
    values at odd places; the even pieces joined by quotes, the block's skeleton
    (``a=",b=",c="``), is all the structure there is to check.
    """
    close = text.rfind("}")
    block = text[brace + 1 : close]
    if not block or "\\" in block:
        return 0
    pieces = block.split('"')
    if len(pieces) % 2 == 0:  # a quote left open
        return 0
    skeleton = '"'.join(pieces[0::2])
    if not _CANONICAL_SKELETON.fullmatch(skeleton):
        return 0
    names = skeleton[:-2].split('=",')
    return close + 1 if names == sorted(set(names)) else 0


def _plain_names(pieces: list[str]) -> list[str]:
    # The name pieces are "a=", ",b=", ",c=": joined, "a=,b=,c=".
    return "".join(pieces[0:-1:2])[:-1].split("=,")


def plain_pairs(block: str) -> list[tuple[str, str]]:
    """The pairs of a label block (the text between the braces) known to be plain: classic names,
    values without quotes or backslashes. Quotes then only delimit values, so splitting on them
    alternates ``,name=`` pieces and values."""
    pieces = block.split('"')
    if len(pieces) < 3:
        return []
    return list(zip(_plain_names(pieces), pieces[1::2], strict=True))


def _read_series_escaped(text: str) -> SeriesText:
    """The general grammar: escapes, quoted names, whitespace inside the block."""
    match = METRIC_NAME.match(text)
    name = match.group() if match else None
    pos = match.end() if match else 0
    size = len(text)
    brace = pos
    while brace < size and text[brace] in _BLANK:
        brace += 1
    if brace >= size or text[brace] != "{":
        if name is None:
            raise MalformedLine("no metric name")
        return SeriesText(name, [], pos)
    labels: list[tuple[str, str]] = []
    seen: set[str] = set()
    pos = brace + 1
    while True:
        pos = _skip_blank(text, pos)
        if pos >= size:
            raise MalformedLine("label block not closed")
        if text[pos] == "}":
            return SeriesText(_require_name(name), labels, pos + 1)
        quoted = text[pos] == '"'
        if quoted:
            label, pos = read_quoted(text, pos)
        else:
            label_match = _LABEL_NAME.match(text, pos)
            if label_match is None:
                raise MalformedLine(f"bad label name at column {pos}")
            label, pos = label_match.group(), label_match.end()
        pos = _skip_blank(text, pos)
        if pos < size and text[pos] == "=":
            pos = _skip_blank(text, pos + 1)
            if pos >= size or text[pos] != '"':
                raise MalformedLine(f"label {label!r} has no quoted value")
            value, pos = read_quoted(text, pos)
            if label in seen:
                raise MalformedLine(f"label {label!r} given twice")
            seen.add(label)
            labels.append((label, value))
        elif quoted and name is None:
            # OpenMetrics 2 / Prometheus 3 form: the metric name is a bare quoted string inside the braces.
            name = label
        else:
            raise MalformedLine(f"expected '=' after {label!r}")
        pos = _skip_blank(text, pos)
        if pos >= size:
            raise MalformedLine("label block not closed")
        if text[pos] == ",":
            pos += 1
        elif text[pos] != "}":
            raise MalformedLine(f"expected ',' or '}}' at column {pos}")


def read_quoted(text: str, pos: int) -> tuple[str, int]:
    """Unescape the quoted string opening at ``text[pos]``; return it and the index past its closing quote."""
    parts: list[str] = []
    start = pos + 1
    while True:
        found = _QUOTE_OR_BACKSLASH.search(text, start)
        if found is None:
            raise MalformedLine("unterminated quoted string")
        at = found.start()
        parts.append(text[start:at])
        if text[at] == '"':
            return "".join(parts), at + 1
        if at + 1 >= len(text):
            raise MalformedLine("backslash at end of line")
        escaped = text[at + 1]
        parts.append(_ESCAPES.get(escaped, "\\" + escaped))
        start = at + 2


def read_value(rest: str) -> float | None:
    """The sample value in what follows the series text: ``value [timestamp] [# exemplar]``.

    None when it is not a number, the timestamp is not a number, or the
    trailing part is not an exemplar. The timestamp is checked, not used: the
    scrape's own time is the sample time (federation timestamps are milliseconds
    of the source, unrelated to the agent's interval).
    """
    try:
        return float(rest)
    except ValueError:
        pass
    numbers, sharp, exemplar = rest.partition("#")
    if sharp:
        exemplar = exemplar.lstrip(_BLANK)
        if not exemplar.startswith("{") or "}" not in exemplar:
            return None
    fields = numbers.split()
    if not fields or len(fields) > 2:
        return None
    try:
        if len(fields) == 2:
            float(fields[1])
        return float(fields[0])
    except ValueError:
        return None


def _skip_blank(text: str, pos: int) -> int:
    size = len(text)
    while pos < size and text[pos] in _BLANK:
        pos += 1
    return pos


def _require_name(name: str | None) -> str:
    if name is None:
        raise MalformedLine("no metric name")
    return name
