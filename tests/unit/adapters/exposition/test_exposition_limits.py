"""The parser's refusals: it stops at the series limit, and a refused body leaves its memory as it was."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.exposition.parser import ExpositionParser
from application.ports.agent import ScrapeError
from domain.agent.scrape_checks import ScrapeFailure


def new_series(chunks: int, per_chunk: int, read: list[int]) -> Iterator[bytes]:
    """A body of ever new workloads (1 M distinct names in the reproducer), chunk by chunk."""
    for chunk in range(chunks):
        read.append(chunk)
        yield "".join(
            f'otel_response_total{{deployment="w{chunk}-{n}",namespace="shop"}} 1\n' for n in range(per_chunk)
        ).encode()


def test_a_body_of_too_many_series_is_refused_at_the_limit_not_at_its_end() -> None:
    read: list[int] = []
    parser = ExpositionParser("otel_", max_series=250)
    with pytest.raises(ScrapeError, match="more than 250 series") as refused:
        parser.parse(new_series(10_000, 100, read))
    assert refused.value.reason is ScrapeFailure.TOO_MANY_SERIES
    assert len(read) == 3  # 300 series read of the million offered
    assert parser.remembered_series == 0


def test_exactly_the_limit_is_taken() -> None:
    scrape = ExpositionParser("otel_", max_series=300).parse(new_series(3, 100, []))
    assert len(scrape.samples) == 300


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'otel_response_total{a="1"} 1\n\x00\x01\x02', ScrapeFailure.NOT_TEXT),
        (bytes(range(0x80, 0x100)) * 4, ScrapeFailure.NOT_TEXT),
        (b'otel_response_total{a="1" 1\n' * 10, ScrapeFailure.MALFORMED),
    ],
)
def test_a_refused_body_leaves_the_memory_as_it_was(body: bytes, reason: ScrapeFailure) -> None:
    parser = ExpositionParser("otel_")
    good = b"".join(b'otel_response_total{a="%d"} 1\n' % n for n in range(5))
    first = parser.parse([good])
    with pytest.raises(ScrapeError) as refused:
        parser.parse([body[: len(body) // 2], body[len(body) // 2 :]])
    assert refused.value.reason is reason
    again = parser.parse([good])
    assert again.layout is first.layout
    assert all(a is b for (a, _), (b, _) in zip(first.samples, again.samples, strict=True))


def test_a_stray_invalid_byte_is_a_malformed_line_not_a_refused_body() -> None:
    body = b'otel_response_total{a="caf\xe9"} 1\n' + b'otel_response_total{a="1"} 2\n' * 20
    scrape = ExpositionParser("otel_").parse([body])
    assert [value for _, value in scrape.samples] == [2.0] * 20
    assert scrape.stats.malformed_lines == 1
