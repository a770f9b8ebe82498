"""Request bodies must arrive within a deadline (``--body-timeout``): slow senders are cut.

uvicorn waits for a body as long as bytes keep trickling in, so 500 clients sending a
byte every 2 s hold 500 connections (and their handlers) open for ever. This ASGI
middleware wraps ``receive`` for every route: the whole body must have arrived within
the deadline counted from the moment the request's headers were complete, else the
route's read raises ``BodyTimeout`` (an HTTP 408 answered with ``Connection: close``,
so uvicorn closes the connection). A large declared body gets one more second per
``MIN_BODY_RATE`` bytes, so that an agent's big snapshot over a thin link is not cut
every time (and, being re-sent in order, hold up every later one): a slow sender gains
at most ``--max-body / MIN_BODY_RATE`` seconds by declaring a large body. A route that
answers without reading its body (a
refused token, a GET with a body) answers with ``Connection: close`` too: uvicorn
would otherwise keep reading the unread body into a kept-alive connection.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_BODY_RATE = 128 * 1024  # bytes per second a declared body is allowed beyond the deadline


class BodyTimeout(HTTPException):
    """The body did not arrive in time; an ``HTTPException`` so that every route (FastAPI's body
    parsing re-raises these as they are) answers it with its status and headers."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            status_code=408,
            detail=f"the request body did not arrive within {seconds:g} s (--body-timeout, plus 1 s "
            f"per {MIN_BODY_RATE // 1024} KiB of its declared Content-Length)",
            headers={"Connection": "close"},
        )


def _declared_body(scope: Scope) -> int | None:
    """None when the request declares no body; else its Content-Length (0 when chunked, or not a number)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.strip()
            if text in (b"", b"0"):
                return None
            return int(text) if text.isdigit() else 0
        if name == b"transfer-encoding":
            return 0
    return None


class BodyDeadline:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = _declared_body(scope) if scope["type"] == "http" else None
        if length is None:
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        allowed = self.seconds + length / MIN_BODY_RATE
        deadline = loop.time() + allowed
        body_complete = False

        async def timed_receive() -> Message:
            nonlocal body_complete
            if body_complete:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(allowed) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not body_complete:
                message = _with_connection_close(message)
            await send(message)

        await self.app(scope, timed_receive, closing_send)


def _with_connection_close(message: Message) -> dict[str, Any]:
    headers = [(name, value) for name, value in message.get("headers", ()) if name.lower() != b"connection"]
    return {**message, "headers": [*headers, (b"connection", b"close")]}
