"""`--page-size N`: answer every list of `/api/v1` in pages, as many real services do.

A list answer becomes `{"items": [...first N...], "total": M, "next": "<cursor>"}`; the next page is
asked for with `?cursor=<cursor>`, and the last page has `"next": null`. The cursor is opaque to the
caller (an offset, signed so that only cursors this server gave are accepted). The list a first page
was cut from is kept for a little while, so that the following pages come from the same snapshot
(as a real cursor would) and are not computed again whole.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import OrderedDict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ceox_sandbox.faults import API_PREFIX

CURSOR_PARAM = "cursor"
SNAPSHOT_SECONDS = 60
MAX_SNAPSHOTS = 32


class Pager:
    def __init__(self, page_size: int) -> None:
        if page_size < 1:
            raise ValueError("the page size must be at least 1")
        self.page_size = page_size
        self._key = secrets.token_bytes(16)
        self._snapshots: OrderedDict[tuple[str, str, str], tuple[float, list]] = OrderedDict()

    def _cursor(self, offset: int) -> str:
        text = str(offset).encode()
        tag = hmac.new(self._key, text, hashlib.sha256).digest()[:8]
        return base64.urlsafe_b64encode(tag + text).decode().rstrip("=")

    def _offset(self, cursor: str) -> int | None:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except ValueError:
            return None
        tag, text = raw[:8], raw[8:]
        if not text.isdigit() or not hmac.compare_digest(tag, hmac.new(self._key, text, hashlib.sha256).digest()[:8]):
            return None
        return int(text)

    async def middleware(self, request: Request, call_next) -> Response:
        if request.method != "GET" or not request.url.path.startswith(API_PREFIX):
            return await call_next(request)
        cursor = request.query_params.get(CURSOR_PARAM)
        offset = 0 if cursor is None else self._offset(cursor)
        if offset is None:
            return JSONResponse({"error": "cursor: not one this server gave (ask for the first page again)"},
                                status_code=400)
        query = "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()) if k != CURSOR_PARAM)
        # The credential is part of the key: each caller sees only its own snapshots.
        key = (request.headers.get("authorization", ""), request.url.path, query)
        kept = self._snapshots.get(key) if cursor is not None else None
        if kept is not None and time.monotonic() - kept[0] < SNAPSHOT_SECONDS:
            items = kept[1]
        else:
            response = await call_next(request)
            if response.status_code != 200 or response.headers.get("content-type") != "application/json":
                return response
            body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
            items = json.loads(body)
            if not isinstance(items, list):
                return Response(body, status_code=200, media_type="application/json")
            self._snapshots[key] = (time.monotonic(), items)
            while len(self._snapshots) > MAX_SNAPSHOTS:
                self._snapshots.popitem(last=False)
        end = offset + self.page_size
        return JSONResponse({"items": items[offset:end], "total": len(items),
                             "next": self._cursor(end) if end < len(items) else None})
