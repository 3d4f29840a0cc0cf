"""Contacts, devices and device connection status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ceox_sandbox import views
from ceox_sandbox.errors import conflict
from ceox_sandbox.routes.common import ERRORS, CallerDep, SandboxDep
from ceox_sandbox.schemas import Contact, ContactBody, Device, WaStatus
from ceox_sandbox.store import now_iso

router = APIRouter(responses=ERRORS)


@router.get("/contacts", response_model=list[Contact], tags=["contacts"])
def list_contacts(sandbox: SandboxDep, caller: CallerDep,
                  q: Annotated[str, Query(max_length=200)] = ""):
    with sandbox.store.tx() as db:
        return views.contacts(db, caller, q.strip())


@router.post("/contacts", status_code=201, response_model=Contact, tags=["contacts"])
def create_contact(body: ContactBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("contacts.manage")
    with sandbox.store.tx() as db:
        if db.execute("SELECT 1 FROM contacts WHERE phone = ?", (body.phone,)).fetchone():
            raise conflict(f"a contact with phone {body.phone} already exists")
        contact_id = db.execute("INSERT INTO contacts (name, phone, created_at) VALUES (?, ?, ?)",
                                (body.name, body.phone, now_iso())).lastrowid
        return dict(db.execute("SELECT id, name, phone, created_at FROM contacts WHERE id = ?",
                               (contact_id,)).fetchone())


@router.get("/devices", response_model=list[Device], tags=["devices"])
def list_devices(sandbox: SandboxDep, caller: CallerDep):
    with sandbox.store.tx() as db:
        return views.devices(db, caller)


@router.get("/wa/status", response_model=WaStatus, tags=["devices"])
def wa_status(sandbox: SandboxDep, caller: CallerDep):
    with sandbox.store.tx() as db:
        found = views.devices(db, caller)
    return {"devices": [{"device_id": d["id"], "name": d["name"], "phone": d["phone"],
                         "connected": d["status"] == "connected", "status": d["status"],
                         "last_seen_at": d["last_seen_at"]} for d in found]}
