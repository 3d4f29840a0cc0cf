"""Reading objects out of the database in the contract's shape (see `schemas` for the fields)."""

from __future__ import annotations

import sqlite3

from ceox_sandbox.access import Caller
from ceox_sandbox.errors import not_found
from ceox_sandbox.store import loads_list

CONVERSATION_SELECT = """
SELECT c.id, c.contact_id, k.name AS contact_name, k.phone AS contact_phone, c.is_group,
       c.device_id, d.name AS device_name, d.phone AS device_phone, d.inbox_id,
       c.last_message, c.last_message_at, c.unread, c.status, c.created_at, c.solved_at
FROM conversations c JOIN contacts k ON k.id = c.contact_id JOIN devices d ON d.id = c.device_id
"""
MESSAGE_COLUMNS = ("id, conversation_id, wa_message_id, from_me, body, media_type, media_url, media_mime,"
                   " media_filename, reply_to, status, sender_user_id, timestamp")
DEVICE_COLUMNS = "id, name, phone, wa_jid, status, inbox_id, last_seen_at"


def conversation(row: sqlite3.Row) -> dict:
    return {**dict(row), "is_group": bool(row["is_group"])}


def message(row: sqlite3.Row) -> dict:
    return {**dict(row), "from_me": bool(row["from_me"])}


def conversations(db: sqlite3.Connection, caller: Caller, where: str = "1", params: tuple = (),
                  limit: int = -1, offset: int = 0) -> list[dict]:
    scope, scope_params = caller.scope("d.inbox_id")
    rows = db.execute(f"{CONVERSATION_SELECT} WHERE {scope} AND ({where})"
                      " ORDER BY c.last_message_at DESC, c.id DESC LIMIT ? OFFSET ?",
                      (*scope_params, *params, limit, offset))
    return [conversation(r) for r in rows]


def visible_conversation(db: sqlite3.Connection, caller: Caller, conversation_id: int) -> dict:
    """The conversation, or 404 when it does not exist or lies outside the caller's inboxes."""
    found = conversations(db, caller, "c.id = ?", (conversation_id,))
    if not found:
        raise not_found("conversation", conversation_id)
    return found[0]


def message_by_id(db: sqlite3.Connection, message_id: int) -> dict:
    return message(db.execute(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)).fetchone())


def thread(db: sqlite3.Connection, conversation_id: int) -> list[dict]:
    rows = db.execute(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?"
                      " ORDER BY timestamp, id", (conversation_id,))
    return [message(r) for r in rows]


def devices(db: sqlite3.Connection, caller: Caller, where: str = "1", params: tuple = ()) -> list[dict]:
    scope, scope_params = caller.scope("inbox_id")
    rows = db.execute(f"SELECT {DEVICE_COLUMNS} FROM devices WHERE {scope} AND ({where}) ORDER BY id",
                      (*scope_params, *params))
    return [dict(r) for r in rows]


def visible_device(db: sqlite3.Connection, caller: Caller, device_id: int) -> dict:
    found = devices(db, caller, "id = ?", (device_id,))
    if not found:
        raise not_found("device", device_id)
    return found[0]


def contacts(db: sqlite3.Connection, caller: Caller, query: str = "") -> list[dict]:
    where, params = "1", []
    if caller.inbox_ids is not None:
        # A scoped user sees the contacts that have a conversation in one of their inboxes.
        scope, params = caller.scope("d.inbox_id")
        where = ("id IN (SELECT c.contact_id FROM conversations c JOIN devices d ON d.id = c.device_id"
                 f" WHERE {scope})")
    if query:
        where += " AND (instr(lower(name), lower(?)) > 0 OR instr(phone, ?) > 0)"
        params = [*params, query, query]
    rows = db.execute(f"SELECT id, name, phone, created_at FROM contacts WHERE {where} ORDER BY id", params)
    return [dict(r) for r in rows]


def users(db: sqlite3.Connection, where: str = "1", params: tuple = ()) -> list[dict]:
    rows = db.execute(
        "SELECT u.id, u.name, u.email, u.role_id, r.name AS role_name, u.status, u.created_at,"
        " u.last_seen_at, (SELECT json_group_array(inbox_id) FROM (SELECT inbox_id FROM inbox_members"
        "  WHERE user_id = u.id ORDER BY inbox_id)) AS inbox_ids"
        f" FROM users u JOIN roles r ON r.id = u.role_id WHERE {where} ORDER BY u.id", params)
    return [{**dict(r), "inbox_ids": loads_list(r["inbox_ids"])} for r in rows]


def user(db: sqlite3.Connection, user_id: int) -> dict:
    found = users(db, "u.id = ?", (user_id,))
    if not found:
        raise not_found("user", user_id)
    return found[0]


def roles(db: sqlite3.Connection, where: str = "1", params: tuple = ()) -> list[dict]:
    rows = db.execute("SELECT r.id, r.name, r.is_system, r.capabilities,"
                      " (SELECT COUNT(*) FROM users u WHERE u.role_id = r.id) AS user_count"
                      f" FROM roles r WHERE {where} ORDER BY r.id", params)
    return [{**dict(r), "is_system": bool(r["is_system"]), "capabilities": loads_list(r["capabilities"])}
            for r in rows]


def role(db: sqlite3.Connection, role_id: int) -> dict:
    found = roles(db, "r.id = ?", (role_id,))
    if not found:
        raise not_found("role", role_id)
    return found[0]


def inboxes(db: sqlite3.Connection, caller: Caller, where: str = "1", params: tuple = ()) -> list[dict]:
    scope, scope_params = caller.scope("i.id")
    rows = db.execute(
        "SELECT i.id, i.name, i.description, i.color,"
        " (SELECT json_group_array(user_id) FROM (SELECT user_id FROM inbox_members"
        "  WHERE inbox_id = i.id ORDER BY user_id)) AS member_ids,"
        " (SELECT json_group_array(id) FROM (SELECT id FROM devices WHERE inbox_id = i.id ORDER BY id))"
        "  AS device_ids"
        f" FROM inboxes i WHERE {scope} AND ({where}) ORDER BY i.id", (*scope_params, *params))
    return [{**dict(r), "member_ids": loads_list(r["member_ids"]), "device_ids": loads_list(r["device_ids"])}
            for r in rows]


def visible_inbox(db: sqlite3.Connection, caller: Caller, inbox_id: int) -> dict:
    found = inboxes(db, caller, "i.id = ?", (inbox_id,))
    if not found:
        raise not_found("inbox", inbox_id)
    return found[0]


def webhooks(db: sqlite3.Connection, where: str = "1", params: tuple = ()) -> list[dict]:
    rows = db.execute(f"SELECT id, url, events, active, created_at FROM webhooks WHERE {where} ORDER BY id",
                      params)
    return [{**dict(r), "events": loads_list(r["events"]), "active": bool(r["active"])} for r in rows]
