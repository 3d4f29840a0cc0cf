"""The sandbox's FastAPI application: the CEOX API under `/api/v1`, plus `/media` and `/sandbox`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ceox_sandbox.body_limit import BodyLimit
from ceox_sandbox.errors import install_error_handlers
from ceox_sandbox.faults import API_PREFIX
from ceox_sandbox.paging import Pager
from ceox_sandbox.routes import conversations, directory, inboxes, media, sandbox, team, webhooks
from ceox_sandbox.state import Host

DESCRIPTION = """A local stand-in for the CEOX WhatsApp API (`https://api-wa.fantecno.net/api/v1`).
Authenticate with `Authorization: ceox_<key>` (API key, no Bearer) or `Authorization: Bearer <jwt>`
(a user token from `POST /api/v1/auth/login`)."""


def create_app(host: Host, page_size: int | None = None) -> FastAPI:
    """`page_size`: answer lists in pages of that many (see paging.py); None answers them whole."""
    app = FastAPI(title="CEOX sandbox", version="1", description=DESCRIPTION)
    app.state.host = host
    install_error_handlers(app)
    if page_size is not None:
        app.middleware("http")(Pager(page_size).middleware)
    app.middleware("http")(host.faults.middleware)
    app.add_middleware(BodyLimit, host=host)  # added last, so it runs first: before faults and routes
    for module in (conversations, directory, webhooks, team, inboxes, media):
        app.include_router(module.router, prefix=API_PREFIX)
    # media_url is relative ("/media/ab12.jpg"), so it is also served from the host root.
    app.include_router(media.router, include_in_schema=False)
    app.include_router(sandbox.router)

    @app.get("/healthz", tags=["sandbox"])
    def health() -> dict:
        return {"ok": True}

    app.openapi = lambda: _openapi_without_422(app)
    return app


def _openapi_without_422(app: FastAPI) -> dict:
    """FastAPI documents its own 422 on every endpoint; the sandbox answers bad input with 400."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema
