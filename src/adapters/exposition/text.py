"""Exposition bytes to text, chunk by chunk, refusing a body that is not text.

Valid UTF-8 costs one strict decode per chunk, nothing more. Only a chunk
that fails it is decoded again with ``surrogateescape`` (so a stray invalid
byte in a label still reaches the parser, which counts that line as
malformed) and its invalid bytes are counted; the rule of
``domain.agent.scrape_checks.not_text`` judges the count once the body is
read, so the verdict does not depend on where the chunks were cut. A NUL
byte is looked for with one ``bytes.find`` per chunk and refused at once: no
text exposition contains one, nearly every binary body does within its first bytes.
"""

from __future__ import annotations

import codecs
import re

from application.ports.agent import ScrapeError
from domain.agent.scrape_checks import Refusal, has_nul, not_text

_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def refuse(refusal: Refusal) -> ScrapeError:
    return ScrapeError(refusal.message, refusal.reason)


class TextDecoder:
    """UTF-8 across chunks cut anywhere (even inside a character); raises ``ScrapeError``
    (reason ``not_text``) at a NUL byte, and from :meth:`final` when the body is not text."""

    def __init__(self) -> None:
        # The incremental decoder keeps its undecoded tail when a decode raises, so the
        # same chunk can be decoded again with another error handler.
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._bytes_read = 0
        self.invalid_bytes = 0

    def decode(self, chunk: bytes) -> str:
        nul = chunk.find(b"\0")
        if nul >= 0:
            raise refuse(has_nul(self._bytes_read + nul))
        self._bytes_read += len(chunk)
        try:
            return self._decoder.decode(chunk)
        except UnicodeDecodeError:
            return self._escaped(chunk, final=False)

    def final(self) -> str:
        """What is left at the end of the body (an unfinished character), once the whole body
        is known to be text."""
        try:
            rest = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            rest = self._escaped(b"", final=True)
        refusal = not_text(self.invalid_bytes, self._bytes_read)
        if refusal is not None:
            raise refuse(refusal)
        return rest

    def _escaped(self, chunk: bytes, final: bool) -> str:
        decoder = self._decoder
        decoder.errors = "surrogateescape"
        try:
            text = decoder.decode(chunk, final)
        finally:
            decoder.errors = "strict"
        self.invalid_bytes += len(_ESCAPED_BYTE.findall(text))
        return text
