"""The scrape's input limits against a real HTTP server: size cap, encodings, the whole-scrape deadline."""

from __future__ import annotations

import gzip
import time
import zlib

import pytest
from tests.unit.adapters.scrape.exporter_stub import Answer, Exporter, exposition, gzip_of

from adapters.exposition.parser import ExpositionParser
from adapters.scrape.body import PIECE_BYTES, BodyRefused, BoundedBody
from adapters.scrape.http_source import HttpMetricsSource
from application.ports.agent import ScrapeError
from domain.agent.scrape_checks import ScrapeFailure

MiB = 1024 * 1024
# 64 MiB of spaces in 64 KB: one overlong line the parser skips cheaply; only the size refuses it.
BOMB = gzip_of(b" " * MiB, 64)
THREE = exposition(3)


def scrape_failure(answer: Answer, timeout: float = 5.0, **limits: int) -> ScrapeError:
    with Exporter(answer) as exporter, HttpMetricsSource(
        exporter.url, None, timeout, ExpositionParser("otel_"), **limits
    ) as source, pytest.raises(ScrapeError) as failed:
        source.scrape()
    return failed.value


def test_a_gzip_bomb_over_the_cap_fails_the_scrape() -> None:
    started = time.monotonic()
    error = scrape_failure(Answer(BOMB, {"Content-Encoding": "gzip"}), max_bytes=4 * MiB)
    assert error.reason is ScrapeFailure.TOO_LARGE
    assert "larger than 4,194,304 bytes once decompressed (--max-scrape-bytes)" in str(error)
    assert time.monotonic() - started < 3.0  # stopped at the cap, not after inflating 64 MiB


def test_inflating_never_holds_more_than_the_cap_plus_one_piece() -> None:
    body = BoundedBody("gzip", max_bytes=3 * MiB + 5)
    sizes: list[int] = []
    with pytest.raises(BodyRefused) as refused:
        for piece in body.pieces(BOMB):  # the whole bomb as one raw chunk
            sizes.append(len(piece))
    assert refused.value.reason is ScrapeFailure.TOO_LARGE
    assert max(sizes) <= PIECE_BYTES
    assert sum(sizes) <= 3 * MiB + 5  # the piece that passed the cap was never handed on


@pytest.mark.parametrize("excess", [0, 1])
def test_the_cap_is_exact(excess: int) -> None:
    text = exposition(1)
    body = BoundedBody("gzip", max_bytes=len(text) - excess, piece_bytes=1000)
    if excess:
        with pytest.raises(BodyRefused, match="--max-scrape-bytes"):
            list(body.pieces(gzip.compress(text)))
    else:
        assert b"".join(body.pieces(gzip.compress(text))) == text
        body.finish()


def test_output_waiting_inside_zlib_after_a_full_piece_is_not_lost() -> None:
    text = b"x" * (4 * 1000)  # decompresses to exactly four pieces
    body = BoundedBody("gzip", max_bytes=10**6, piece_bytes=1000)
    assert b"".join(body.pieces(gzip.compress(text))) == text
    body.finish()


def test_a_plain_body_over_the_cap_fails_before_or_while_it_is_read() -> None:
    text = exposition(1)
    announced = scrape_failure(Answer(text), max_bytes=len(text) - 1)
    assert announced.reason is ScrapeFailure.TOO_LARGE and f"body of {len(text):,} bytes" in str(announced)
    unannounced = scrape_failure(Answer(text, length=False), max_bytes=len(text) - 1)
    assert unannounced.reason is ScrapeFailure.TOO_LARGE and "--max-scrape-bytes" in str(unannounced)


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"Content-Encoding": "gzip, gzip"}, "stacks encodings"),
        ({"Content-Encoding": "gzip, br"}, "stacks encodings"),
        ({"Content-Encoding": "br"}, "'br' is not read"),
        ({"Content-Encoding": "zstd"}, "'zstd' is not read"),
    ],
)
def test_stacked_and_unknown_encodings_are_refused(headers: dict[str, str], words: str) -> None:
    # 6.8 KB that httpx would have inflated through every layer.
    body = gzip.compress(gzip.compress(exposition(1)))
    error = scrape_failure(Answer(body, headers))
    assert error.reason is ScrapeFailure.ENCODING
    assert words in str(error)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Encoding": "deflate"}, zlib.compress(THREE)),
        ({"Content-Encoding": "x-gzip"}, gzip.compress(THREE)),
        ({"Content-Encoding": "identity"}, THREE),
        # Two gzip members one after the other are one gzip body.
        ({"Content-Encoding": "gzip"}, gzip.compress(THREE[:5000]) + gzip.compress(THREE[5000:])),
    ],
)
def test_single_encodings_are_read(headers: dict[str, str], body: bytes) -> None:
    with Exporter(Answer(body, headers)) as exporter, HttpMetricsSource(
        exporter.url, None, 5.0, ExpositionParser("otel_")
    ) as source:
        scrape = source.scrape()
    assert [value for _, value in scrape.samples] == [3.0] * 120
    assert scrape.stats.bytes_read == len(THREE)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (gzip.compress(exposition(1))[:-20], "ends early"),
        (gzip.compress(exposition(1)) + b"trailing junk", "cannot be decoded"),
    ],
)
def test_a_corrupt_gzip_stream_is_refused(body: bytes, words: str) -> None:
    error = scrape_failure(Answer(body, {"Content-Encoding": "gzip"}))
    assert error.reason is ScrapeFailure.ENCODING and words in str(error)


def test_a_body_that_takes_long_to_inflate_and_parse_fails_in_about_the_timeout() -> None:
    # 100 MB of lines the parser must look at closely (malformed series of a kept family), in
    # 250 KB of gzip: a few network chunks, each of which once went whole to the parser.
    line = b'otel_response_total{pod="p1" 5\n'
    slow = gzip_of(line * (MiB // len(line)), 100)
    started = time.monotonic()
    error = scrape_failure(Answer(slow, {"Content-Encoding": "gzip"}), timeout=1.0)
    elapsed = time.monotonic() - started
    assert error.reason is ScrapeFailure.TIMEOUT, error
    assert "took longer than the scrape timeout of 1s" in str(error)
    assert elapsed < 2.5


# A gzip header, then deflate blocks that are empty and never the last: they inflate to nothing.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
EMPTY_STORED_BLOCK = b"\x00\x00\x00\xff\xff"


def test_a_compressed_stream_that_inflates_to_nothing_fails_in_about_the_timeout() -> None:
    # 10 s of raw chunks that yield no decompressed byte: the deadline must still cut it.
    endless = GZIP_HEADER + EMPTY_STORED_BLOCK * 200_000
    answer = Answer(endless, {"Content-Encoding": "gzip"}, pause=0.05, piece=5_000)
    started = time.monotonic()
    error = scrape_failure(answer, timeout=0.5)
    assert error.reason is ScrapeFailure.TIMEOUT, error
    assert time.monotonic() - started < 2.0


def test_compressed_input_that_inflates_to_nothing_is_capped_too() -> None:
    body = BoundedBody("gzip", 1000)
    assert list(body.pieces(GZIP_HEADER)) == []
    with pytest.raises(BodyRefused) as refused:
        for _ in range(100):
            assert list(body.pieces(EMPTY_STORED_BLOCK * 1000)) == []
    assert refused.value.reason is ScrapeFailure.TOO_LARGE
    assert "compressed body is larger than a body of 1,000 bytes can be" in str(refused.value)


def test_valid_compressed_bodies_near_the_cap_are_not_refused_by_the_raw_cap() -> None:
    # Incompressible data costs deflate a few bytes per stored block: still within the slack.
    import os
    data = os.urandom(4 * MiB)
    body = BoundedBody("gzip", len(data))
    assert sum(len(piece) for piece in body.pieces(gzip.compress(data, 9))) == len(data)
    body.finish()


def test_a_trickling_body_fails_with_the_timeout_reason() -> None:
    error = scrape_failure(Answer(exposition(1), pause=0.1, piece=1000), timeout=0.4)
    assert error.reason is ScrapeFailure.TIMEOUT


def test_a_non_positive_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="max scrape bytes"):
        HttpMetricsSource("http://127.0.0.1:1/metrics", None, 1.0, ExpositionParser(), max_bytes=0)
