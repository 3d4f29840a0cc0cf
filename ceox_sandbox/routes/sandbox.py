"""Sandbox-only endpoints (outside `/api/v1`): simulate inbound messages, delivery log, API keys, faults."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ceox_sandbox import messaging, secrets, views
from ceox_sandbox.errors import bad_request, conflict, not_found
from ceox_sandbox.routes.common import ERRORS, CallerDep, PathId, SandboxDep, no_content
from ceox_sandbox.schemas import (
    MAX_ID,
    ApiKey,
    ApiKeyBody,
    Delivery,
    Faults,
    FaultsBody,
    InboundBody,
    NewApiKey,
    RequestCounts,
    SendResult,
)
from ceox_sandbox.store import now_iso

router = APIRouter(prefix="/sandbox", responses=ERRORS, tags=["sandbox"])


def webhook_payload(conversation: dict, message: dict) -> dict:
    """The documented `message.received` payload."""
    return {"event": "message.received", "conversation_id": conversation["id"],
            "from": conversation["contact_phone"], "name": conversation["contact_name"],
            "wa_message_id": message["wa_message_id"], "body": message["body"],
            "media_type": message["media_type"], "media_url": message["media_url"],
            "is_group": conversation["is_group"], "timestamp": message["timestamp"]}


@router.post("/inbound", status_code=201, response_model=SendResult)
def simulate_inbound(body: InboundBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require_api_key()
    if not body.body.strip() and not body.media_type:
        raise bad_request("send a body, a media_type, or both")
    with sandbox.store.tx() as db:
        if not views.devices(db, caller, "id = ?", (body.device_id,)):
            raise bad_request(f"device_id {body.device_id} does not exist (see GET /devices)")
        contact_id = messaging.contact_for(db, body.from_, body.name)
        conversation_id = messaging.conversation_for(db, contact_id, body.device_id, body.is_group)
        message = messaging.append_message(db, conversation_id, from_me=False, body=body.body,
                                           media=messaging.placeholder_media(body.media_type))
        conversation = views.visible_conversation(db, caller, conversation_id)
    sandbox.webhooks.publish("message.received", webhook_payload(conversation, message))
    return {"conversation_id": conversation_id, "message": message}


@router.get("/deliveries", response_model=list[Delivery])
def list_deliveries(sandbox: SandboxDep, caller: CallerDep,
                    webhook_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None):
    caller.require_api_key()
    where, params = ("webhook_id = ?", (webhook_id,)) if webhook_id else ("1", ())
    with sandbox.store.tx() as db:
        rows = db.execute(f"SELECT * FROM deliveries WHERE {where} ORDER BY id", params)
        return [dict(r) for r in rows]


@router.get("/api-keys", response_model=list[ApiKey])
def list_api_keys(sandbox: SandboxDep, caller: CallerDep):
    caller.require_api_key()
    with sandbox.store.tx() as db:
        rows = db.execute("SELECT id, name, key_prefix, created_at, revoked_at FROM api_keys ORDER BY id")
        return [dict(r) for r in rows]


def create_api_key(sandbox, name: str, key: str | None = None) -> dict:
    """Store a key (only its hash and a short prefix); the full key is returned this once."""
    key = key or secrets.new_api_key()
    with sandbox.store.tx() as db:
        key_id = db.execute("INSERT INTO api_keys (name, key_hash, key_prefix, created_at) VALUES (?,?,?,?)",
                            (name, secrets.hash_api_key(key), key[:9], now_iso())).lastrowid
    return {"id": key_id, "name": name, "key": key}


@router.post("/api-keys", status_code=201, response_model=NewApiKey)
def new_api_key(body: ApiKeyBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require_api_key()
    return create_api_key(sandbox, body.name)


@router.delete("/api-keys/{key_id}", status_code=204)
def revoke_api_key(key_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    caller.require_api_key()
    with sandbox.store.tx() as db:
        row = db.execute("SELECT revoked_at FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        if row is None:
            raise not_found("API key", key_id)
        active = db.execute("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL").fetchone()[0]
        if row["revoked_at"] is None and active == 1:
            raise conflict("this is the last active API key: create another before revoking it")
        db.execute("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", (now_iso(), key_id))
    return no_content()


@router.get("/faults", response_model=Faults)
def get_faults(sandbox: SandboxDep, caller: CallerDep):
    caller.require_api_key()
    return sandbox.faults.as_dict()


@router.post("/faults", response_model=Faults)
def set_faults(body: FaultsBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require_api_key()
    sandbox.faults.configure(**body.model_dump())
    return sandbox.faults.as_dict()


@router.get("/requests", response_model=RequestCounts)
def served_requests(sandbox: SandboxDep, caller: CallerDep):
    """How many requests each `/api/v1` path has served since the sandbox started (every workspace's)."""
    caller.require_api_key()
    return {"counts": sandbox.faults.served_counts()}
