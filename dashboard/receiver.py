"""The built-in webhook receiver: `POST /hooks/ceox/<secret>` on the dashboard's own port.

`app.py` hands `routes()` to `st.App`, so `streamlit run app.py` serves it beside the pages. Each
tenant (`Workspace.workspace_id`, see dashboard/tenants.py) gets a random secret (kept in the private
data directory); the secret in the path names the tenant, and any other path answers 404. A request is
checked in this order: secret (404), size (413 over 1 MiB), JSON (400, for anything that does not
parse, however deeply nested), an `event` name (422), then an event type other than the documented
`message.received` is answered 202 and ignored (the service may add types; refusing them would only
make it retry), then the documented fields and types (422). Identifiers over their size cap are
refused (422); the free texts (`name`, `body`) are cut to theirs. Only the documented fields are
stored, per tenant, the newest `KEEP` events within `BUDGET_BYTES`, and the conversation they name is
marked changed for the analytics sync (`dashboard.sync.mark_changed`), so its next refresh re-reads it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dashboard import validation
from dashboard.storage.database import Database, shared_database
from dashboard.sync import mark_changed

DB_NAME = "receiver.sqlite"
PATH = "/hooks/ceox/{secret}"
MAX_BODY = 1024 * 1024
KEEP = 1000  # events per tenant
SHOWN = 50  # the newest events the page loads on each refresh
PREVIEW_CHARS = 200  # of each text the page shows
BUDGET_BYTES = 4 * 1024 * 1024  # stored payload bytes per tenant, whatever the count
EVENT = "message.received"  # the one documented event type
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
LOOPBACK = ("127.0.0.1", "localhost")

# The documented `message.received` payload (docs/contract.md, "Webhook delivery"): field -> type.
PAYLOAD_FIELDS: dict[str, type] = {
    "event": str, "conversation_id": int, "from": str, "name": str, "wa_message_id": str, "body": str,
    "media_type": str, "media_url": str, "is_group": bool, "timestamp": str,
}
# What a message.received event cannot do without; the other fields may be missing or null.
REQUIRED = ("event", "conversation_id", "from", "wa_message_id", "timestamp")
# Characters a text field may have. Free text beyond its cap is cut (TRUNCATED); an identifier or an
# address beyond its cap is refused, since a cut one would name something else.
MAX_CHARS = {"event": 100, "from": 64, "wa_message_id": 200, "media_type": 32, "timestamp": 64,
             "media_url": 2048, "name": 256, "body": 4096}
TRUNCATED = ("name", "body")
MAX_ID = 2**53  # ids beyond what JSON numbers carry exactly are not real ids (and overflow SQLite)

SCHEMA = """
CREATE TABLE IF NOT EXISTS receiver_secrets (
    workspace_id TEXT PRIMARY KEY, secret TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, received_at TEXT NOT NULL, event TEXT NOT NULL,
    conversation_id INTEGER, wa_message_id TEXT NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_workspace ON events (workspace_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS events_once ON events (workspace_id, wa_message_id) WHERE wa_message_id != '';
"""
_served = False


def _db() -> Database:
    """Its SQLite file, or the database the replicas share (dashboard/storage/database.py)."""
    return shared_database(DB_NAME, SCHEMA)


def _now() -> str:
    return datetime.now(UTC).strftime(TIME_FORMAT)


# --- secrets ------------------------------------------------------------------------------------------

def secret_for(workspace_id: str) -> str:
    """The workspace's receiver secret, created on first use."""
    with _db().transaction() as db:
        db.execute("INSERT INTO receiver_secrets (workspace_id, secret, created_at) VALUES (?,?,?)"
                   " ON CONFLICT DO NOTHING", (workspace_id, secrets.token_urlsafe(24), _now()))
        return db.value("SELECT secret FROM receiver_secrets WHERE workspace_id = ?", (workspace_id,))


def workspace_for(secret: str) -> str | None:
    """The workspace a secret belongs to, or None."""
    if not secret or len(secret) > 100:
        return None
    with _db().transaction() as db:
        return db.value("SELECT workspace_id FROM receiver_secrets WHERE secret = ?", (secret,))


def path_for(secret: str) -> str:
    return PATH.format(secret=secret)


def url_for(base_url: str, secret: str) -> str:
    """The receiver's full URL under the dashboard's public address (scheme://host[:port])."""
    return base_url.rstrip("/") + path_for(secret)


def public_address(*, configured: str, workspace_url: str, page_url: str | None, host_header: str | None,
                   server_port: int) -> str:
    """Where the CEOX service can reach this dashboard: the address the operator configured; for a service
    on this machine (the sandbox), the loopback address; else the address the browser used."""
    if configured.strip():
        return configured.strip().rstrip("/")
    page = urlsplit(page_url or "")
    port = page.port or server_port
    if urlsplit(workspace_url).hostname in LOOPBACK:
        return f"http://127.0.0.1:{port}"
    if page.scheme and page.netloc:
        return f"{page.scheme}://{page.netloc}"
    return f"http://{host_header}" if host_header else f"http://127.0.0.1:{port}"


def reachability_problem(receiver_url: str, workspace_url: str) -> str | None:
    """Why the workspace's service could not deliver to `receiver_url`, or None."""
    problem = validation.webhook_url(receiver_url)
    if problem:
        return problem
    if urlsplit(receiver_url).hostname in LOOPBACK and urlsplit(workspace_url).hostname not in LOOPBACK:
        return f"{urlsplit(workspace_url).hostname} cannot reach this machine's loopback address."
    return None


# --- validation ---------------------------------------------------------------------------------------

def _has_type(value: Any, kind: type) -> bool:
    if kind is int:  # JSON true/false are bools, which Python also counts as int
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _is_timestamp(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_event(data: Any) -> str | None:
    """Why `data` is not an event of the documented shape, or None. Unknown extra fields are allowed (and
    not stored); an event type other than `EVENT` is not checked further, since it is not stored."""
    if not isinstance(data, dict):
        return "the body must be a JSON object"
    event = data.get("event")
    if not isinstance(event, str) or not event.strip() or len(event) > MAX_CHARS["event"]:
        return "event must be a non-empty string"
    if event != EVENT:
        return None
    missing = [name for name in REQUIRED if data.get(name) is None]
    if missing:
        return f"missing field(s): {', '.join(missing)}"
    wrong = [f"{name} must be {kind.__name__}" for name, kind in PAYLOAD_FIELDS.items()
             if data.get(name) is not None and not _has_type(data[name], kind)]
    if wrong:
        return "; ".join(wrong)
    if not 0 <= data["conversation_id"] <= MAX_ID:
        return f"conversation_id must be a whole number from 0 to {MAX_ID}"
    too_long = [f"{name} is over {limit:,} characters" for name, limit in MAX_CHARS.items()
                if name not in TRUNCATED and len(data.get(name) or "") > limit]
    if too_long:
        return "; ".join(too_long)
    if not _is_timestamp(data["timestamp"]):
        return "timestamp must be an RFC 3339 time, like 2026-06-21T08:15:00Z"
    return None


def fit_text(text: str, limit: int) -> str:
    """`text` cut to `limit` characters (ending in "…" when cut), without lone surrogates: legal in JSON
    text, not in UTF-8, they would break the page that shows the event."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def stored_fields(event: dict) -> dict:
    """What is kept of a checked event: the documented fields only, free texts cut to their caps."""
    kept = {name: event[name] for name in PAYLOAD_FIELDS if event.get(name) is not None}
    return {name: fit_text(value, MAX_CHARS[name]) if isinstance(value, str) else value
            for name, value in kept.items()}


# --- storage ------------------------------------------------------------------------------------------

# Drops a tenant's oldest events beyond the newest `keep`, and beyond the newest that fit in the budget.
def _prune_sql(db: Database) -> str:
    """Parameters: tenant, tenant, keep, budget."""
    return f"""DELETE FROM events WHERE workspace_id = ? AND id IN (
    SELECT id FROM (
        SELECT id, ROW_NUMBER() OVER newest AS position, SUM({db.dialect.byte_length("payload")}) OVER newest AS total
        FROM events WHERE workspace_id = ? WINDOW newest AS (ORDER BY id DESC)) AS ranked
    WHERE position > ? OR total > ?)"""


def store_event(workspace_id: str, event: dict, keep: int = KEEP, budget: int = BUDGET_BYTES) -> bool:
    """Store a checked event (dropping the oldest beyond `keep` events or `budget` bytes) and mark its
    conversation changed for the analytics sync; False when the event was stored already (a redelivery),
    whose mark is then renewed."""
    event = stored_fields(event)
    database = _db()
    # One tenant's deliveries one at a time: each prune sees the events before it.
    with database.transaction(lock=f"events:{workspace_id}") as db:
        stored = db.execute(
            "INSERT INTO events (workspace_id, received_at, event, conversation_id, wa_message_id, payload)"
            " VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
            (workspace_id, _now(), event["event"], event.get("conversation_id"),
             str(event.get("wa_message_id") or ""), json.dumps(event))) == 1
        if stored:
            db.execute(_prune_sql(database), (workspace_id, workspace_id, keep, budget))
    conversation_id = event.get("conversation_id")
    # A test event names no real conversation (id 0).
    if isinstance(conversation_id, int) and conversation_id > 0:
        mark_changed(workspace_id, [conversation_id])
    return stored


def _scope(db: Database, conversation_ids: Collection[int] | None) -> tuple[str, tuple]:
    """SQL narrowing events to these conversations (None: every event of the tenant)."""
    if conversation_ids is None:
        return "", ()
    return f" AND {db.dialect.ids_in('conversation_id')}", (db.dialect.ids(conversation_ids),)


def recent_events(workspace_id: str, limit: int = 100, conversation_ids: Collection[int] | None = None) -> list[dict]:
    """The newest events first (of these conversations only, unless None): each the stored payload plus `id`
    and `received_at`."""
    database = _db()
    where, params = _scope(database, conversation_ids)
    with database.transaction() as db:
        rows = db.rows(f"SELECT id, received_at, payload FROM events WHERE workspace_id = ?{where}"
                       " ORDER BY id DESC LIMIT ?", (workspace_id, *params, limit))
    return [{**json.loads(row["payload"]), "id": row["id"], "received_at": row["received_at"]} for row in rows]


def newest_event_id(workspace_id: str) -> int:
    """The id of the tenant's newest stored event (0 for none): it grows with every new event, where the
    count stops at `KEEP` once the oldest are dropped, so pages watch this to notice new messages."""
    database = _db()
    with database.transaction() as db:
        return db.value("SELECT COALESCE(MAX(id), 0) AS n FROM events WHERE workspace_id = ?", (workspace_id,))


def event_count(workspace_id: str, conversation_ids: Collection[int] | None = None) -> int:
    database = _db()
    where, params = _scope(database, conversation_ids)
    with database.transaction() as db:
        return db.value(f"SELECT COUNT(*) AS n FROM events WHERE workspace_id = ?{where}", (workspace_id, *params))


# --- HTTP ---------------------------------------------------------------------------------------------

def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message} if status >= 400 else {"ok": True, "detail": message}, status)


async def _read_body(request: Request) -> bytes | None:
    """The body, or None as soon as it is known to exceed MAX_BODY."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def receive(request: Request) -> JSONResponse:
    workspace_id = await run_in_threadpool(workspace_for, request.path_params["secret"])
    if workspace_id is None:
        return _answer(404, "not found")
    body = await _read_body(request)
    if body is None:
        return _answer(413, f"the body is over {MAX_BODY // 1024} KiB")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # bytes that are not UTF-8; nesting too deep to parse
        return _answer(400, "the body is not JSON")
    problem = check_event(data)
    if problem:
        return _answer(422, problem)
    if data["event"] != EVENT:
        return _answer(202, f"ignored: only {EVENT} events are recorded")
    stored = await run_in_threadpool(store_event, workspace_id, data)
    return _answer(200, "stored" if stored else "already stored")


def routes() -> list[Route]:
    """The receiver's routes, for `st.App(..., routes=routes())`."""
    global _served
    _served = True
    return [Route(PATH, receive, methods=["POST"])]


def is_served() -> bool:
    """Whether this process serves the receiver (it does under `streamlit run app.py`, not in AppTest)."""
    return _served
