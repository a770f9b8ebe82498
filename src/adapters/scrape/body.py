"""A response body as bounded pieces: decompressed here, never past the size cap.

httpx would inflate a gzip chunk whole: 6.8 KB of stacked gzip becomes 4 GiB
in one call. Here the raw bytes go through ``zlib`` with ``max_length``, so
one call never produces more than a piece (``PIECE_BYTES``) or more than the
allowance left (plus one byte, to tell "exactly full" from "over"); the rest
of the input waits in ``unconsumed_tail``. Memory therefore stays within the
cap plus one piece whatever the compression ratio, and the caller can check
its deadline between pieces.

Encodings read: none (``identity``), ``gzip`` (also ``x-gzip``; members one
after another, as gzip allows) and ``deflate`` (the zlib format of RFC 9110).
Anything else, and any stack of encodings (``gzip, gzip``), is refused.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from adapters.compressed_input import max_compressed_bytes
from domain.agent.scrape_checks import ScrapeFailure

PIECE_BYTES = 256 * 1024

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_WBITS = {"gzip": _GZIP_WBITS, "x-gzip": _GZIP_WBITS, "deflate": zlib.MAX_WBITS}


class BodyRefused(Exception):
    """The body cannot be read within the limits; ``reason`` says why."""

    def __init__(self, message: str, reason: ScrapeFailure) -> None:
        super().__init__(message)
        self.reason = reason


def content_coding(values: list[str]) -> str | None:
    """The one content coding of a response (None: the body is as sent), from its
    ``Content-Encoding`` values split at commas."""
    codings = [value.strip().lower() for value in values if value.strip()]
    if not codings or codings == ["identity"]:
        return None
    if len(codings) > 1:
        raise BodyRefused(
            f"Content-Encoding {', '.join(codings)!r} stacks encodings; only one gzip or deflate is read",
            ScrapeFailure.ENCODING,
        )
    if codings[0] not in _WBITS:
        raise BodyRefused(
            f"Content-Encoding {codings[0]!r} is not read (gzip or deflate only)", ScrapeFailure.ENCODING
        )
    return codings[0]


def _too_large(max_bytes: int) -> BodyRefused:
    return BodyRefused(
        f"body is larger than {max_bytes:,} bytes once decompressed (--max-scrape-bytes)",
        ScrapeFailure.TOO_LARGE,
    )


class BoundedBody:
    """Turns raw chunks into pieces of at most ``piece_bytes``, at most ``max_bytes`` in all.

    ``pieces`` raises ``BodyRefused`` once the body passes the cap or its
    compressed stream is corrupt; ``finish`` once the stream ended early.
    """

    def __init__(self, coding: str | None, max_bytes: int, piece_bytes: int = PIECE_BYTES) -> None:
        if max_bytes <= 0 or piece_bytes <= 0:
            raise ValueError(f"max_bytes and piece_bytes must be positive, got {max_bytes}, {piece_bytes}")
        self._wbits = _WBITS[coding] if coding is not None else None
        self._max_bytes = max_bytes
        self._left = max_bytes
        self._piece_bytes = piece_bytes
        self._stream: zlib._Decompress | None = None  # the current gzip member, once input came
        self._raw_left = max_compressed_bytes(max_bytes)  # empty blocks inflate to nothing

    def pieces(self, raw: bytes) -> Iterator[bytes]:
        if self._wbits is None:
            yield from self._as_sent(raw)
            return
        self._raw_left -= len(raw)
        if self._raw_left < 0:
            raise BodyRefused(
                f"compressed body is larger than a body of {self._max_bytes:,} bytes can be "
                "(--max-scrape-bytes)", ScrapeFailure.TOO_LARGE,
            )
        try:
            yield from self._inflated(raw)
        except zlib.error as error:
            raise BodyRefused(f"body cannot be decoded: {error}", ScrapeFailure.ENCODING) from None

    def finish(self) -> None:
        """The raw body has ended: a compressed stream must have ended with it."""
        if self._stream is not None and not self._stream.eof:
            raise BodyRefused(
                "body cannot be decoded: the compressed stream ends early", ScrapeFailure.ENCODING
            )

    def _as_sent(self, raw: bytes) -> Iterator[bytes]:
        self._left -= len(raw)
        if self._left < 0:
            raise _too_large(self._max_bytes)
        size = self._piece_bytes
        if len(raw) <= size:
            yield raw
            return
        view = memoryview(raw)
        for start in range(0, len(raw), size):
            yield bytes(view[start : start + size])

    def _inflated(self, data: bytes) -> Iterator[bytes]:
        while True:
            stream = self._stream
            if stream is None or stream.eof:
                if not data:
                    return
                if stream is not None and self._wbits != _GZIP_WBITS:
                    raise zlib.error("data after the end of the deflate stream")
                stream = self._stream = zlib.decompressobj(self._wbits)  # type: ignore[arg-type]
            # Never more than a piece, nor more than one byte past the allowance.
            limit = min(self._piece_bytes, self._left + 1)
            out = stream.decompress(data, limit)
            if out:
                self._left -= len(out)
                if self._left < 0:
                    raise _too_large(self._max_bytes)
                yield out
            data = stream.unused_data if stream.eof else stream.unconsumed_tail
            # A full piece with no input left may still have output waiting inside zlib.
            if not data and len(out) < limit:
                return
