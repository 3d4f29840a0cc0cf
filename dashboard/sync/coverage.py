"""Which periods the cache can answer for in full, and how much of the history it holds.

A refresh reads the conversation list first and writes every conversation whose thread it still has
to fetch into the `pending` table; each stored thread leaves it. A period's figures are final when no
pending conversation can have a message in it: none whose last message is at or after the period's
start and that was created before its end. (A cycle needs its whole thread, which one request gives,
so a conversation counts whole or not at all.)
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from dashboard.sync import store


@dataclass(frozen=True)
class Window:
    """The conversations that may have messages between `start` and `end` (None: up to now)."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or (self.end is not None and self.end.tzinfo is None):
            raise ValueError("a window's times carry their timezone")

    def contains(self, last_message_at: int | None, created_at: int | None) -> bool:
        """For stored epoch nanoseconds; a conversation without messages has nothing in any window."""
        if last_message_at is None or last_message_at < store.nanoseconds(self.start):
            return False
        return self.end is None or created_at is None or created_at <= store.nanoseconds(self.end)


@dataclass(frozen=True)
class Coverage:
    listed: int | None  # conversations in the last list read; None before the first
    pending: int  # of them, conversations whose thread is not stored as listed yet
    pending_in_window: int  # of those, how many may have messages in the window asked about

    @property
    def window_final(self) -> bool:
        """Every conversation that may have messages in the window is stored as last listed."""
        return self.listed is not None and self.pending_in_window == 0

    @property
    def history_share(self) -> float:
        """The share of listed conversations stored as listed, 0 to 1 (0 before the first list)."""
        if self.listed is None:
            return 0.0
        return 1.0 if not self.listed else (self.listed - self.pending) / self.listed


def read(db: sqlite3.Connection, window: Window | None) -> Coverage:
    with store.snapshot(db):
        listed = store.get_meta(db, "listed")
        pending = db.execute("SELECT count(*) FROM pending").fetchone()[0]
        in_window = 0
        if window is not None:
            end = None if window.end is None else store.nanoseconds(window.end)
            in_window = db.execute(
                "SELECT count(*) FROM pending WHERE last_message_at >= ?"
                " AND (? IS NULL OR created_at IS NULL OR created_at <= ?)",
                (store.nanoseconds(window.start), end, end)).fetchone()[0]
    return Coverage(None if listed is None else int(listed), pending, in_window)
