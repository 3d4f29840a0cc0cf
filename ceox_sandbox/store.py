"""SQLite persistence for the sandbox: schema, one serialised connection, row → JSON helpers.

One connection guarded by a lock keeps `:memory:` databases working across the threads that
FastAPI runs sync endpoints in, and SQLite serialises writers anyway.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS inboxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '', color TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, phone TEXT NOT NULL UNIQUE, wa_jid TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL, inbox_id INTEGER REFERENCES inboxes(id) ON DELETE SET NULL,
    last_seen_at TEXT);
CREATE TABLE IF NOT EXISTS roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    is_system INTEGER NOT NULL DEFAULT 0, capabilities TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL, role_id INTEGER NOT NULL REFERENCES roles(id),
    status TEXT NOT NULL DEFAULT 'offline', created_at TEXT NOT NULL, last_seen_at TEXT);
CREATE TABLE IF NOT EXISTS inbox_members (
    inbox_id INTEGER NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (inbox_id, user_id));
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, phone TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, contact_id INTEGER NOT NULL REFERENCES contacts(id),
    device_id INTEGER NOT NULL REFERENCES devices(id), is_group INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'open', unread INTEGER NOT NULL DEFAULT 0,
    last_message TEXT NOT NULL DEFAULT '', last_message_at TEXT,
    created_at TEXT NOT NULL, solved_at TEXT,
    UNIQUE (contact_id, device_id));
CREATE INDEX IF NOT EXISTS conversations_by_last ON conversations (last_message_at DESC);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    wa_message_id TEXT NOT NULL UNIQUE, from_me INTEGER NOT NULL, body TEXT NOT NULL DEFAULT '',
    media_type TEXT NOT NULL DEFAULT '', media_url TEXT NOT NULL DEFAULT '',
    media_mime TEXT NOT NULL DEFAULT '', media_filename TEXT NOT NULL DEFAULT '',
    reply_to TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, sender_user_id INTEGER,
    timestamp TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id, timestamp, id);
CREATE TABLE IF NOT EXISTS media (name TEXT PRIMARY KEY, mime TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL UNIQUE, events TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id INTEGER NOT NULL, url TEXT NOT NULL, event TEXT NOT NULL,
    conversation_id INTEGER, attempt INTEGER NOT NULL, status_code INTEGER, error TEXT,
    duration_ms REAL NOT NULL, time TEXT NOT NULL);
"""

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with `Z`, the contract's timestamp format; sorts correctly as text."""
    return None if moment is None else moment.astimezone(UTC).strftime(TIME_FORMAT)


def now_iso() -> str:
    return iso(now())


class Store:
    """The sandbox database. Use `with store.tx() as db:` for every read or write."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._lock = threading.RLock()
        self._conn.executescript(SCHEMA)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def get_meta(self, key: str) -> str | None:
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row["value"]

    def set_meta(self, key: str, value: str) -> None:
        with self.tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def start_ids_at(self, first_id: int) -> None:
        """Make every table's next id at least `first_id` (AUTOINCREMENT never goes below its sequence),
        so that the workspaces of one server never share an id."""
        with self.tx() as db:
            tables = [r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'")]
            for table in tables:
                if not db.execute("SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)).fetchone():
                    db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, first_id - 1))

    def is_empty(self) -> bool:
        with self.tx() as db:
            return db.execute("SELECT COUNT(*) FROM devices").fetchone()[0] == 0


def loads_list(text: str) -> list:
    return json.loads(text) if text else []
