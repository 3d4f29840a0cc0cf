"""The sandbox's FastAPI application: the CEOX API under `/api/v1`, plus `/media` and `/sandbox`."""

from __future__ import annotations

from fastapi import FastAPI

from ceox_sandbox.errors import install_error_handlers
from ceox_sandbox.faults import API_PREFIX
from ceox_sandbox.routes import conversations, directory, inboxes, media, sandbox, team, webhooks
from ceox_sandbox.state import Sandbox

DESCRIPTION = """A local stand-in for the CEOX WhatsApp API (`https://api-wa.fantecno.net/api/v1`).
Authenticate with `Authorization: ceox_<key>` (API key, no Bearer) or `Authorization: Bearer <jwt>`
(a user token from `POST /api/v1/auth/login`)."""


def create_app(state: Sandbox) -> FastAPI:
    app = FastAPI(title="CEOX sandbox", version="1", description=DESCRIPTION)
    app.state.sandbox = state
    install_error_handlers(app)
    app.middleware("http")(state.faults.middleware)
    for module in (conversations, directory, webhooks, team, inboxes, media):
        app.include_router(module.router, prefix=API_PREFIX)
    # media_url is relative ("/media/ab12.jpg"), so it is also served from the host root.
    app.include_router(media.router, include_in_schema=False)
    app.include_router(sandbox.router)

    @app.get("/healthz", tags=["sandbox"])
    def health() -> dict:
        return {"ok": True}

    return app
