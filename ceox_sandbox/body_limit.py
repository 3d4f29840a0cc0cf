"""Request body limits, enforced before the body is read: a client never makes the server hold more
than the largest legal request, and without a valid credential never more than 1 MiB on any path."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ceox_sandbox.access import identify
from ceox_sandbox.errors import ApiError
from ceox_sandbox.faults import API_PREFIX
from ceox_sandbox.state import Host

MIB = 1024 * 1024
# Every request but a media send: the longest legal one is a message body of 65,536 characters written
# as JSON escapes (6 bytes each), well under 1 MiB.
SMALL_LIMIT = 1 * MIB
# A media send: the base64 of a 100 MiB document is 133.4 MiB, plus up to ~0.5 MiB of other fields.
MEDIA_LIMIT = 140 * MIB
MEDIA_SENDS = re.compile(rf"^{API_PREFIX}/(messages/send|conversations/[^/]+/messages)/?$")


def _too_large(limit: int) -> JSONResponse:
    # No `Connection: close`: closing with the upload unread resets the connection and the client may
    # never see this answer; uvicorn instead reads the rest of the body and drops it, holding none of it.
    return JSONResponse({"error": f"request body is too large: this endpoint accepts at most {limit // MIB} MiB"},
                        status_code=413)


class BodyLimit:
    """Pure ASGI middleware: read the body itself, counting, then hand it to the app in one piece."""

    def __init__(self, app: ASGIApp, host: Host) -> None:
        self.app = app
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = SMALL_LIMIT
        if scope["method"] == "POST" and MEDIA_SENDS.match(scope["path"]):
            # Only a caller with a valid credential may send a large body: check it before reading any.
            try:
                await run_in_threadpool(identify, self.host, headers.get("authorization", ""))
            except ApiError as exc:
                await exc.response()(scope, receive, send)
                return
            limit = MEDIA_LIMIT
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        chunks, size = [], 0
        while True:  # chunked bodies have no length: count what arrives
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, receive), send)


def _replay(chunks: list[bytes], receive: Receive) -> Receive:
    """A receive callable that gives the body's chunks as they came, then what the client sends next
    (a disconnect). The chunks are not joined here: the app joins them once, as it would have."""
    pending: list[Message] = [{"type": "http.request", "body": chunk, "more_body": index > 0}
                              for index, chunk in enumerate(reversed(chunks))]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
