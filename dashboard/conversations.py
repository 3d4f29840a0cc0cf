"""Conversations and sending: list filters, thread rows, attachment checks, and media fetched server-side.

Media behind `media_url` needs the credential, so the dashboard fetches the bytes itself and hands
them to the page; the credential never goes into a URL the browser sees, and only to the service's
own host.
"""

from __future__ import annotations

import enum
import mimetypes
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

import httpx
import pandas as pd

from ceox_api.errors import RequestRefused
from ceox_api.models import Conversation, Device, Inbox, Message
from dashboard.connection import Workspace
from dashboard.device_history import relative_time
from dashboard.outbound import same_origin_url
from dashboard.storage import private_db

MIB = 1024 * 1024
# WhatsApp's media limits (docs/contract.md, "Behaviour"): 16 MiB for images, audio and video, 100 MiB for documents.
LIMITS = {"image": 16 * MIB, "audio": 16 * MIB, "video": 16 * MIB, "sticker": 16 * MIB, "document": 100 * MIB}
# The types WhatsApp delivers, by kind.
ALLOWED_TYPES = {
    "image/jpeg": "image", "image/png": "image", "image/webp": "sticker",
    "audio/aac": "audio", "audio/amr": "audio", "audio/mpeg": "audio", "audio/mp4": "audio", "audio/ogg": "audio",
    "video/mp4": "video", "video/3gpp": "video",
    "application/pdf": "document", "text/plain": "document", "text/csv": "document",
    "application/msword": "document", "application/vnd.ms-excel": "document",
    "application/vnd.ms-powerpoint": "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "document",
}
# For the file picker: the extensions of the types above.
UPLOAD_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "aac", "amr", "mp3", "m4a", "ogg", "opus", "mp4", "3gp",
                     "pdf", "txt", "csv", "doc", "docx", "xls", "xlsx", "ppt", "pptx"]
_EXTRA_TYPES = {".opus": "audio/ogg", ".m4a": "audio/mp4", ".amr": "audio/amr", ".3gp": "video/3gpp"}
STATUS_FILTERS = {"Open": "open", "Solved": "solved", "All": "all"}
TIME_FORMAT = "%Y-%m-%d %H:%M"
MAX_BODY = 4096  # characters in a message body (WhatsApp's limit)


# --- the list -----------------------------------------------------------------------------------------

PAGE_SIZE = 50  # rows of the list at once: a large workspace pages instead of sending thousands of rows


def filter_conversations(conversations: Iterable[Conversation], *, status: str = "all",
                         device_ids: Sequence[int] = (), inbox_ids: Sequence[int] = (), unread_only: bool = False,
                         query: str = "") -> list[Conversation]:
    """The conversations matching every given filter, latest activity first; `status` is a value of
    STATUS_FILTERS and `query` searches contact names and phones."""
    needle = query.strip().lower()
    digits = "".join(ch for ch in needle if ch.isdigit())
    kept = []
    for c in conversations:
        if status != "all" and c.status != status:
            continue
        if device_ids and c.device_id not in device_ids:
            continue
        if inbox_ids and c.inbox_id not in inbox_ids:
            continue
        if unread_only and c.unread <= 0:
            continue
        if needle and needle not in c.contact_name.lower() and needle not in c.contact_phone.lower() and not (
                digits and len(digits) >= 3 and digits in c.contact_phone):
            continue
        kept.append(c)
    return sorted(kept, key=_activity, reverse=True)


def _activity(conversation: Conversation) -> tuple[datetime, int]:
    return conversation.last_message_at or datetime.min.replace(tzinfo=UTC), conversation.id


def linked_id(value: str | None) -> int | None:
    """The conversation number of a `?conversation=` link, or None when it is not one."""
    text = (value or "").strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    number = int(text)
    return number if number > 0 else None


@dataclass(frozen=True)
class ListPage:
    """The rows the list shows: one page of the filtered conversations, with the open conversation
    always among them (pinned first when the filters or the page leave it out), so that the list,
    the picker and the thread name the same conversation."""

    rows: list[Conversation]
    page: int  # 0-based, clamped
    pages: int
    pinned: bool  # the open conversation is shown first although the filters or the page leave it out


def list_page(shown: Sequence[Conversation], page: int, open_conversation: Conversation | None,
              size: int = PAGE_SIZE) -> ListPage:
    pages = max(1, -(-len(shown) // size))
    page = min(max(page, 0), pages - 1)
    rows = list(shown[page * size:(page + 1) * size])
    pinned = open_conversation is not None and all(c.id != open_conversation.id for c in rows)
    if pinned:
        rows.insert(0, open_conversation)
    return ListPage(rows, page, pages, pinned)


def page_of(shown: Sequence[Conversation], conversation_id: int, size: int = PAGE_SIZE) -> int | None:
    """The page that holds a conversation, or None when the filters leave it out."""
    position = next((i for i, c in enumerate(shown) if c.id == conversation_id), None)
    return None if position is None else position // size


def conversations_frame(conversations: Sequence[Conversation], inboxes: Sequence[Inbox],
                        now: datetime | None = None) -> pd.DataFrame:
    """One row per conversation for the list; `unread` is empty (no badge) when everything was read."""
    now = now or datetime.now(UTC)
    inbox_names = {i.id: i.name for i in inboxes}
    rows = [{"id": c.id, "contact": c.contact_name or c.contact_phone, "unread": c.unread or None,
             "last": relative_time(c.last_message_at, now) if c.last_message_at else "",
             "last_message": c.last_message, "status": c.status, "inbox": inbox_names.get(c.inbox_id, ""),
             "device": c.device_name, "phone": c.contact_phone, "group": c.is_group}
            for c in conversations]
    columns = ["id", "contact", "unread", "last", "last_message", "status", "inbox", "device", "phone", "group"]
    return pd.DataFrame(rows, columns=columns).astype({"id": "Int64", "unread": "Int64", "group": "boolean"})


def label(conversation: Conversation) -> str:
    """One line naming a conversation, for a select box (shown as plain text)."""
    who = conversation.contact_name or conversation.contact_phone
    unread = f" · {conversation.unread} unread" if conversation.unread else ""
    return (f"#{conversation.id} · {who} · {conversation.contact_phone} · {conversation.device_name}"
            f" · {conversation.status}{unread}")


def device_label(device: Device) -> str:
    state = "" if device.status in ("", "connected") else f" ({device.status})"
    return f"{device.name} · {device.phone}{state}"


# --- the thread ---------------------------------------------------------------------------------------

class Sender(enum.Enum):
    CONTACT = "contact"
    AGENT = "agent"  # a person, named through the users list
    DASHBOARD = "dashboard"  # sent from this dashboard (with an API key the service names no sender)
    AUTOMATED = "automated"  # outbound with no sender: a bot, an integration or another API client


@dataclass(frozen=True)
class ThreadEntry:
    message: Message
    sender: Sender
    who: str
    when: str
    quoted: Message | None  # the message this one replies to, when it is in the thread
    quoted_missing: bool  # replies to a message that is not in the thread


def thread(messages: Sequence[Message], contact: str, agents: Mapping[int, str],
           sent_here: Collection[int] = (), zone: tzinfo = UTC) -> list[ThreadEntry]:
    """Thread rows, oldest first: who wrote each message (agents by name, `agents` mapping user ids to
    names) and when, in `zone`."""
    by_wa_id = {m.wa_message_id: m for m in messages if m.wa_message_id}
    entries = []
    for m in messages:
        quoted = by_wa_id.get(m.reply_to) if m.reply_to else None
        agent = (agents.get(m.sender_user_id) or f"Agent #{m.sender_user_id}") if m.sender_user_id else ""
        if not m.from_me:
            sender, who = Sender.CONTACT, contact or "Contact"
        elif m.id in sent_here:
            sender, who = Sender.DASHBOARD, f"{agent} · from this dashboard" if agent else "From this dashboard"
        elif agent:
            sender, who = Sender.AGENT, agent
        else:
            sender, who = Sender.AUTOMATED, "Automated"
        when = m.timestamp.astimezone(zone).strftime(TIME_FORMAT) if m.timestamp else ""
        entries.append(ThreadEntry(m, sender, who, when, quoted, bool(m.reply_to) and quoted is None))
    return entries


def snippet(message: Message, length: int = 80) -> str:
    text = message.body or (f"[{message.media_type}]" if message.media_type else "")
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


# Which messages this dashboard sent, per tenant: with an API key the service records no sender, so
# without this a reply typed here would read as automated.
_SENT_SCHEMA = """CREATE TABLE IF NOT EXISTS sent (
    workspace_id TEXT NOT NULL, conversation_id INTEGER NOT NULL, message_id INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id, message_id))"""


def remember_sent(workspace_id: str, conversation_id: int, message_id: int) -> None:
    db = private_db("dashboard_sends.sqlite")
    try:
        db.execute(_SENT_SCHEMA)
        db.execute("INSERT OR IGNORE INTO sent VALUES (?, ?, ?)", (workspace_id, conversation_id, message_id))
    finally:
        db.close()


def sent_here(workspace_id: str, conversation_id: int) -> frozenset[int]:
    db = private_db("dashboard_sends.sqlite")
    try:
        db.execute(_SENT_SCHEMA)
        rows = db.execute("SELECT message_id FROM sent WHERE workspace_id = ? AND conversation_id = ?",
                          (workspace_id, conversation_id)).fetchall()
    finally:
        db.close()
    return frozenset(int(r["message_id"]) for r in rows)


# --- attachments --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attachment:
    data: bytes
    mime: str
    filename: str
    kind: str


def mime_of(filename: str, declared: str | None) -> str:
    """The declared type when it is one WhatsApp takes, else the one the file name's extension implies."""
    declared = (declared or "").split(";")[0].strip().lower()
    if declared in ALLOWED_TYPES:
        return declared
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return _EXTRA_TYPES.get(extension) or mimetypes.guess_type(filename)[0] or declared


def check_attachment(filename: str, declared_mime: str | None, data: bytes) -> tuple[Attachment | None, str | None]:
    """(the attachment, None) when it may be sent, else (None, why not)."""
    mime = mime_of(filename, declared_mime)
    kind = ALLOWED_TYPES.get(mime)
    if kind is None:
        return None, (f"{filename} is of type {mime or 'unknown'}, which WhatsApp does not take. Send JPEG or PNG "
                      "images, MP4 or 3GP video, AAC, AMR, MP3, M4A or OGG audio, or PDF, text and Office documents.")
    if not data:
        return None, f"{filename} is empty."
    limit = LIMITS[kind]
    if len(data) > limit:
        return None, (f"{filename} is {len(data) / MIB:.1f} MiB; {kind} files may be at most {limit // MIB} MiB.")
    return Attachment(data, mime, filename, kind), None


def check_body(body: str, attachment: Attachment | None) -> str | None:
    if not body.strip() and attachment is None:
        return "Type a message or attach a file."
    if len(body) > MAX_BODY:
        return f"The message is {len(body):,} characters long; at most {MAX_BODY:,} are allowed."
    return None


# --- media behind media_url ---------------------------------------------------------------------------

class MediaError(Exception):
    """Why a media file could not be fetched, as a sentence."""


# Types the page may play or show, by kind; anything else (text/html, image/svg+xml, …) is only ever
# offered as a download of application/octet-stream, so the browser never renders it on our origin.
PLAYABLE_TYPES = {
    "image": frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"}),
    "sticker": frozenset({"image/webp", "image/png"}),
    "audio": frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav",
                        "audio/webm"}),
    "video": frozenset({"video/mp4", "video/3gpp", "video/webm"}),
}
DOWNLOAD_TYPE = "application/octet-stream"


def playable_type(kind: str, *declared: str | None) -> str | None:
    """The first declared type that is on the allow-list for this kind of media, else None."""
    allowed = PLAYABLE_TYPES.get(kind, frozenset())
    for mime in declared:
        clean = (mime or "").split(";")[0].strip().lower()
        if clean in allowed:
            return clean
    return None


def fetch_media(workspace: Workspace, media_url: str, *, max_bytes: int = 100 * MIB,
                timeout: float = 30.0) -> tuple[bytes, str]:
    """(bytes, declared mime type) of a message's media, fetched with the workspace's credential.

    Only from the workspace's own origin and through its outbound policy: a `media_url` comes from
    the service and could otherwise point the dashboard at anything its server can reach.
    """
    try:
        address = same_origin_url(workspace.base_url, media_url)
        with workspace.policy().http_client(timeout=timeout) as http, \
                http.stream("GET", address, headers={"Authorization": workspace.credential.header}) \
                as response:
            if response.status_code != 200:
                raise MediaError(f"The service answered {response.status_code} for this file.")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise MediaError(f"The file is larger than {max_bytes // MIB} MiB.")
                chunks.append(chunk)
            mime = response.headers.get("content-type", DOWNLOAD_TYPE).split(";")[0].strip()
    except RequestRefused as exc:
        raise MediaError(exc.message) from None
    except httpx.HTTPError:
        raise MediaError("The file could not be fetched: the service did not answer.") from None
    return b"".join(chunks), mime
