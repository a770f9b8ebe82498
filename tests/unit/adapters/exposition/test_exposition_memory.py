"""What the parser remembers between scrapes: the same Series objects, bounded by the live series."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.exposition.parser import ExpositionParser
from domain.series import Scrape


def lines(*items: str) -> list[bytes]:
    return ["".join(f"{item}\n" for item in items).encode()]


def pairs(scrape: Scrape) -> list[tuple[str, float]]:
    return [(series.key, value) for series, value in scrape.samples]


def by_key(scrape: Scrape) -> dict[str, object]:
    return {series.key: series for series, _ in scrape.samples}


A = 'otel_response_total{a="1",b="x"} '
B = 'otel_response_total{a="2",b="x"} '
C = 'otel_response_latency_ms_bucket{a="1",le="10"} '
D = 'otel_traefik_service_requests_total{code="200",service="s@k"} '


def test_the_second_scrape_hands_out_the_same_series_objects() -> None:
    parser = ExpositionParser()
    first = parser.parse(lines(A + "1", B + "2", C + "3"))
    second = parser.parse(lines(A + "4", B + "5", C + "6"))
    assert all(s1 is s2 for (s1, _), (s2, _) in zip(first.samples, second.samples, strict=True))
    assert [v for _, v in second.samples] == [4.0, 5.0, 6.0]


def test_series_in_a_different_order_are_still_recognised() -> None:
    parser = ExpositionParser()
    first = by_key(parser.parse(lines(A + "1", B + "2", C + "3", D + "4")))
    second = parser.parse(lines(D + "40", C + "30", A + "10", B + "20"))
    assert pairs(second) == [
        ('traefik_service_requests_total{code="200",service="s@k"}', 40.0),
        ('response_latency_ms_bucket{a="1",le="10"}', 30.0),
        ('response_total{a="1",b="x"}', 10.0),
        ('response_total{a="2",b="x"}', 20.0),
    ]
    assert all(series is first[series.key] for series, _ in second.samples)


def test_series_appearing_and_vanishing_in_the_middle() -> None:
    parser = ExpositionParser()
    first = by_key(parser.parse(lines(A + "1", B + "2", C + "3")))
    second = parser.parse(lines(A + "11", D + "14", C + "13"))
    assert pairs(second) == [
        ('response_total{a="1",b="x"}', 11.0),
        ('traefik_service_requests_total{code="200",service="s@k"}', 14.0),
        ('response_latency_ms_bucket{a="1",le="10"}', 13.0),
    ]
    kept = by_key(second)
    assert kept['response_total{a="1",b="x"}'] is first['response_total{a="1",b="x"}']
    bucket = 'response_latency_ms_bucket{a="1",le="10"}'
    assert kept[bucket] is first[bucket]
    third = parser.parse(lines(A + "21", D + "24", C + "23"))
    assert [s for s, _ in third.samples] == [s for s, _ in second.samples]


def test_only_the_series_of_the_latest_scrape_are_remembered() -> None:
    parser = ExpositionParser()
    for generation in range(50):
        parser.parse(lines(*(f'otel_response_total{{pod="p{generation}-{n}"}} {n}' for n in range(20))))
        assert parser.remembered_series == 20


def test_a_series_that_comes_back_after_a_gap_is_read_correctly() -> None:
    parser = ExpositionParser()
    parser.parse(lines(A + "1", B + "2"))
    parser.parse(lines(A + "3"))
    third = parser.parse(lines(A + "5", B + "6"))
    assert pairs(third) == [('response_total{a="1",b="x"}', 5.0), ('response_total{a="2",b="x"}', 6.0)]
    assert parser.remembered_series == 2


def test_the_key_does_not_depend_on_label_order_from_one_scrape_to_the_next() -> None:
    parser = ExpositionParser()
    first = parser.parse(lines('otel_response_total{b="x",a="1"} 1'))
    second = parser.parse(lines('otel_response_total{a="1",b="x"} 2'))
    third = parser.parse(lines('otel_response_total{b="x",a="1"} 3'))
    keys = {s.key for scrape in (first, second, third) for s, _ in scrape.samples}
    assert keys == {'response_total{a="1",b="x"}'}


def test_unsorted_labels_are_remembered_too() -> None:
    parser = ExpositionParser()
    first = parser.parse(lines('otel_response_total{z="1",a="2"} 1', 'otel_response_total{z="2",a="2"} 1'))
    second = parser.parse(lines('otel_response_total{z="1",a="2"} 5', 'otel_response_total{z="2",a="2"} 6'))
    assert [s for s, _ in first.samples] == [s for s, _ in second.samples]
    assert pairs(second) == [('response_total{a="2",z="1"}', 5.0), ('response_total{a="2",z="2"}', 6.0)]


def test_a_series_without_labels_is_not_confused_with_a_longer_name() -> None:
    parser = ExpositionParser()
    parser.parse(lines("otel_response_total 5", "otel_traefik_service_requests_total 1"))
    second = parser.parse(
        lines("otel_response_total_foo 9", "otel_response_total 6", "otel_traefik_service_requests_total 2")
    )
    assert pairs(second) == [("response_total", 6.0), ("traefik_service_requests_total", 2.0)]
    assert second.stats.unrelated_lines == 1
    third = parser.parse(lines("otel_response_totalfoo 9", "otel_response_total 7"))
    assert pairs(third) == [("response_total", 7.0)]


def test_a_series_without_labels_and_one_with_a_spaced_label_block() -> None:
    parser = ExpositionParser()
    parser.parse(lines("otel_response_total 1", 'otel_response_total {a="1"} 2'))
    second = parser.parse(lines('otel_response_total {a="1"} 4', "otel_response_total 3"))
    assert pairs(second) == [('response_total{a="1"}', 4.0), ("response_total", 3.0)]
    assert second.stats.malformed_lines == 0


def test_a_remembered_series_with_a_broken_value_is_counted_malformed() -> None:
    parser = ExpositionParser()
    parser.parse(lines(A + "1", B + "2", C + "3"))
    second = parser.parse(lines(A + "1", B + "oops", C + "4"))
    assert pairs(second) == [
        ('response_total{a="1",b="x"}', 1.0),
        ('response_latency_ms_bucket{a="1",le="10"}', 4.0),
    ]
    assert second.stats.malformed_lines == 1
    third = parser.parse(lines(A + "1", B + "5", C + "6"))
    assert [v for _, v in third.samples] == [1.0, 5.0, 6.0]


def test_remembered_series_with_timestamps_exemplars_and_crlf() -> None:
    parser = ExpositionParser()
    body = lines(A + "1 1700000000000\r", C + '3 # {trace_id="x"} 1 2')
    parser.parse(body)
    second = parser.parse(lines(A + "2 1700000030000\r", C + '4 # {trace_id="y"} 1 2'))
    assert [v for _, v in second.samples] == [2.0, 4.0]
    assert second.stats.malformed_lines == 0


def test_a_scrape_that_breaks_off_leaves_the_memory_as_it_was() -> None:
    parser = ExpositionParser()
    first = parser.parse(lines(A + "1", B + "2"))

    def broken() -> Iterator[bytes]:
        yield f"{D}1\n{A}".encode()
        raise ConnectionError("peer went away")

    with pytest.raises(ConnectionError):
        parser.parse(broken())
    assert parser.remembered_series == 2
    third = parser.parse(lines(A + "5", B + "6"))
    assert [s for s, _ in third.samples] == [s for s, _ in first.samples]


def test_duplicates_are_remembered_and_passed_on_every_time() -> None:
    parser = ExpositionParser()
    parser.parse(lines(A + "1", A + "2"))
    second = parser.parse(lines(A + "3", A + "4"))
    assert pairs(second) == [('response_total{a="1",b="x"}', 3.0), ('response_total{a="1",b="x"}', 4.0)]
    assert second.samples[0][0] is second.samples[1][0]


def test_a_new_duplicate_in_one_scrape_shares_one_series_object() -> None:
    scrape = ExpositionParser().parse(lines(A + "1", B + "2", A + "3"))
    assert scrape.samples[0][0] is scrape.samples[2][0]


def test_parsers_with_different_prefixes_keep_their_own_memory() -> None:
    otel, plain = ExpositionParser("otel_"), ExpositionParser("")
    body = lines(A + "1", 'response_total{a="9"} 9')
    assert pairs(otel.parse(body)) == [('response_total{a="1",b="x"}', 1.0)]
    assert pairs(plain.parse(body)) == [('response_total{a="9"}', 9.0)]
    assert pairs(otel.parse(body)) == [('response_total{a="1",b="x"}', 1.0)]


POOL = [
    'otel_response_total{a="1",b="x"}',
    'otel_response_total{b="y",a="2"}',
    "otel_response_total",
    'otel_response_total {a="3"}',
    'otel_response_latency_ms_bucket{le="10"}',
    'otel_response_latency_ms_bucket{le="+Inf"}',
    'otel_traefik_service_requests_total{code="200",service="s@k",}',
    '{"otel_response_total", a="4"}',
    'otel_response_total_foo{a="1"}',
    'otel_response_total{a="5",b="\\"q\\""}',
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, len(POOL) - 1), st.sampled_from(["1", "2.5", "NaN", "x", "3 17"]))),
        min_size=1,
        max_size=6,
    )
)
def test_a_long_lived_parser_agrees_with_a_fresh_one_on_every_scrape(
    scrapes: list[list[tuple[int, str]]],
) -> None:
    """Series coming, going, reordered, duplicated or broken: memory never changes what a scrape yields."""
    parser = ExpositionParser()
    previous: dict[str, object] = {}
    for scrape_lines in scrapes:
        body = lines(*(f"{POOL[index]} {value}" for index, value in scrape_lines))
        remembered = parser.parse(body)
        fresh = ExpositionParser().parse(body)
        expected = [(s.key, repr(v)) for s, v in fresh.samples]
        assert [(s.key, repr(v)) for s, v in remembered.samples] == expected
        assert remembered.stats == fresh.stats
        # Every pool entry is the only text of its series: one seen last time is handed out again.
        current = {series.key: series for series, _ in remembered.samples}
        assert all(series is previous.get(key, series) for key, series in current.items())
        previous = current
