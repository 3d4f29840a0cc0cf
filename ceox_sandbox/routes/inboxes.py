"""Inboxes, their members and the devices assigned to them."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from fastapi import APIRouter

from ceox_sandbox import views
from ceox_sandbox.errors import bad_request, conflict, not_found
from ceox_sandbox.routes.common import ERRORS, CallerDep, PathId, SandboxDep, changes, no_content
from ceox_sandbox.schemas import DeviceAssignBody, Inbox, InboxCreateBody, InboxUpdateBody, MemberBody, User
from ceox_sandbox.store import now_iso

router = APIRouter(responses=ERRORS, tags=["inboxes"])


def _check_name_free(db: sqlite3.Connection, name: str, inbox_id: int = 0) -> None:
    if db.execute("SELECT 1 FROM inboxes WHERE name = ? AND id != ?", (name, inbox_id)).fetchone():
        raise conflict(f"an inbox named {name} already exists")


@router.get("/inboxes", response_model=list[Inbox])
def list_inboxes(sandbox: SandboxDep, caller: CallerDep):
    with sandbox.store.tx() as db:
        return views.inboxes(db, caller)


@router.post("/inboxes", status_code=201, response_model=Inbox)
def create_inbox(body: InboxCreateBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("inboxes.manage")
    with sandbox.store.tx() as db:
        _check_name_free(db, body.name)
        inbox_id = db.execute("INSERT INTO inboxes (name, description, color, created_at) VALUES (?, ?, ?, ?)",
                              (body.name, body.description, body.color.lower(), now_iso())).lastrowid
        # A scoped creator could not see the inbox it just made; membership gives it access.
        if caller.user_id is not None and caller.inbox_ids is not None:
            db.execute("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)", (inbox_id, caller.user_id))
        return views.inboxes(db, replace(caller, inbox_ids=None), "i.id = ?", (inbox_id,))[0]


@router.put("/inboxes/{inbox_id}", response_model=Inbox)
@router.patch("/inboxes/{inbox_id}", response_model=Inbox,
               include_in_schema=False)  # the sandbox also accepts PATCH
def update_inbox(inbox_id: PathId, body: InboxUpdateBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("inboxes.manage")
    sent = changes(body)
    with sandbox.store.tx() as db:
        views.visible_inbox(db, caller, inbox_id)
        if "name" in sent:
            _check_name_free(db, sent["name"], inbox_id)
        if "color" in sent:
            sent["color"] = sent["color"].lower()
        if sent:
            assignments = ", ".join(f"{name} = ?" for name in sent)
            db.execute(f"UPDATE inboxes SET {assignments} WHERE id = ?", (*sent.values(), inbox_id))
        return views.visible_inbox(db, caller, inbox_id)


@router.delete("/inboxes/{inbox_id}", status_code=204)
def delete_inbox(inbox_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    caller.require("inboxes.manage")
    with sandbox.store.tx() as db:
        views.visible_inbox(db, caller, inbox_id)
        db.execute("DELETE FROM inboxes WHERE id = ?", (inbox_id,))
    return no_content()


@router.get("/inboxes/{inbox_id}/members", response_model=list[User])
def list_members(inbox_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    with sandbox.store.tx() as db:
        views.visible_inbox(db, caller, inbox_id)
        return views.users(db, "u.id IN (SELECT user_id FROM inbox_members WHERE inbox_id = ?)", (inbox_id,))


@router.post("/inboxes/{inbox_id}/members", status_code=204)
def add_member(inbox_id: PathId, body: MemberBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("inboxes.manage")
    with sandbox.store.tx() as db:
        views.visible_inbox(db, caller, inbox_id)
        if not db.execute("SELECT 1 FROM users WHERE id = ?", (body.user_id,)).fetchone():
            raise bad_request(f"user_id {body.user_id} does not exist (see GET /users)")
        db.execute("INSERT OR IGNORE INTO inbox_members (inbox_id, user_id) VALUES (?, ?)",
                   (inbox_id, body.user_id))
    return no_content()


@router.delete("/inboxes/{inbox_id}/members/{user_id}", status_code=204)
def remove_member(inbox_id: PathId, user_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    caller.require("inboxes.manage")
    with sandbox.store.tx() as db:
        views.visible_inbox(db, caller, inbox_id)
        if not db.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone():
            raise not_found("user", user_id)
        db.execute("DELETE FROM inbox_members WHERE inbox_id = ? AND user_id = ?", (inbox_id, user_id))
    return no_content()


@router.post("/inboxes/{inbox_id}/devices", status_code=204)
def assign_device(inbox_id: PathId, body: DeviceAssignBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("inboxes.manage")
    with sandbox.store.tx() as db:
        views.visible_inbox(db, caller, inbox_id)
        device = db.execute("SELECT inbox_id FROM devices WHERE id = ?", (body.device_id,)).fetchone()
        # A device in another inbox the caller cannot see is as unknown as a missing one.
        if device is None or (device["inbox_id"] is not None and not caller.sees_inbox(device["inbox_id"])):
            raise bad_request(f"device_id {body.device_id} does not exist (see GET /devices)")
        db.execute("UPDATE devices SET inbox_id = ? WHERE id = ?", (inbox_id, body.device_id))
    return no_content()


@router.delete("/inboxes/{inbox_id}/devices/{device_id}", status_code=204)
def unassign_device(inbox_id: PathId, device_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    caller.require("inboxes.manage")
    with sandbox.store.tx() as db:
        views.visible_inbox(db, caller, inbox_id)
        if db.execute("UPDATE devices SET inbox_id = NULL WHERE id = ? AND inbox_id = ?",
                      (device_id, inbox_id)).rowcount == 0:
            raise not_found(f"device {device_id} in inbox", inbox_id)
    return no_content()
