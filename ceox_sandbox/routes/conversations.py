"""Conversations, their messages, and the two send endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ceox_sandbox import messaging, views
from ceox_sandbox.errors import bad_request, conflict
from ceox_sandbox.routes.common import ERRORS, CallerDep, PathId, SandboxDep, no_content
from ceox_sandbox.schemas import (
    MAX_ID,
    Conversation,
    ConversationMessageBody,
    Message,
    SendBody,
    SendResult,
    StatusBody,
)
from ceox_sandbox.store import now_iso

router = APIRouter(responses=ERRORS, tags=["conversations"])


def _connected(device: dict) -> None:
    if device["status"] != "connected":
        raise conflict(f"device {device['id']} ({device['name']}) is disconnected: reconnect it first")


@router.get("/conversations", response_model=list[Conversation])
def list_conversations(sandbox: SandboxDep, caller: CallerDep,
                       status: Literal["open", "solved", "all"] = "open",
                       limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
                       offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0):
    where, params = ("1", ()) if status == "all" else ("c.status = ?", (status,))
    with sandbox.store.tx() as db:
        return views.conversations(db, caller, where, params, limit or -1, offset)


@router.get("/conversations/{conversation_id}/messages", response_model=list[Message])
def list_messages(conversation_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    with sandbox.store.tx() as db:
        views.visible_conversation(db, caller, conversation_id)
        return views.thread(db, conversation_id)


@router.post("/conversations/{conversation_id}/messages", status_code=201, response_model=Message)
def send_in_conversation(conversation_id: PathId, body: ConversationMessageBody, sandbox: SandboxDep,
                         caller: CallerDep):
    caller.require("chats.send")
    media = messaging.decode_media(body.MediaBase64, body.MediaMime, body.MediaFilename)
    if not body.Body.strip() and media is None:
        raise bad_request("Body is required when no media is sent")
    with sandbox.store.tx() as db:
        conversation = views.visible_conversation(db, caller, conversation_id)
        _connected(views.visible_device(db, caller, conversation["device_id"]))
        messaging.check_reply_to(db, conversation_id, body.ReplyTo)
        return messaging.append_message(db, conversation_id, from_me=True, body=body.Body, media=media,
                                        reply_to=body.ReplyTo, sender_user_id=caller.user_id)


@router.post("/conversations/{conversation_id}/read", status_code=204)
def mark_read(conversation_id: PathId, sandbox: SandboxDep, caller: CallerDep):
    caller.require("chats.send")
    with sandbox.store.tx() as db:
        views.visible_conversation(db, caller, conversation_id)
        db.execute("UPDATE conversations SET unread = 0 WHERE id = ?", (conversation_id,))
    return no_content()


@router.post("/conversations/{conversation_id}/status", response_model=Conversation)
def set_status(conversation_id: PathId, body: StatusBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("chats.send")
    with sandbox.store.tx() as db:
        current = views.visible_conversation(db, caller, conversation_id)
        if current["status"] != body.status:
            solved_at = now_iso() if body.status == "solved" else None
            db.execute("UPDATE conversations SET status = ?, solved_at = ? WHERE id = ?",
                       (body.status, solved_at, conversation_id))
        return views.visible_conversation(db, caller, conversation_id)


def _sending_device(db, caller, body: SendBody) -> dict:
    """The device to send from: `device_id`, else `from` (wa_jid or phone), else the first connected."""
    if body.device_id is not None:
        found = views.devices(db, caller, "id = ?", (body.device_id,))
        if not found:  # an id in the body is bad input (400), like every other endpoint's body ids
            raise bad_request(f"device_id {body.device_id} does not exist (see GET /devices)")
        device = found[0]
        if body.from_ and body.from_ not in (device["wa_jid"], device["phone"]):
            raise bad_request("device_id and from name different devices: send only one of them")
        return device
    if body.from_:
        found = views.devices(db, caller, "wa_jid = ? OR phone = ?", (body.from_, body.from_))
        if not found:
            raise bad_request(f"from {body.from_!r} is not one of your devices (give its wa_jid or phone)")
        return found[0]
    connected = views.devices(db, caller, "status = 'connected'")
    if not connected:
        raise conflict("no connected device you may send from")
    return connected[0]


@router.post("/messages/send", status_code=201, response_model=SendResult, tags=["messages"])
def send_to_number(body: SendBody, sandbox: SandboxDep, caller: CallerDep):
    caller.require("chats.send")
    media = messaging.decode_media(body.media_base64, body.media_mime, body.media_filename)
    if not body.body.strip() and media is None:
        raise bad_request("body is required for a text message (or send media_base64 with media_mime)")
    with sandbox.store.tx() as db:
        device = _sending_device(db, caller, body)
        _connected(device)
        contact_id = messaging.contact_for(db, body.to, body.name)
        conversation_id = messaging.conversation_for(db, contact_id, device["id"])
        message = messaging.append_message(db, conversation_id, from_me=True, body=body.body, media=media,
                                           sender_user_id=caller.user_id)
    return {"conversation_id": conversation_id, "message": message}
