"""What one refresh of a cache fetches and in which order, and how it stores it (for cache.py).

A plan compares the conversation list just read with the cached rows: new, changed, marked and recent
conversations have their threads fetched, those gone are removed. Threads go newest activity first,
those of the window a page asks for before the others, in batches stored one at a time.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ceox_api.models import Conversation, Message
from dashboard.sync import fetch, store
from dashboard.sync.coverage import Window

# Threads fetched and stored as one unit: small enough that a page sees a window final soon after its
# last thread arrives, large enough that the wait for a batch's slowest answer costs little.
BATCH_SIZE = 200
ConversationRow = tuple[Any, ...]
# Positions in a ConversationRow of the fields that change when the thread changes.
_THREAD_SIGNATURE = tuple(store.CONVERSATION_COLUMNS.index(name)
                          for name in ("last_message_at", "unread", "status", "solved_at"))
_LAST_MESSAGE_AT = store.CONVERSATION_COLUMNS.index("last_message_at")
_CREATED_AT = store.CONVERSATION_COLUMNS.index("created_at")
_INSERT_CONVERSATION = (f"INSERT OR REPLACE INTO conversations ({', '.join(store.CONVERSATION_COLUMNS)})"
                        f" VALUES ({', '.join('?' * len(store.CONVERSATION_COLUMNS))})")
_INSERT_THREAD = (f"INSERT OR REPLACE INTO threads ({', '.join(store.THREAD_COLUMNS)})"
                  f" VALUES ({', '.join('?' * len(store.THREAD_COLUMNS))})")



@dataclass(frozen=True)
class Plan:
    rows: dict[int, ConversationRow]  # every listed conversation, as it will be stored
    new: list[int]
    changed: list[int]
    marked: list[int]
    recent: list[int]  # unchanged and unmarked, with a last message at or after `recent_since`
    to_fetch: list[int]  # new, changed, marked and recent, in list order (most recent activity first)
    row_updates: list[int]  # listed rows that changed only in fields that leave the thread as it was
    removed: set[int]
    present: frozenset[str]  # the optional conversation fields the list carried

    @classmethod
    def make(cls, cached: dict[int, ConversationRow], listed: list[Conversation], present: frozenset[str],
             marked_ids: set[int], recent_since: int | None) -> Plan:
        rows = {c.id: _conversation_row(c) for c in listed}
        new, changed, marked, recent, row_updates = [], [], [], [], []
        for conversation_id, row in rows.items():
            old = cached.get(conversation_id)
            if old is None:
                new.append(conversation_id)
            elif any(row[i] != old[i] for i in _THREAD_SIGNATURE):
                changed.append(conversation_id)
            elif conversation_id in marked_ids:
                marked.append(conversation_id)
            elif _is_recent(row, recent_since):
                recent.append(conversation_id)
            elif row != old:
                row_updates.append(conversation_id)
        fetch = set(new) | set(changed) | set(marked) | set(recent)
        to_fetch = [i for i in rows if i in fetch]
        return cls(rows, new, changed, marked, recent, to_fetch, row_updates, set(cached) - set(rows), present)


UNORDERED = object()


def no_window() -> Window | None:
    return None


def _in_window(row: ConversationRow, window: Window | None) -> bool:
    return window is not None and window.contains(row[_LAST_MESSAGE_AT], row[_CREATED_AT])


def ordered(ids: list[int], rows: dict[int, ConversationRow], window: Window | None) -> list[int]:
    """Newest activity first, the window's conversations before the rest."""
    def key(i: int) -> tuple[bool, int]:
        last = rows[i][_LAST_MESSAGE_AT]
        return (not _in_window(rows[i], window), -(last if last is not None else store.NULL))

    return sorted(ids, key=key)


def next_batch(ordered: list[int], rows: dict[int, ConversationRow],
                window: Window | None) -> tuple[list[int], list[int]]:
    """(batch, the rest) of `ordered` ids. While any of the window's threads is left a batch holds only
    those, so the window is final as soon as its last batch is stored."""
    batch = ordered[:BATCH_SIZE]
    if _in_window(rows[batch[0]], window):
        batch = [i for i in batch if _in_window(rows[i], window)]
    return batch, ordered[len(batch):]


def store_plan(db: sqlite3.Connection, plan: Plan, credential: str, previous_available: frozenset[str]) -> None:
    """Before any thread: drop what the list no longer has, update rows whose thread did not change, and
    note what is pending, so that pages can tell which periods are final while the threads arrive."""
    with store.transaction(db):
        store.set_meta(db, "credential", credential)
        db.executemany("DELETE FROM conversations WHERE id = ?", ((i,) for i in plan.removed))
        db.executemany("DELETE FROM threads WHERE conversation_id = ?", ((i,) for i in plan.removed))
        db.executemany(_INSERT_CONVERSATION, (plan.rows[i] for i in plan.row_updates))
        db.execute("DELETE FROM pending")
        db.executemany("INSERT INTO pending (conversation_id, last_message_at, created_at) VALUES (?, ?, ?)",
                       ((i, plan.rows[i][_LAST_MESSAGE_AT], plan.rows[i][_CREATED_AT]) for i in plan.to_fetch))
        store.set_meta(db, "listed", str(len(plan.rows)))
        store.write_available(db, available_fields(plan, fetch.Threads(), previous_available))
        bump_generation(db)


def store_batch(db: sqlite3.Connection, plan: Plan, threads: fetch.Threads, available: set[str]) -> None:
    """One batch's threads with their list rows; gone ones removed. Failed ones stay pending."""
    fetched = sorted(threads.messages)
    with store.transaction(db):
        db.executemany("DELETE FROM conversations WHERE id = ?", ((i,) for i in threads.gone))
        db.executemany("DELETE FROM threads WHERE conversation_id = ?", ((i,) for i in threads.gone))
        db.executemany(_INSERT_CONVERSATION, (plan.rows[i] for i in fetched))
        db.executemany(_INSERT_THREAD, (_thread_row(i, threads.messages[i]) for i in fetched))
        db.executemany("DELETE FROM pending WHERE conversation_id = ?", ((i,) for i in fetched + sorted(threads.gone)))
        store.write_available(db, available)
        bump_generation(db)


def merge(into: fetch.Threads, batch: fetch.Threads) -> None:
    into.messages.update(batch.messages)
    into.gone |= batch.gone
    into.failed.update(batch.failed)
    into.fatal = into.fatal or batch.fatal
    into.present |= batch.present


def _is_recent(row: ConversationRow, since: int | None) -> bool:
    last = row[_LAST_MESSAGE_AT]
    return since is not None and last is not None and last >= since


def ns(span: timedelta) -> int:
    return span // timedelta(microseconds=1) * 1000


def _conversation_row(c: Conversation) -> ConversationRow:
    return (c.id, c.contact_id, c.contact_name, c.contact_phone, c.is_group, c.device_id, c.device_name,
            c.inbox_id, c.status, store.nanoseconds(c.created_at), store.nanoseconds(c.solved_at),
            store.nanoseconds(c.last_message_at), c.unread)


def _thread_row(conversation_id: int, thread: list[Message]) -> tuple[Any, ...]:
    # Only metadata: the body, media URL and file name never reach the file.
    ns = store.nanoseconds
    return store.thread_row(conversation_id, [m.id for m in thread], [m.from_me for m in thread],
                            [ns(m.timestamp) for m in thread], [m.sender_user_id for m in thread],
                            [m.media_type for m in thread])


def marks(db: sqlite3.Connection) -> tuple[int, set[int]]:
    rows = db.execute("SELECT seq, conversation_id FROM marks").fetchall()
    return max((seq for seq, _ in rows), default=0), {conversation_id for _, conversation_id in rows}


def available_fields(plan: Plan, threads: fetch.Threads, previous: frozenset[str]) -> set[str]:
    """Conversation fields as the whole list shows them now; message fields as seen in any thread since
    the cache was built (a refresh fetching a few inbound-only threads proves nothing about them)."""
    available = set(previous)
    if plan.rows:
        available = (available - set(fetch.CONVERSATION_INPUTS)) | plan.present
    return available | threads.present


def counts(db: sqlite3.Connection) -> tuple[int, int]:
    return (db.execute("SELECT count(*) FROM conversations").fetchone()[0],
            db.execute("SELECT coalesce(sum(count), 0) FROM threads").fetchone()[0])


def bump_generation(db: sqlite3.Connection) -> None:
    store.set_meta(db, "generation", str(int(store.get_meta(db, "generation") or 0) + 1))


# --- entry points --------------------------------------------------------------------------------
