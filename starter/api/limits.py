"""How big a request may be: refused with 413 before it is read, never a 500 or a 503.

An order, an event or a setting is small; anything much larger is a mistake or an
attack, and would otherwise reach Temporal (which refuses payloads over 2 MB, and gRPC
messages over 4 MB, with errors that read like an outage). Bulk stock syncs are the one
large request, and never go to Temporal.
"""

from __future__ import annotations

import re

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from starter.api.errors import error_response

MAX_BODY_BYTES = 256 * 1024  # an order of 200 lines with long addresses is about 40 KiB
MAX_SYNC_BODY_BYTES = 32 * 1024 * 1024  # a whole location's counts, CSV or JSON
# The Temporal UI sends payloads to /codec to decode: one may be up to Temporal's 2 MB
# blob limit, 2.7 MB in base64; no Temporal message is over gRPC's 4 MB.
MAX_CODEC_BODY_BYTES = 4 * 1024 * 1024
_SYNC_PATH = re.compile(r"^/inventory/[^/]+/sync/?$")
_CODEC_PATH = re.compile(r"^/codec/(en|de)code/?$")


def body_limit(path: str) -> int:
    """The largest body ``path`` accepts, in bytes."""
    if _SYNC_PATH.match(path):
        return MAX_SYNC_BODY_BYTES
    if _CODEC_PATH.match(path):
        return MAX_CODEC_BODY_BYTES
    return MAX_BODY_BYTES


class LimitBodySize:
    """ASGI middleware: a body over the path's limit is answered 413, by its declared
    ``Content-Length`` at once, or (a streamed body without one) as soon as it passes the
    limit, before the route reads any of it."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit:
                await _too_large(limit)(scope, receive, send)
                return
            await self._app(scope, receive, send)  # the server holds it to its length
            return
        # Streamed: read it here, up to the limit, and hand the route what was read.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await _too_large(limit)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self._app(scope, replay, send)


def _too_large(limit: int) -> JSONResponse:
    return error_response(
        413,
        f"the request body is larger than {limit // 1024} KiB; shorten the longest fields "
        "(addresses, reasons, notes) or send fewer lines at once",
        "PayloadTooLarge",
    )
