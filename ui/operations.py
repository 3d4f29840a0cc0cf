"""Deployment settings read where Streamlit's secrets are: the shared database, the log format, the health route."""

from __future__ import annotations

import os

from starlette.routing import Route

from dashboard import health, logs
from dashboard.storage import database
from ui import settings
from ui.session import configured_credentials


def configure() -> None:
    """`[ceox] database_url` from secrets.toml (CEOX_DATABASE_URL wins) and `CEOX_LOG_FORMAT`."""
    database.configure(settings.text("database_url"))  # (CEOX_DATABASE_URL, read by database, wins)
    logs.configure(os.environ.get(logs.FORMAT_ENV))


def _ceox_base_url() -> str | None:
    configured = configured_credentials()
    return configured[0] if configured else None


def health_routes() -> list[Route]:
    return health.routes(_ceox_base_url)
