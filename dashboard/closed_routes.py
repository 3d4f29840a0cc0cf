"""Streamlit routes the dashboard closes, because they would answer any visitor before the access gate.

`/_stcore/metrics` tells anyone who asks how many sessions are open, how much each cache holds and the
names of the cached functions. Streamlit 1.67 has no option to turn it off, so `st.App`'s middleware
(which runs before Streamlit's routes) answers 404 there instead.
"""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

CLOSED_PATHS = ("/_stcore/metrics",)  # also under `server.baseUrlPath`, and with a trailing slash


def closed(path: str) -> bool:
    trimmed = path.rstrip("/")
    return any(trimmed.endswith(suffix) for suffix in CLOSED_PATHS)


class CloseRoutes:
    """ASGI middleware: 404 for `CLOSED_PATHS`, everything else passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and closed(scope.get("path", "")):
            await PlainTextResponse("Not found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)
