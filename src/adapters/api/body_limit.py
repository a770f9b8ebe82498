"""Bodies of the routes that FastAPI reads whole (``PUT /api/v2/slo/targets``) are capped.

FastAPI buffers a body parameter's whole body before validating it, so without a cap a client
with a write token could make the master hold gigabytes. Ingest has its own limit
(``--max-body``, checked as it reads, also after gunzip) and is left to it. Past the cap the
route's read raises ``BodyTooLarge``: a 413 answered in the one error shape.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A target is a few hundred bytes; the largest useful body is far below this.
OTHER_BODY_LIMIT = 64 * 1024


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body larger than the limit of {limit} bytes",
                         headers={"Connection": "close"})


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int, exempt_paths: frozenset[str]) -> None:
        self.app = app
        self.limit = limit
        self.exempt_paths = exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length", b"")
        too_large_declared = declared.isdigit() and int(declared) > self.limit
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            if too_large_declared:
                raise BodyTooLarge(self.limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted_receive, send)
