"""The exposition parser on the text formats' quirks: what is kept, what each line yields, what is counted."""

from __future__ import annotations

import math
import time

import pytest

from adapters.exposition import parser as parser_module
from adapters.exposition.parser import ExpositionParser
from domain.series import Scrape


def parse(text: str | bytes, prefix: str = "otel_") -> Scrape:
    body = text.encode() if isinstance(text, str) else text
    return ExpositionParser(prefix).parse([body], timestamp=1000.0)


def only(scrape: Scrape) -> tuple[str, str, dict[str, str], float]:
    assert len(scrape.samples) == 1, scrape.samples
    series, value = scrape.samples[0]
    return series.key, series.family, dict(series.labels), value


def values(scrape: Scrape) -> list[float]:
    return [value for _, value in scrape.samples]


def test_a_counter_line_gives_its_family_labels_key_and_value() -> None:
    scrape = parse('otel_response_total{namespace="shop",direction="inbound"} 12\n')
    assert only(scrape) == (
        'response_total{direction="inbound",namespace="shop"}',
        "response_total",
        {"namespace": "shop", "direction": "inbound"},
        12.0,
    )
    assert scrape.timestamp == 1000.0


def test_every_histogram_part_is_a_sample_of_its_own_family() -> None:
    scrape = parse(
        "# TYPE otel_response_latency_ms histogram\n"
        'otel_response_latency_ms_bucket{le="10"} 3\n'
        'otel_response_latency_ms_bucket{le="+Inf"} 4\n'
        "otel_response_latency_ms_sum{} 31.5\n"
        "otel_response_latency_ms_count 4\n"
    )
    assert [(s.family, dict(s.labels), v) for s, v in scrape.samples] == [
        ("response_latency_ms_bucket", {"le": "10"}, 3.0),
        ("response_latency_ms_bucket", {"le": "+Inf"}, 4.0),
        ("response_latency_ms_sum", {}, 31.5),
        ("response_latency_ms_count", {}, 4.0),
    ]
    assert [s.key for s, _ in scrape.samples][2:] == ["response_latency_ms_sum", "response_latency_ms_count"]


def test_escaped_label_values_are_unescaped_and_the_key_escapes_them_again() -> None:
    key, _, labels, _ = only(parse(r'otel_response_total{a="x\"y",b="c\\d",n="l1\nl2"} 1' + "\n"))
    assert labels == {"a": 'x"y', "b": "c\\d", "n": "l1\nl2"}
    assert key == r'response_total{a="x\"y",b="c\\d",n="l1\nl2"}'


def test_unknown_escapes_are_kept_as_written() -> None:
    _, _, labels, _ = only(parse(r'otel_response_total{a="tab\there"} 1' + "\n"))
    assert labels == {"a": "tab\\there"}


@pytest.mark.parametrize("value", ["}", ",", "a b", "} 5", '\\"}', 'x="y', "#", "{"])
def test_label_values_may_hold_braces_commas_spaces_and_hashes(value: str) -> None:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    _, _, labels, number = only(parse(f'otel_response_total{{a="{escaped}",b="2"}} 7\n'))
    assert labels == {"a": value, "b": "2"}
    assert number == 7.0


def test_a_trailing_comma_before_the_brace_is_accepted() -> None:
    key, _, labels, value = only(parse('otel_response_total{a="1",} 3\n'))
    assert (key, labels, value) == ('response_total{a="1"}', {"a": "1"}, 3.0)


def test_whitespace_inside_the_label_block_and_before_it_is_accepted() -> None:
    key, _, labels, value = only(parse('otel_response_total { a = "1" , b="2" } 3\n'))
    assert (key, labels, value) == ('response_total{a="1",b="2"}', {"a": "1", "b": "2"}, 3.0)


@pytest.mark.parametrize(
    "suffix", [" 5 1657035322214", " 5 1.5e9", " 5\t1657035322214", "\t5", " 5 ", " 5 -3"]
)
def test_an_optional_timestamp_is_read_past(suffix: str) -> None:
    assert values(parse(f'otel_response_total{{a="1"}}{suffix}\n')) == [5.0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("+Inf", math.inf), ("Inf", math.inf), ("-Inf", -math.inf), ("1e3", 1000.0), ("2.839193e+06", 2839193.0),
     ("-0.5", -0.5), ("1E-3", 0.001), ("0", 0.0), ("17", 17.0)],
)  # fmt: skip
def test_special_and_scientific_values(text: str, expected: float) -> None:
    assert values(parse(f'otel_response_total{{a="1"}} {text}\n')) == [expected]


def test_nan_is_kept_as_nan() -> None:
    (value,) = values(parse('otel_response_latency_ms_sum{a="1"} NaN\n'))
    assert math.isnan(value)


def test_exemplars_are_skipped_and_the_sample_kept() -> None:
    scrape = parse(
        'otel_response_latency_ms_bucket{le="10"} 3 # {trace_id="abc",span="x} y"} 0.5 1.7e9\n'
        'otel_response_latency_ms_bucket{le="20"} 4 1.7e9 # {trace_id="def"} 12\n'
    )
    assert [(s.key, v) for s, v in scrape.samples] == [
        ('response_latency_ms_bucket{le="10"}', 3.0),
        ('response_latency_ms_bucket{le="20"}', 4.0),
    ]
    assert scrape.stats.malformed_lines == 0


def test_nothing_after_the_openmetrics_eof_marker_is_read() -> None:
    scrape = parse(
        "# TYPE otel_response_total counter\n"
        'otel_response_total{a="1"} 1\n'
        "# EOF\n"
        'otel_response_total{a="2"} 2\n'
        "\n"
    )
    assert values(scrape) == [1.0]
    assert scrape.stats.malformed_lines == 1


def test_untyped_families_and_families_without_type_are_kept() -> None:
    scrape = parse(
        "# TYPE otel_response_total untyped\n"
        'otel_response_total{a="1"} 1\n'
        "# HELP otel_traefik_service_requests_total no type line\n"
        'otel_traefik_service_requests_total{code="200"} 2\n'
        "# TYPE otel_nginx_ingress_controller_requests gauge\n"
        'otel_nginx_ingress_controller_requests{status="200"} 3\n'
    )
    assert values(scrape) == [1.0, 2.0, 3.0]


def test_comments_help_unit_and_blank_lines_are_neither_unrelated_nor_malformed() -> None:
    scrape = parse(
        "\n"
        "# HELP otel_response_total Total responses.\\nSecond line.\n"
        "# UNIT otel_response_latency_ms milliseconds\n"
        "# just a comment\n"
        "#\n"
        "   \n"
        'otel_response_total{a="1"} 1\n'
        "\n"
    )
    stats = scrape.stats
    assert (stats.lines, stats.samples, stats.unrelated_lines, stats.malformed_lines) == (8, 1, 0, 0)


def test_lines_with_leading_whitespace_are_read() -> None:
    scrape = parse(
        '  otel_response_total{a="1"} 1\n\totel_response_total{a="2"} 2\n   otel_tcp_open_total 3\n'
    )
    assert values(scrape) == [1.0, 2.0]
    assert scrape.stats.unrelated_lines == 1


def test_crlf_line_endings_give_the_same_samples_as_lf() -> None:
    lf = (
        "# TYPE otel_response_total counter\n"
        'otel_response_total{a="1"} 1\n'
        'otel_response_total{a="2"} 2 1657035322214\n'
        "otel_response_total 3\n"
        "\n"
        "otel_tcp_open_total 3\n"
        "# EOF\n"
    )
    crlf = lf.replace("\n", "\r\n")
    expected = [(s.key, v) for s, v in parse(lf).samples]
    scrape = parse(crlf)
    assert (
        [(s.key, v) for s, v in scrape.samples]
        == expected
        == [
            ('response_total{a="1"}', 1.0),
            ('response_total{a="2"}', 2.0),
            ("response_total", 3.0),
        ]
    )
    assert (scrape.stats.unrelated_lines, scrape.stats.malformed_lines) == (1, 0)


def test_quoted_utf8_metric_names_are_read() -> None:
    scrape = parse(
        '{"otel_response_total", "service.name"="a\\"b", direction="inbound"} 4\n'
        '{"my.dotted.name_total", a="b"} 5\n'
        '{"otel_response_total_foo"} 6\n'
    )
    key, family, labels, value = only(scrape)
    assert family == "response_total"
    assert labels == {"service.name": 'a"b', "direction": "inbound"}
    assert key == 'response_total{direction="inbound","service.name"="a\\"b"}'
    assert value == 4.0
    assert scrape.stats.unrelated_lines == 2


def test_a_quoted_name_and_a_plain_name_for_the_same_series_share_the_key() -> None:
    scrape = parse('{"otel_response_total",b="2",a="1"} 1\notel_response_total{a="1",b="2"} 2\n')
    keys = [s.key for s, _ in scrape.samples]
    assert keys == ['response_total{a="1",b="2"}'] * 2


def test_valid_utf8_in_label_values_is_kept() -> None:
    _, _, labels, _ = only(parse('otel_response_total{path="/café/日本"} 1\n'))
    assert labels == {"path": "/café/日本"}


def test_invalid_utf8_in_a_relevant_line_is_malformed_and_elsewhere_harmless() -> None:
    body = (
        b'otel_response_total{path="\xff\xfe"} 1\n'
        b'otel_tcp_open_total{x="\xff"} 1\n'
        b'otel_response_total{a="1"} 2\n'
    )
    scrape = parse(body)
    assert values(scrape) == [2.0]
    assert (scrape.stats.malformed_lines, scrape.stats.unrelated_lines) == (1, 1)


class TestMalformedLines:
    GOOD = 'otel_response_total{a="good"} 1\n'

    @pytest.mark.parametrize(
        "line",
        [
            'otel_response_total{a="1"}',  # no value
            'otel_response_total{a="1"} ',  # no value, trailing blank
            'otel_response_total{a="1"} abc',  # value is not a number
            'otel_response_total{a="1"} 1 2 3',  # too many fields
            'otel_response_total{a="1"} 1 notatime',  # timestamp is not a number
            'otel_response_total{a="1"} 1 # not an exemplar',
            'otel_response_total{a="1} 1',  # unterminated value
            'otel_response_total{a="1" 1',  # block not closed
            "otel_response_total{a=1} 1",  # unquoted value
            "otel_response_total{a} 1",  # no '='
            'otel_response_total{1a="x"} 1',  # bad label name
            'otel_response_total{a="1",a="2"} 1',  # label given twice
            'otel_response_total{a="1"b="2"} 1',  # missing comma
            'otel_response_total{a="1""} 1',  # a quote left open
            'otel_response_total{a=,b"1"="2"} 1',  # quotes in the wrong places
            'otel_response_total{a="1",,b="2"} 1',  # empty label
            'otel_response_total{a="x\\',  # backslash at the end
            "otel_response_total",  # name only
            'otel_response_total{a="1"}5 6 7',
            '{"otel_response_total" "x"} 1',
            '{a="1"} 1',  # no metric name at all
        ],
    )
    def test_is_skipped_counted_and_does_not_disturb_its_neighbours(self, line: str) -> None:
        scrape = parse(self.GOOD + line + "\n" + self.GOOD.replace("good", "next"))
        assert [dict(s.labels)["a"] for s, _ in scrape.samples] == ["good", "next"]
        assert scrape.stats.malformed_lines == 1
        assert scrape.stats.unrelated_lines == 0

    def test_a_line_longer_than_the_limit_is_dropped_without_being_buffered(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(parser_module, "MAX_LINE_CHARS", 100)
        long_line = 'otel_response_total{a="' + "x" * 1000 + '"} 1\n'
        body = (self.GOOD + long_line + self.GOOD.replace("good", "next")).encode()
        chunks = [body[i : i + 16] for i in range(0, len(body), 16)]
        scrape = ExpositionParser().parse(chunks)
        assert [dict(s.labels)["a"] for s, _ in scrape.samples] == ["good", "next"]
        assert scrape.stats.malformed_lines == 1
        assert scrape.stats.lines == 3


class TestPrefix:
    BODY = (
        'otel_response_total{a="1"} 1\n'
        'response_total{a="2"} 2\n'
        'otel_response_total_foo{a="3"} 3\n'
        'otel_response_totalx{a="4"} 4\n'
        "otel_response_total_foo 5\n"
        'otel_tcp_open_total{a="6"} 6\n'
        'otel_route_response_total{a="7"} 7\n'
        'xotel_response_total{a="8"} 8\n'
    )

    def test_with_the_otel_prefix_only_prefixed_relevant_names_are_kept(self) -> None:
        scrape = parse(self.BODY, prefix="otel_")
        assert [(s.key, s.family, v) for s, v in scrape.samples] == [
            ('response_total{a="1"}', "response_total", 1.0)
        ]
        assert scrape.stats.unrelated_lines == 7

    def test_with_an_empty_prefix_names_are_used_as_they_are(self) -> None:
        scrape = parse(self.BODY, prefix="")
        assert [(s.key, v) for s, v in scrape.samples] == [('response_total{a="2"}', 2.0)]
        assert scrape.stats.unrelated_lines == 7

    def test_another_prefix(self) -> None:
        scrape = parse('mesh_response_total{a="1"} 1\notel_response_total{a="1"} 2\n', prefix="mesh_")
        assert [(s.key, v) for s, v in scrape.samples] == [('response_total{a="1"}', 1.0)]

    @pytest.mark.parametrize(
        "name",
        [
            "response_total", "response_latency_ms_bucket", "response_latency_ms_sum",
            "response_latency_ms_count", "traefik_service_requests_total",
            "traefik_service_request_duration_seconds_bucket", "nginx_ingress_controller_requests",
            "nginx_ingress_controller_requests_total",
            "nginx_ingress_controller_request_duration_seconds_sum",
        ],
    )  # fmt: skip
    def test_every_family_of_the_spec_is_kept(self, name: str) -> None:
        _, family, _, _ = only(parse(f'otel_{name}{{a="1"}} 1\n'))
        assert family == name

    @pytest.mark.parametrize(
        "name",
        ["request_total", "response_latency_ms", "traefik_service_requests", "tcp_open_total",
         "response_latency_ms_bucket_total", "nginx_ingress_controller_request_size_bucket"],
    )  # fmt: skip
    def test_other_families_are_unrelated(self, name: str) -> None:
        scrape = parse(f'otel_{name}{{a="1"}} 1\n')
        assert scrape.samples == []
        assert scrape.stats.unrelated_lines == 1


def test_duplicate_series_are_all_passed_on_in_order() -> None:
    scrape = parse('otel_response_total{a="1"} 1\notel_response_total{a="1"} 2\n')
    assert [(s.key, v) for s, v in scrape.samples] == [('response_total{a="1"}', 1.0)] * 1 + [
        ('response_total{a="1"}', 2.0)
    ]


def test_statistics_of_a_scrape() -> None:
    body = (
        b"# TYPE otel_response_total counter\n"
        b'otel_response_total{a="1"} 1\n'
        b"otel_tcp_open_total 1\n"
        b"otel_request_total 1\n"
        b'otel_response_total{a="1" 1\n'
        b'otel_response_total{a="2"} 2'  # no final newline
    )
    scrape = ExpositionParser().parse([body])
    stats = scrape.stats
    assert (stats.bytes_read, stats.lines, stats.samples, stats.unrelated_lines, stats.malformed_lines) == (
        len(body),
        6,
        2,
        2,
        1,
    )


def test_the_scrape_time_defaults_to_now() -> None:
    before = time.time()
    scrape = ExpositionParser().parse([b'otel_response_total{a="1"} 1\n'])
    assert before <= scrape.timestamp <= time.time()


def test_an_empty_body_gives_an_empty_scrape() -> None:
    scrape = ExpositionParser().parse([])
    assert scrape.samples == []
    assert scrape.stats.lines == 0


def test_a_byte_order_mark_does_not_hide_the_first_line() -> None:
    body = '\ufeffotel_response_total{a="1"} 1\n'.encode()
    for cut in range(len(body) + 1):
        scrape = ExpositionParser().parse([body[:cut], body[cut:]])
        assert [(s.key, v) for s, v in scrape.samples] == [('response_total{a="1"}', 1.0)]


def test_the_eof_marker_is_found_wherever_the_chunks_are_cut() -> None:
    body = b'otel_response_total{a="1"} 1\n# EOF\notel_response_total{a="2"} 2\n'
    for cut in range(len(body) + 1):
        scrape = ExpositionParser().parse([body[:cut], body[cut:]])
        assert [v for _, v in scrape.samples] == [1.0]
        assert scrape.stats.malformed_lines == 1


def test_an_extra_brace_after_a_known_series_is_malformed() -> None:
    parser = ExpositionParser()
    parser.parse([b'otel_response_total{a="1"} 1\n'])
    scrape = parser.parse([b'otel_response_total{a="1"}} 2\notel_response_total{a="1"} 3 # {x="y"} 1\n'])
    assert [v for _, v in scrape.samples] == [3.0]
    assert scrape.stats.malformed_lines == 1
