"""Properties: chunk boundaries never change the outcome; keys are canonical whatever the label order."""

from __future__ import annotations

import itertools
import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.exposition.labels import KeyLabels
from adapters.exposition.parser import ExpositionParser
from application.ports.agent import ScrapeError
from domain.series import Scrape

# Every quirk at once: comments, CRLF, multi-byte UTF-8, escapes, exemplars, timestamps,
# unrelated and malformed lines, a line without labels, no final newline.
BODY = (
    "# HELP otel_response_total Responses.\\n Escaped help.\n"
    "# TYPE otel_response_total counter\n"
    'otel_response_total{direction="inbound",path="/café/日本",status_code="200"} 10\n'
    'otel_response_total{direction="inbound",path="a\\"b\\\\c\\nd",status_code="500"} 2 1657035322214\r\n'
    'otel_response_total{status_code="200",direction="outbound",dst="x}, y",} 3.5e2\n'
    "\n"
    "  otel_response_total 4\n"
    'otel_response_total_foo{a="1"} 1\n'
    'otel_tcp_open_total{peer="src"} 17\n'
    'otel_response_latency_ms_bucket{le="10"} 3 # {trace_id="abc"} 0.5 1.7e9\n'
    'otel_response_latency_ms_bucket{le="+Inf"} +Inf\n'
    "otel_response_latency_ms_sum NaN\n"
    'otel_response_total{a="1" 1\n'
    '{"otel_response_total", "service.name"="é"} 6\n'
    'otel_traefik_service_requests_total{code="200",service="s-80@k"} 9'
).encode()


def outcome(scrape: Scrape) -> tuple[object, ...]:
    # NaN != NaN, so compare its text.
    samples = [(s.key, s.family, dict(s.labels), repr(v)) for s, v in scrape.samples]
    stats = scrape.stats
    counts = (stats.bytes_read, stats.lines, stats.samples, stats.unrelated_lines, stats.malformed_lines)
    return samples, counts


def attempt(parser: ExpositionParser, chunks: list[bytes]) -> tuple[object, ...]:
    """The outcome of a scrape, or the reason it was refused."""
    try:
        return outcome(parser.parse(chunks))
    except ScrapeError as refused:
        return ("refused", refused.reason)


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(body), *(c % (len(body) + 1) for c in cuts)})
    return [body[a:b] for a, b in itertools.pairwise(points)]


WHOLE = outcome(ExpositionParser().parse([BODY]))


def test_the_reference_body_yields_what_it_should() -> None:
    samples, counts = WHOLE
    assert [(key, value) for key, _, _, value in samples] == [
        ('response_total{direction="inbound",path="/café/日本",status_code="200"}', "10.0"),
        ('response_total{direction="inbound",path="a\\"b\\\\c\\nd",status_code="500"}', "2.0"),
        ('response_total{direction="outbound",dst="x}, y",status_code="200"}', "350.0"),
        ("response_total", "4.0"),
        ('response_latency_ms_bucket{le="10"}', "3.0"),
        ('response_latency_ms_bucket{le="+Inf"}', "inf"),
        ("response_latency_ms_sum", "nan"),
        ('response_total{"service.name"="é"}', "6.0"),
        ('traefik_service_requests_total{code="200",service="s-80@k"}', "9.0"),
    ]
    assert counts == (len(BODY), 15, 9, 2, 1)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(BODY)), max_size=40))
def test_any_chunking_gives_the_same_outcome_cold_and_warm(cuts: list[int]) -> None:
    chunks = split(BODY, cuts)
    parser = ExpositionParser()
    assert outcome(parser.parse(chunks)) == WHOLE
    assert outcome(parser.parse(chunks)) == WHOLE
    assert outcome(parser.parse([BODY])) == WHOLE


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=64))
def test_byte_by_byte_and_fixed_size_chunks(size: int) -> None:
    chunks = [BODY[i : i + size] for i in range(0, len(BODY), size)]
    assert outcome(ExpositionParser().parse(chunks)) == WHOLE


label_names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,6}", fullmatch=True)
label_values = st.text(alphabet=st.sampled_from([*'ab }{,="\\\n#é日 ', "\t"]), max_size=8)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(label_names, label_values, max_size=6), st.randoms(use_true_random=False))
def test_the_key_is_canonical_whatever_the_label_order(labels: dict[str, str], rnd: random.Random) -> None:
    names = list(labels)
    keys = set()
    for _ in range(3):
        rnd.shuffle(names)
        block = ",".join(f'{name}="{escape(labels[name])}"' for name in names)
        scrape = ExpositionParser().parse([f"otel_response_total{{{block}}} 1\n".encode()])
        ((series, value),) = scrape.samples
        assert dict(series.labels) == labels
        assert value == 1.0
        keys.add(series.key)
    (key,) = keys
    expected_block = ",".join(f'{name}="{escape(labels[name])}"' for name in sorted(labels))
    assert key == (f"response_total{{{expected_block}}}" if labels else "response_total")
    # The key is itself a valid series text that reads back to the same series.
    ((again, _),) = ExpositionParser("").parse([f"{key} 1\n".encode()]).samples
    assert (again.key, dict(again.labels)) == (key, labels)


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=False) | st.integers(min_value=-(10**18), max_value=10**18))
def test_values_read_back_exactly(number: float) -> None:
    scrape = ExpositionParser().parse([f'otel_response_total{{a="1"}} {number!r}\n'.encode()])
    ((_, value),) = scrape.samples
    assert value == float(number) or (math.isinf(value) and math.isinf(number))


def test_key_labels_behave_as_a_read_only_mapping() -> None:
    labels = KeyLabels('response_total{a="1",b="x\\"y","c.d"="}"}')
    assert labels["a"] == "1"
    assert labels.get("b") == 'x"y'
    assert labels.get("c.d") == "}"
    assert labels.get("missing") is None
    assert labels.get("missing", "") == ""
    assert "a" in labels and "z" not in labels
    assert len(labels) == 3
    assert list(labels) == ["a", "b", "c.d"]
    assert labels == {"a": "1", "b": 'x"y', "c.d": "}"}
    assert labels != {"a": "1"}
    assert dict(labels.items()) == {"a": "1", "b": 'x"y', "c.d": "}"}
    other = KeyLabels('response_total{a="2"}')
    assert other["a"] == "2" and labels["a"] == "1"  # interleaved reads do not mix label sets
    assert KeyLabels("response_total") == {}
    try:
        labels["missing"]
    except KeyError:
        pass
    else:
        raise AssertionError("a missing label must raise KeyError")


fragments = st.sampled_from(
    [b"otel_response_total", b"otel_response_latency_ms_bucket", b"{", b"}", b'"', b"\\", b"=", b",", b" ",
     b"\t", b"\n", b"\r\n", b"#", b"# EOF", b"le", b"a", b"1", b"NaN", b"+Inf", b"\xff", b"\xc3\xa9", b"{\"",
     b'a="1"', b"_foo", b"\xef\xbb\xbf",
     b'otel_response_total{a="1"} 1\n', b'otel_response_total{b="2",a="1"} 2\n', b"otel_response_total 3\n",
     b'otel_response_latency_ms_bucket{le="+Inf"} 4 # {t="x"} 1\n', b'  otel_response_total{a="1"} 5\n',
     b'{"otel_response_total",a="1"} 6\n', b'otel_response_total_foo{a="1"} 7\n']
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(fragments | st.binary(max_size=4), max_size=60), st.lists(st.integers(0, 400), max_size=6))
def test_no_input_makes_the_parser_raise_but_a_refusal(pieces: list[bytes], cuts: list[int]) -> None:
    body = b"".join(pieces)
    parser = ExpositionParser()
    try:
        first = parser.parse(split(body, cuts))
    except ScrapeError as refused:  # not text, or mostly malformed: wherever the body was cut
        assert parser.remembered_series == 0
        assert attempt(parser, [body]) == ("refused", refused.reason)
        return
    again = parser.parse([body])
    assert outcome(again) == outcome(first)
    stats = first.stats
    assert stats.samples == len(first.samples)
    assert stats.samples + stats.unrelated_lines + stats.malformed_lines <= stats.lines
    text = body.removeprefix(b"\xef\xbb\xbf")  # a leading byte order mark is not a line
    assert stats.lines == text.count(b"\n") + (0 if text.endswith(b"\n") or not text else 1)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(fragments, max_size=40), min_size=2, max_size=4))
def test_what_was_parsed_before_never_changes_a_scrape(bodies: list[list[bytes]]) -> None:
    parser = ExpositionParser()
    for pieces in bodies:
        body = b"".join(pieces)
        assert attempt(parser, [body]) == attempt(ExpositionParser(), [body])
