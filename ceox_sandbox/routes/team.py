"""Sign-in, the caller's own account, users and roles."""

from __future__ import annotations

import json
import sqlite3

from fastapi import APIRouter

from ceox_sandbox import secrets, views
from ceox_sandbox.capabilities import CAPABILITIES
from ceox_sandbox.errors import ApiError, bad_request, conflict
from ceox_sandbox.routes.common import ERRORS, CallerDep, HostDep, PathId, SandboxDep, changes, no_content
from ceox_sandbox.schemas import (
    LoginBody,
    LoginResult,
    Me,
    MyPasswordBody,
    PasswordBody,
    Role,
    RoleCreateBody,
    RoleUpdateBody,
    User,
    UserCreateBody,
    UserUpdateBody,
)
from ceox_sandbox.state import Host, Sandbox
from ceox_sandbox.store import now_iso

router = APIRouter(responses=ERRORS)


# ---- sign-in and me -------------------------------------------------------------------------

@router.post("/auth/login", response_model=LoginResult, tags=["auth"])
def login(body: LoginBody, host: HostDep):
    email = body.email.strip()
    for sandbox in host.workspaces:  # an email names one workspace (see _check_email_free)
        with sandbox.store.tx() as db:
            row = db.execute("SELECT id, password_hash FROM users WHERE email = ?", (email,)).fetchone()
        if row is not None:
            break
    # The same answer for an unknown email and a wrong password: never reveal who has an account.
    if row is None or not secrets.check_password(body.password, row["password_hash"]):
        raise ApiError(401, "wrong email or password")
    with sandbox.store.tx() as db:
        db.execute("UPDATE users SET last_seen_at = ? WHERE id = ?", (now_iso(), row["id"]))
        user = views.user(db, row["id"])
    return {"token": secrets.issue_token(sandbox.store, row["id"]), "user": user}


@router.get("/me", response_model=Me, tags=["me"])
def me(sandbox: SandboxDep, caller: CallerDep):
    if caller.kind == "api_key":
        return {"kind": "api_key", "user": None, "role": None, "capabilities": list(CAPABILITIES)}
    with sandbox.store.tx() as db:
        return {"kind": "user", "user": views.user(db, caller.user_id), "role": views.role(db, caller.role_id),
                "capabilities": sorted(caller.capabilities)}


@router.put("/me/password", status_code=204, tags=["me"])
def change_my_password(body: MyPasswordBody, sandbox: SandboxDep, caller: CallerDep):
    if caller.user_id is None:
        raise bad_request("an API key has no password: sign in as a user to change yours")
    with sandbox.store.tx() as db:
        stored = db.execute("SELECT password_hash FROM users WHERE id = ?", (caller.user_id,)).fetchone()
        if not secrets.check_password(body.current_password, stored["password_hash"]):
            raise bad_request("current_password is wrong")
        db.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                   (secrets.hash_password(body.new_password), caller.user_id))
    return no_content()


# ---- users ----------------------------------------------------------------------------------

def _check_refs(db: sqlite3.Connection, role_id: int | None, inbox_ids: list[int] | None) -> None:
    if role_id is not None and not db.execute("SELECT 1 FROM roles WHERE id = ?", (role_id,)).fetchone():
        raise bad_request(f"role_id {role_id} does not exist (see GET /roles)")
    known = {r[0] for r in db.execute("SELECT id FROM inboxes")}
    missing = sorted(set(inbox_ids or ()) - known)
    if missing:
        raise bad_request(f"inbox_ids {', '.join(map(str, missing))} do not exist (see GET /inboxes)")


def _check_email_free(host: Host, email: str, own: Sandbox, user_id: int = 0) -> None:
    """Sign-in finds the workspace by email alone, so an email is taken in every workspace at once.
    Call it holding `host.accounts_lock` and outside any transaction, which lock only one database each."""
    for sandbox in host.workspaces:
        mine = user_id if sandbox is own else 0
        with sandbox.store.tx() as db:
            if db.execute("SELECT 1 FROM users WHERE email = ? AND id != ?", (email, mine)).fetchone():
                raise conflict(f"a user with email {email} already exists")


def _set_memberships(db: sqlite3.Connection, user_id: int, inbox_ids: list[int]) -> None:
    db.execute("DELETE FROM inbox_members WHERE user_id = ?", (user_id,))
    db.executemany("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)",
                   [(inbox_id, user_id) for inbox_id in sorted(set(inbox_ids))])


@router.get("/users", response_model=list[User], tags=["users"])
def list_users(sandbox: SandboxDep, caller: CallerDep):
    caller.require("users.manage")
    with sandbox.store.tx() as db:
        return views.users(db)


@router.post("/users", status_code=201, response_model=User, tags=["users"])
def create_user(body: UserCreateBody, sandbox: SandboxDep, caller: CallerDep, host: HostDep):
    caller.require("users.manage")
    password_hash = secrets.hash_password(body.password)
    with host.accounts_lock:
        _check_email_free(host, body.email, sandbox)
        return _insert_user(sandbox, body, password_hash)


def _insert_user(sandbox: Sandbox, body: UserCreateBody, password_hash: str) -> dict:
    with sandbox.store.tx() as db:
        _check_refs(db, body.role_id, body.inbox_ids)
        user_id = db.execute("INSERT INTO users (name, email, password_hash, role_id, status, created_at)"
                             " VALUES (?, ?, ?, ?, 'offline', ?)",
                             (body.name, body.email, password_hash, body.role_id, now_iso())).lastrowid
        _set_memberships(db, user_id, body.inbox_ids)
        return views.user(db, user_id)


@router.put("/users/{user_id}", response_model=User, tags=["users"])
@router.patch("/users/{user_id}", response_model=User, tags=["users"],
               include_in_schema=False)  # the sandbox also accepts PATCH
def update_user(user_id: PathId, body: UserUpdateBody, sandbox: SandboxDep, caller: CallerDep, host: HostDep):
    caller.require("users.manage")
    sent = changes(body)
    with host.accounts_lock:
        if "email" in sent:
            with sandbox.store.tx() as db:
                views.user(db, user_id)  # 404 before 409
            _check_email_free(host, sent["email"], sandbox, user_id)
        return _update_user(sandbox, user_id, sent)


def _update_user(sandbox: Sandbox, user_id: int, sent: dict) -> dict:
    inbox_ids = sent.pop("inbox_ids", None)
    with sandbox.store.tx() as db:
        views.user(db, user_id)
        _check_refs(db, sent.get("role_id"), inbox_ids)
        if sent:
            assignments = ", ".join(f"{name} = ?" for name in sent)
            db.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*sent.values(), user_id))
        if inbox_ids is not None:
            _set_memberships(db, user_id, inbox_ids)
        return views.user(db, user_id)


@router.delete("/users/{user_id}", status_code=204, tags=["users"])
def delete_user(user_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    caller.require("users.manage")
    if user_id == caller.user_id:
        raise bad_request("you cannot delete your own user")
    with sandbox.store.tx() as db:
        views.user(db, user_id)
        db.execute("DELETE FROM users WHERE id = ?", (user_id,))
    return no_content()


@router.put("/users/{user_id}/password", status_code=204, tags=["users"])
def set_user_password(user_id: PathId, body: PasswordBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("users.manage")
    password_hash = secrets.hash_password(body.password)
    with sandbox.store.tx() as db:
        views.user(db, user_id)
        db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
    return no_content()


# ---- roles ----------------------------------------------------------------------------------

def _check_role_name_free(db: sqlite3.Connection, name: str, role_id: int = 0) -> None:
    if db.execute("SELECT 1 FROM roles WHERE name = ? AND id != ?", (name, role_id)).fetchone():
        raise conflict(f"a role named {name} already exists")


@router.get("/roles", response_model=list[Role], tags=["roles"])
def list_roles(sandbox: SandboxDep, caller: CallerDep):
    with sandbox.store.tx() as db:
        return views.roles(db)


@router.post("/roles", status_code=201, response_model=Role, tags=["roles"])
def create_role(body: RoleCreateBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("roles.manage")
    with sandbox.store.tx() as db:
        _check_role_name_free(db, body.name)
        role_id = db.execute("INSERT INTO roles (name, is_system, capabilities) VALUES (?, 0, '[]')",
                             (body.name,)).lastrowid
        return views.role(db, role_id)


@router.put("/roles/{role_id}", response_model=Role, tags=["roles"])
@router.patch("/roles/{role_id}", response_model=Role, tags=["roles"],
               include_in_schema=False)  # the sandbox also accepts PATCH
def update_role(role_id: PathId, body: RoleUpdateBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("roles.manage")
    sent = changes(body)
    with sandbox.store.tx() as db:
        current = views.role(db, role_id)
        if "name" in sent and sent["name"] != current["name"]:
            if current["is_system"]:
                raise bad_request(f"{current['name']} is a system role: its name cannot change")
            _check_role_name_free(db, sent["name"], role_id)
            db.execute("UPDATE roles SET name = ? WHERE id = ?", (sent["name"], role_id))
        if "capabilities" in sent:
            db.execute("UPDATE roles SET capabilities = ? WHERE id = ?",
                       (json.dumps(sent["capabilities"]), role_id))
        return views.role(db, role_id)


@router.delete("/roles/{role_id}", status_code=204, tags=["roles"])
def delete_role(role_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    caller.require("roles.manage")
    with sandbox.store.tx() as db:
        current = views.role(db, role_id)
        if current["is_system"]:
            raise bad_request(f"{current['name']} is a system role and cannot be deleted")
        if current["user_count"]:
            raise conflict(f"role {current['name']} is still assigned to {current['user_count']} users")
        db.execute("DELETE FROM roles WHERE id = ?", (role_id,))
    return no_content()


