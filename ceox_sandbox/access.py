"""Who is calling: API key or user token, their capabilities and the inboxes they may see."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace

from fastapi import Request

from ceox_sandbox import secrets
from ceox_sandbox.capabilities import CAPABILITIES
from ceox_sandbox.errors import ApiError
from ceox_sandbox.state import Host, Sandbox
from ceox_sandbox.store import loads_list

AUTH_HINT = "send `Authorization: ceox_<key>` (API key, no Bearer) or `Authorization: Bearer <token>`"


@dataclass(frozen=True)
class Caller:
    kind: str  # "api_key" | "user"
    capabilities: frozenset[str]
    inbox_ids: frozenset[int] | None  # None: every inbox (API key or inbox.view_all)
    user_id: int | None = None
    role_id: int | None = None
    api_key_id: int | None = None
    # The caller's own workspace: every route reads and writes only its database.
    workspace: Sandbox | None = field(default=None, compare=False, repr=False)

    def require(self, capability: str) -> None:
        if capability not in self.capabilities:
            raise ApiError(403, f"your role lacks {capability}", capability=capability)

    def require_api_key(self) -> None:
        if self.kind != "api_key":
            raise ApiError(403, "sandbox endpoints need an API key, not a user token")

    def sees_inbox(self, inbox_id: int | None) -> bool:
        return self.inbox_ids is None or (inbox_id is not None and inbox_id in self.inbox_ids)

    def scope(self, column: str) -> tuple[str, list[int]]:
        """An SQL condition limiting `column` (an inbox id) to what this caller may see."""
        if self.inbox_ids is None:
            return "1", []
        ids = sorted(self.inbox_ids)
        return f"{column} IN ({','.join('?' * len(ids))})" if ids else "0", ids


def authenticate(request: Request) -> Caller:
    """FastAPI dependency: the caller, or 401 with a sentence that says how to fix it."""
    return identify(request.app.state.host, request.headers.get("authorization", ""))


def identify(host: Host, header: str) -> Caller:
    """The caller an Authorization header names, in whichever workspace holds its credential."""
    header = header.strip()
    if not header:
        raise ApiError(401, f"missing Authorization header: {AUTH_HINT}")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        if token.startswith(secrets.API_KEY_PREFIX):
            raise ApiError(401, "API keys are sent without the Bearer prefix: `Authorization: ceox_<key>`")
        for workspace in host.workspaces:  # each workspace signs with its own secret
            user_id = secrets.token_user_id(workspace.store, token)
            if user_id is not None:
                with workspace.store.tx() as db:
                    return replace(user_caller(db, user_id), workspace=workspace)
        raise ApiError(401, "invalid or expired token: sign in again")
    if header.startswith(secrets.API_KEY_PREFIX):
        key_hash = secrets.hash_api_key(header)
        for workspace in host.workspaces:
            with workspace.store.tx() as db:
                row = db.execute("SELECT id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
                                 (key_hash,)).fetchone()
            if row is not None:
                return Caller("api_key", frozenset(CAPABILITIES), None, api_key_id=row["id"], workspace=workspace)
        raise ApiError(401, "invalid or revoked API key")
    raise ApiError(401, f"unrecognised Authorization header: {AUTH_HINT}")


def user_caller(db: sqlite3.Connection, user_id: int) -> Caller:
    row = db.execute("SELECT u.id, u.role_id, r.capabilities FROM users u JOIN roles r ON r.id = u.role_id"
                     " WHERE u.id = ?", (user_id,)).fetchone()
    if row is None:
        raise ApiError(401, "this token's user no longer exists")
    capabilities = frozenset(loads_list(row["capabilities"]))
    inbox_ids = None
    if "inbox.view_all" not in capabilities:
        inbox_ids = frozenset(r[0] for r in db.execute(
            "SELECT inbox_id FROM inbox_members WHERE user_id = ?", (user_id,)))
    return Caller("user", capabilities, inbox_ids, user_id=row["id"], role_id=row["role_id"])
