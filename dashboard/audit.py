"""The audit log: every change made through the dashboard (who, when, workspace, what, before → after,
outcome).

Kept locally, per tenant; secrets never enter it: callers pass no passwords, and anything shaped like
an API key or a token is masked before it is written. The actor is the signed-in user, or the API key
by its name (or, where the name is unknown, its last four characters).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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


def actor_of(workspace: Workspace, key_name: str | None = None) -> str:
    """Who acts: the user, or the API key by its name, else by its last four characters."""
    if workspace.kind == "token" or workspace.me.user is not None:
        return workspace.actor
    return f"API key “{key_name}”" if key_name else f"API key ending …{workspace.secret[-4:]}"


def _value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


def difference(before: Mapping[str, Any] | None, after: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """What changed, in words: "Role: Agent → Lead; Inboxes: added Support, removed Sales".

    Only the fields named in `labels` (so a password never enters); `before` None for a creation."""
    parts = []
    for name, label in labels.items():
        if name not in after:
            continue
        new, old = after[name], (before or {}).get(name)
        if isinstance(new, (list, tuple, set, frozenset)) and before is not None:
            added = sorted(set(new) - set(old or ()), key=str)
            removed = sorted(set(old or ()) - set(new), key=str)
            moves = [f"added {_value(added)}"] * bool(added) + [f"removed {_value(removed)}"] * bool(removed)
            if moves:
                parts.append(f"{label}: {'; '.join(moves)}")
        elif before is None:
            parts.append(f"{label}: {_value(new)}")
        elif _value(old) != _value(new):
            parts.append(f"{label}: {_value(old)} → {_value(new)}")
    return " · ".join(parts)


def record(workspace: Workspace, action: str, target: str, outcome: str, detail: str = "", *,
           key_name: str | None = None) -> None:
    """Add one entry; `outcome` is "ok" or the reason it failed; `detail` what changed (`difference`);
    `key_name` the API key's name when the caller knows it."""
    row = [datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), workspace.workspace_id,
           "demo" if workspace.demo else workspace.host, actor_of(workspace, key_name), action, target, outcome,
           detail]
    row = [mask_secrets(str(value), workspace.secret) for value in row]
    with _db().transaction() as db:
        db.execute("INSERT INTO audit (time, workspace_id, workspace, actor, action, target, outcome, detail)"
                   " VALUES (?,?,?,?,?,?,?,?)", row)


def entries(workspace: Workspace, limit: int = 5000) -> list[dict]:
    """This tenant's entries, newest first (other tenants' entries are never shown)."""
    with _db().transaction() as db:
        return db.rows("SELECT time, workspace, actor, action, target, outcome, detail FROM audit"
                       " WHERE workspace_id = ? ORDER BY id DESC LIMIT ?", (workspace.workspace_id, limit))
