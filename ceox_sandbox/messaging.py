"""Storing messages: shared by the two send endpoints and the simulated inbound message."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import secrets
import sqlite3
from dataclasses import dataclass

from ceox_sandbox import views
from ceox_sandbox.errors import ApiError, bad_request
from ceox_sandbox.store import now_iso

MIB = 1024 * 1024
# WhatsApp's limits: 16 MiB for images, audio and video, 100 MiB for documents.
MEDIA_LIMITS = {"image": 16 * MIB, "video": 16 * MIB, "audio": 16 * MIB, "sticker": 16 * MIB,
                "document": 100 * MIB}
PLACEHOLDER_MEDIA = {  # what `/sandbox/inbound` stores for a simulated media message
    "image": ("image/png", base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")),
    "video": ("video/mp4", b"\x00\x00\x00\x18ftypmp42"),
    "audio": ("audio/ogg", b"OggS\x00\x02"),
    "document": ("application/pdf", b"%PDF-1.4\n%%EOF\n"),
    "sticker": ("image/webp", b"RIFF\x00\x00\x00\x00WEBP"),
}


@dataclass(frozen=True)
class Media:
    media_type: str
    mime: str
    filename: str
    data: bytes


def media_type_of(mime: str) -> str:
    kind = mime.split("/", 1)[0].lower()
    if mime.lower() == "image/webp":
        return "sticker"
    return kind if kind in ("image", "video", "audio") else "document"


def decode_media(encoded: str, mime: str, filename: str) -> Media | None:
    """Validated media from a send body, or None when the body carries no media."""
    if not encoded:
        return None
    mime = mime.strip()
    if not mime:
        raise bad_request("media mime type is required with media, for example image/jpeg")
    if "/" not in mime or len(mime.split("/")) != 2 or any(c.isspace() for c in mime):
        raise bad_request(f"media mime type {mime[:80]!r} is not a type/subtype such as image/jpeg")
    media_type = media_type_of(mime)
    limit = MEDIA_LIMITS[media_type]
    # Four base64 characters carry three bytes: refuse oversized media before decoding it.
    if (len(encoded) // 4) * 3 - 2 > limit:
        raise _too_large(media_type, len(encoded) // 4 * 3)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("media is not valid base64") from None
    if not data:
        raise bad_request("media is empty")
    if len(data) > limit:
        raise _too_large(media_type, len(data))
    return Media(media_type, mime, filename.strip(), data)


def _too_large(media_type: str, size: int) -> ApiError:
    return ApiError(413, f"{media_type} is {size / MIB:.1f} MiB; the limit is {MEDIA_LIMITS[media_type] // MIB} MiB")


def placeholder_media(media_type: str) -> Media | None:
    if not media_type:
        return None
    mime, data = PLACEHOLDER_MEDIA[media_type]
    return Media(media_type, mime, "", data)


def _store_media(db: sqlite3.Connection, media: Media) -> str:
    extension = mimetypes.guess_extension(media.mime) or ".bin"
    name = secrets.token_hex(8) + extension
    db.execute("INSERT INTO media (name, mime, data) VALUES (?, ?, ?)", (name, media.mime, media.data))
    return f"/media/{name}"


def contact_for(db: sqlite3.Connection, phone: str, name: str) -> int:
    """The contact with this phone, created (named `name`, else the number) when new."""
    row = db.execute("SELECT id FROM contacts WHERE phone = ?", (phone,)).fetchone()
    if row:
        return row["id"]
    return db.execute("INSERT INTO contacts (name, phone, created_at) VALUES (?, ?, ?)",
                      (name.strip() or phone, phone, now_iso())).lastrowid


def conversation_for(db: sqlite3.Connection, contact_id: int, device_id: int, is_group: bool = False) -> int:
    """One conversation per contact per device: found, or created."""
    row = db.execute("SELECT id FROM conversations WHERE contact_id = ? AND device_id = ?",
                     (contact_id, device_id)).fetchone()
    if row:
        return row["id"]
    return db.execute("INSERT INTO conversations (contact_id, device_id, is_group, created_at)"
                      " VALUES (?, ?, ?, ?)", (contact_id, device_id, int(is_group), now_iso())).lastrowid


def check_reply_to(db: sqlite3.Connection, conversation_id: int, reply_to: str) -> None:
    if reply_to and not db.execute("SELECT 1 FROM messages WHERE conversation_id = ? AND wa_message_id = ?",
                                   (conversation_id, reply_to)).fetchone():
        raise bad_request(f"reply_to {reply_to[:80]!r} is not a message of this conversation")


def append_message(db: sqlite3.Connection, conversation_id: int, *, from_me: bool, body: str,
                   media: Media | None = None, reply_to: str = "", sender_user_id: int | None = None) -> dict:
    """Store a message and update its conversation; an inbound one reopens a solved conversation."""
    timestamp = now_iso()
    media_url = _store_media(db, media) if media else ""
    message_id = db.execute(
        "INSERT INTO messages (conversation_id, wa_message_id, from_me, body, media_type, media_url,"
        " media_mime, media_filename, reply_to, status, sender_user_id, timestamp)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (conversation_id, "3EB0" + secrets.token_hex(8).upper(), int(from_me), body,
         media.media_type if media else "", media_url, media.mime if media else "",
         media.filename if media else "", reply_to, "sent" if from_me else "received",
         sender_user_id if from_me else None, timestamp)).lastrowid
    preview = body or (f"[{media.media_type}]" if media else "")
    if from_me:
        db.execute("UPDATE conversations SET last_message = ?, last_message_at = ?, unread = 0"
                   " WHERE id = ?", (preview, timestamp, conversation_id))
    else:
        db.execute("UPDATE conversations SET last_message = ?, last_message_at = ?, unread = unread + 1,"
                   " status = 'open', solved_at = NULL WHERE id = ?", (preview, timestamp, conversation_id))
    return views.message_by_id(db, message_id)
