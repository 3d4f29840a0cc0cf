"""A shape-changing server: the sandbox's data, answered the way another service might answer it.

It stands between the client and a sandbox and rewrites each answer by the current `variant` (one of
`VARIANTS`, documented for users in docs/shapes.md): key spellings, envelopes, id and time formats,
dropped and extra fields, Go-style zero values, paging conventions, and error bodies.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
PAGE = 20
TIME_KEYS = ("_at", "timestamp", "time")
GATEWAY_PAGE = ("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
                "<p>The upstream server returned an invalid response.</p><hr><address>nginx</address></body></html>")


def _keys(value: Any, rename: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {rename(k): _keys(v, rename) for k, v in value.items()}
    if isinstance(value, list):
        return [_keys(v, rename) for v in value]
    return value


def _values(value: Any, change: Callable[[str, Any], Any], key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _values(v, change, k) for k, v in value.items()}
    if isinstance(value, list):
        return change(key, [_values(v, change, key) for v in value])
    return change(key, value)


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def pascal(key: str) -> str:
    return "".join("ID" if part == "id" else part.title() for part in key.split("_"))


def _is_time_key(key: str) -> bool:
    return key.endswith(TIME_KEYS)


def _epoch(key: str, value: Any) -> Any:
    if isinstance(value, str) and ISO.match(value):
        from datetime import datetime
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return value


def _offset(key: str, value: Any) -> Any:
    if isinstance(value, str) and ISO.match(value):
        from datetime import datetime, timedelta, timezone
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(
            timezone(timedelta(hours=7))).isoformat()
    return value


def _never(text: str) -> Callable[[str, Any], Any]:
    return lambda key, value: text if value is None and _is_time_key(key) else value


def _string_ids(key: str, value: Any) -> Any:
    if (key == "id" or key.endswith("_id")) and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if key.endswith("_ids") and isinstance(value, list):
        return [str(v) for v in value]
    return value


def _bool01(key: str, value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _null_lists(body: Any) -> Any:
    if body == []:
        return None
    if isinstance(body, dict):
        return {k: _null_lists(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_null_lists(v) for v in body]
    return body


def _omitempty(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _omitempty(v) for k, v in body.items() if v not in (False, 0, "", None, [])
                or isinstance(v, float) and v}
    if isinstance(body, list):
        return [_omitempty(v) for v in body]
    return body


def _extra(body: Any) -> Any:
    if isinstance(body, dict):
        return {**{k: _extra(v) for k, v in body.items()}, "x_internal": {"shard": 3, "tags": ["a"]}, "etag": "W/1"}
    if isinstance(body, list):
        return [_extra(v) for v in body]
    return body


DROPPED = ("sender_user_id", "solved_at", "inbox_id")


def _dropped(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _dropped(v) for k, v in body.items() if k not in DROPPED}
    if isinstance(body, list):
        return [_dropped(v) for v in body]
    return body


# Rewrites of a successful answer's JSON.
BODY_VARIANTS: dict[str, Callable[[Any], Any]] = {
    "plain": lambda body: body,
    "camel_case": lambda body: _keys(body, camel),
    "pascal_case": lambda body: _keys(body, pascal),
    "data_envelope": lambda body: {"data": body},
    "items_envelope": lambda body: {"items": body, "total": len(body)} if isinstance(body, list) else body,
    "string_ids": lambda body: _values(body, _string_ids),
    "epoch_times": lambda body: _values(body, _epoch),
    "offset_times": lambda body: _values(body, _offset),
    "extra_fields": _extra,
    "booleans_0_1": lambda body: _values(body, _bool01),
    "go_zero_times": lambda body: _values(body, _never("0001-01-01T00:00:00Z")),
    "empty_string_times": lambda body: _values(body, _never("")),
    "null_lists": _null_lists,
    "omitempty": _omitempty,
    "dropped_fields": _dropped,
}
PAGED_VARIANTS = ("cursor_pages", "link_pages", "laravel_pages")
ERROR_VARIANTS = ("pascal_errors", "nested_errors", "html_gateway")
VARIANTS = tuple(BODY_VARIANTS) + PAGED_VARIANTS + ERROR_VARIANTS


class ShapeProxy:
    """Serves `upstream` (a sandbox's root URL) on a loopback port, reshaped by `self.variant`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.variant = "plain"
        self._http = httpx.AsyncClient(timeout=60)
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        self._thread: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def __enter__(self) -> ShapeProxy:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the shape proxy did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    async def _handle(self, request: Request) -> Response:
        variant = self.variant
        path = request.url.path
        if variant == "html_gateway" and path.endswith("/wa/status"):
            return Response(GATEWAY_PAGE, status_code=502, media_type="text/html")
        params = dict(request.query_params)
        paging = {k: params.pop(k) for k in ("cursor", "page") if k in params}
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
        upstream = await self._http.request(request.method, self.upstream + path, params=params,
                                            content=await request.body(), headers=headers)
        if not upstream.content or "json" not in upstream.headers.get("content-type", ""):
            return Response(upstream.content, status_code=upstream.status_code,
                            media_type=upstream.headers.get("content-type"))
        body = upstream.json()
        if upstream.status_code >= 400:
            return self._error(variant, upstream.status_code, body, upstream.headers)
        if variant in BODY_VARIANTS and path.startswith("/api/v1"):
            body = BODY_VARIANTS[variant](body)
        extra: dict[str, str] = {}
        if variant in PAGED_VARIANTS and isinstance(body, list) and request.method == "GET":
            body, extra = self._page(variant, request, body, paging)
        return Response(json.dumps(body), status_code=upstream.status_code, media_type="application/json",
                        headers=extra)

    @staticmethod
    def _error(variant: str, status: int, body: Any, headers: httpx.Headers) -> Response:
        message, capability = body.get("error"), body.get("capability")
        if variant == "pascal_errors":
            body = {"Error": message, "Capability": capability, "Code": status}
        elif variant == "nested_errors":
            body = {"success": False, "error": {"code": status, "message": message,
                                                "details": {"capability": capability}}}
        kept = {k: v for k, v in headers.items() if k.lower() == "retry-after"}
        return Response(json.dumps(body), status_code=status, media_type="application/json", headers=kept)

    @staticmethod
    def _page(variant: str, request: Request, items: list, paging: dict[str, str]) -> tuple[Any, dict[str, str]]:
        base = str(request.url.remove_query_params(["cursor", "page"]))
        sep = "&" if "?" in base else "?"
        if variant == "cursor_pages":
            start = int(paging.get("cursor", "0"))
            more = start + PAGE < len(items)
            return {"data": items[start:start + PAGE], "meta": {"total": len(items),
                                                               "next_cursor": str(start + PAGE) if more else None}}, {}
        page = int(paging.get("page", "1"))
        chunk = items[(page - 1) * PAGE:page * PAGE]
        more = page * PAGE < len(items)
        if variant == "link_pages":
            return chunk, ({"Link": f'<{base}{sep}page={page + 1}>; rel="next"'} if more else {})
        last = max(1, -(-len(items) // PAGE))
        return {"current_page": page, "data": chunk, "last_page": last, "per_page": PAGE, "total": len(items),
                "next_page_url": f"{base}{sep}page={page + 1}" if more else None}, {}
