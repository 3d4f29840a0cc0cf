"""The audit log: every change made through the dashboard (who, when, workspace, what, outcome).

Kept locally; secrets never enter it: callers pass no passwords, and anything shaped like an API
key or a token is masked before it is written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dashboard.connection import Workspace
from dashboard.storage.database import Database, shared_database

_SECRET_SHAPES = re.compile(r"ceox_[A-Za-z0-9_\-]{4,}|eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
SCHEMA = """CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, time TEXT NOT NULL, workspace_id TEXT NOT NULL, workspace TEXT NOT NULL,
    actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '')"""


def _db() -> Database:
    """Its SQLite file, or the database the replicas share (dashboard/storage/database.py)."""
    return shared_database("audit.sqlite", SCHEMA)


def mask_secrets(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "•••")
    return _SECRET_SHAPES.sub("•••", text)


def record(workspace: Workspace, action: str, target: str, outcome: str, detail: str = "") -> None:
    """Add one entry; `outcome` is "ok" or the reason it failed."""
    row = [datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), workspace.workspace_id,
           "demo" if workspace.demo else workspace.host, workspace.actor, action, target, outcome, detail]
    row = [mask_secrets(str(value), workspace.secret) for value in row]
    with _db().transaction() as db:
        db.execute("INSERT INTO audit (time, workspace_id, workspace, actor, action, target, outcome, detail)"
                   " VALUES (?,?,?,?,?,?,?,?)", row)


def entries(workspace: Workspace, limit: int = 5000) -> list[dict]:
    """This tenant's entries, newest first (other tenants' entries are never shown)."""
    with _db().transaction() as db:
        return db.rows("SELECT time, workspace, actor, action, target, outcome, detail FROM audit"
                       " WHERE workspace_id = ? ORDER BY id DESC LIMIT ?", (workspace.workspace_id, limit))
