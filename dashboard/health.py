"""`GET /healthz` on the dashboard's own port: is the shared database reachable, and the CEOX service?

For a load balancer or an orchestrator's probe: 200 when everything the replica needs answers, else 503;
the body names each dependency's state in one word (no address, user or error text: the route answers
anyone). The CEOX check asks the operator's base URL for any HTTP answer, without a credential, so it
costs the workspace nothing against its rate limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ceox_api.errors import RequestRefused
from dashboard.outbound import OutboundPolicy
from dashboard.storage import database

PATH = "/healthz"
TIMEOUT_S = 3.0
log = logging.getLogger(__name__)

State = Literal["ok", "unreachable", "local", "demo"]


@dataclass(frozen=True)
class Health:
    database: State  # "local": SQLite files, nothing to reach
    ceox: State  # "demo": no service configured, the built-in demo sandbox stands in

    @property
    def ok(self) -> bool:
        return "unreachable" not in (self.database, self.ceox)


def database_state() -> State:
    try:
        shared = database.postgres()
        if shared is None:
            return "local"
        shared.ping()
    except database.DatabaseUnavailable as exc:
        log.warning("health: %s", exc)
        return "unreachable"
    return "ok"


def ceox_state(base_url: str | None) -> State:
    if not base_url:
        return "demo"
    try:
        # The operator's own configuration, not a visitor's input: a service on a private address is allowed.
        with OutboundPolicy(allow_private=True).http_client(timeout=TIMEOUT_S) as http:
            http.get(base_url.rstrip("/") + "/me")
    except (httpx.HTTPError, RequestRefused):
        log.warning("health: the CEOX service does not answer")
        return "unreachable"
    return "ok"


def check(base_url: str | None) -> Health:
    return Health(database=database_state(), ceox=ceox_state(base_url))


def routes(base_url: Callable[[], str | None]) -> list[Route]:
    """The health route, for `st.App(..., routes=...)`; `base_url()` is the operator's CEOX base URL, or None."""
    async def healthz(_: Request) -> JSONResponse:
        health = await run_in_threadpool(check, base_url())
        return JSONResponse(asdict(health), status_code=200 if health.ok else 503,
                            headers={"Cache-Control": "no-store"})

    return [Route(PATH, healthz, methods=["GET"])]
