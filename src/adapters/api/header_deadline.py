"""Request headers must arrive within a deadline too: uvicorn's h11 server with a header timer.

uvicorn has no header timeout: its keep-alive timer is cancelled by every byte received, so a
client sending one header byte every 2 s holds its connection for ever (the ASGI app, and so
``BodyDeadline``, only sees a request once its headers are complete). This protocol closes a
connection whose next request's headers are not complete within ``header_timeout`` seconds of
the connection opening or of the previous response ending, answering 408 first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

_DETAIL = b'{"detail":"the request headers did not arrive within --body-timeout"}'
_TOO_SLOW = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
             b"content-length: " + str(len(_DETAIL)).encode() + b"\r\n\r\n" + _DETAIL)


class HeaderDeadlineProtocol(H11Protocol):
    """``uvicorn.run(..., http=functools.partial(HeaderDeadlineProtocol, header_timeout=10))``."""

    def __init__(self, *args: Any, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None
        self._waiting_after: object = None  # the cycle (request) before the one whose headers are awaited

    def _arm(self, waiting_after: object) -> None:
        self._disarm()
        self._waiting_after = waiting_after
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.cycle is self._waiting_after and not self.transport.is_closing():
            self.transport.write(_TOO_SLOW)
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(waiting_after=None)

    def handle_events(self) -> None:
        super().handle_events()
        if self._header_timer is not None and self.cycle is not self._waiting_after:
            self._disarm()  # a request's headers are complete: the body has its own deadline

    def on_response_complete(self) -> None:
        finished = self.cycle  # a pipelined request may start inside the call below
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm(waiting_after=finished)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
