"""The line grammar's building blocks: the plain shortcut agrees with the general grammar."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.exposition.canonical import series_key
from adapters.exposition.line import (
    MalformedLine,
    _read_series_escaped,
    canonical_series_end,
    read_series,
    read_value,
)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ('m{a="1",b="2"} 5', True),
        ('m{a="}, x",b=""} 5', True),
        ('m{b="1",a="2"} 5', False),  # unsorted
        ('m{a="1",a="2"} 5', False),  # duplicate
        ('m{a="1",} 5', False),  # trailing comma
        ("m{} 5", False),  # no labels: the key is the bare name
        ('m{a="x\\"y"} 5', False),  # escapes
        ('m{"a.b"="1"} 5', False),  # quoted label name
        ('m{a="1", b="2"} 5', False),  # whitespace
        ('m{a=,b"1"="2"} 5', False),  # quotes in the wrong places
        ('m{a="1"b="2"} 5', False),  # no comma
        ('m{a="1""} 5', False),  # a quote left open
        ('m{a="1"} 5 # {t="x"} 1', False),  # an exemplar: left to the full grammar
        ('m{a="1"} }', False),
    ],
)
def test_canonical_series_end(text: str, canonical: bool) -> None:
    # The caller has checked that the text up to the brace is a metric name.
    end = canonical_series_end(text, text.find("{"))
    assert end == (text.rindex("}") + 1 if canonical else 0)


names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,5}", fullmatch=True)
plain_values = st.text(alphabet=st.sampled_from(list("ab }{,=#/:.-é")), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(names, plain_values), max_size=6), st.booleans())
def test_the_plain_shortcut_reads_what_the_general_grammar_reads(
    pairs: list[tuple[str, str]], trailing_comma: bool
) -> None:
    block = ",".join(f'{name}="{value}"' for name, value in pairs) + ("," if trailing_comma and pairs else "")
    text = f"metric{{{block}}} 1"
    try:
        general = _read_series_escaped(text)
    except MalformedLine:
        with pytest.raises(MalformedLine):
            read_series(text)
        return
    assert read_series(text) == general
    assert general.labels == pairs
    assert general.end == len(text) - 2


@pytest.mark.parametrize(
    ("rest", "value"),
    [
        (" 1", 1.0),
        (" 1 2", 1.0),
        ("\t1\t2\t", 1.0),
        (' 1 # {a="b"} 2', 1.0),
        (' 1 2 # {a="b"} 2 3', 1.0),
        (" 1 #", None),
        (" 1 # {a", None),
        (" 1 2 3", None),
        (" x", None),
        (" 1 x", None),
        ("", None),
        (" ", None),
    ],
)
def test_read_value(rest: str, value: float | None) -> None:
    assert read_value(rest) == value


block_pieces = st.sampled_from(
    ['a="1"', 'b="x"', 'c=""', ",", '"', "=", "a", "b", "}", "{", " ", "\\", "é", '"="']
)


@settings(max_examples=300, deadline=None)
@given(st.lists(block_pieces, max_size=10), st.sampled_from([" 1", ' 1 # {t="x"} 2', "} 1", ""]))
def test_a_text_taken_as_canonical_is_valid_and_its_own_key(pieces: list[str], rest: str) -> None:
    text = "metric{" + "".join(pieces) + "}" + rest
    end = canonical_series_end(text, len("metric"))
    if not end:
        return
    parsed = read_series(text)
    assert parsed.end == end
    assert series_key("metric", parsed.labels) == text[:end]
