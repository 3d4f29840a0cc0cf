"""`Cache`: one workspace's conversations and message metadata as one credential sees them, kept fresh.

A refresh reads the whole conversation list, then fetches only the threads that need it: new
conversations, conversations whose list row changed on a field that a new message or a status
change moves (`last_message_at`, `unread`, `status`, `solved_at`), conversations named by
`mark_changed`, and conversations whose last message is recent (within `SAFETY_WINDOW` before the
previous refresh started). The last rule is what keeps every message: timestamps have one-second
resolution and an outgoing message leaves `unread` at 0, so a second message stamped in the same
second as the last one, stored after the previous refresh read the thread, changes nothing in the
list row. Conversations missing from the list are removed with their messages. Message bodies and
media URLs are never stored.

Window first: threads are fetched newest activity first, those that may have messages in the window a
page asks for (`priority`) before the others, and stored batch by batch, so a period's figures are
final (coverage.py) long before the whole history is in.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from ceox_api import AsyncClient, Client
from dashboard.connection import Workspace
from dashboard.storage.database import postgres
from dashboard.sync import coverage, fetch, shared, store
from dashboard.sync.coverage import Coverage, Window
from dashboard.sync.fetch import Progress
from dashboard.sync.plan import (
    UNORDERED,
    Plan,
    available_fields,
    bump_generation,
    counts,
    marks,
    merge,
    next_batch,
    no_window,
    ns,
    ordered,
    store_batch,
    store_plan,
)
from dashboard.tenants import identify_client

DEFAULT_CONCURRENCY = 16
# A conversation whose last message is stamped later than this before the previous refresh started
# is fetched again: this covers the one-second resolution of timestamps, a message stored a moment
# after its timestamp, and a difference between this machine's clock and the service's.
SAFETY_WINDOW = timedelta(minutes=2)

# A failed refresh names this many of the conversations it could not fetch.
MISSING_NAMED = 10


class SyncError(Exception):
    """A refresh that did not complete. What it did fetch is saved; `report` says how far it got."""

    def __init__(self, message: str, report: SyncReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class SyncReport:
    cold: bool  # the cache was empty, so every thread was fetched
    listed: int  # conversations the service listed
    new: int  # listed and not cached before
    changed: int  # cached, and changed in the list since the last refresh
    marked: int  # unchanged in the list, re-fetched because mark_changed named them
    recent: int  # unchanged and unmarked, re-fetched because their last message is recent (SAFETY_WINDOW)
    fetched: int  # threads fetched and stored
    removed: int  # conversations removed: gone from the list, or gone when their thread was fetched
    failed: int  # threads that could not be fetched; the next refresh tries them again
    conversations: int  # in the cache afterwards
    messages: int
    seconds: float
    synced_at: datetime
    fetched_ids: frozenset[int]
    removed_ids: frozenset[int]
    recent_ids: frozenset[int]
    failed_ids: frozenset[int]  # the `failed` threads, for a page to list
    stopped: bool = False  # stopped on request before every thread was fetched (the rest count as failed)


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    exists: bool
    last_synced_at: datetime | None  # the last refresh that completed
    generation: int  # changes whenever the content changes: a key for the page's own caching
    conversations: int
    messages: int
    available: frozenset[str]


class Cache:
    """The cache file of one (workspace, credential identity) pair.

    `Cache.for_workspace(workspace)` in the dashboard, `Cache.for_client(client)` in a notebook or a
    benchmark. The object holds no connection: each call opens the file briefly, so one `Cache` can
    be shared by threads, and several processes can use the same file.
    """

    def __init__(self, workspace_id: str, identity: str, *, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.workspace_id = workspace_id
        self.identity = identity
        self.path = store.cache_path(workspace_id, identity, cache_dir)

    @classmethod
    def for_workspace(cls, workspace: Workspace, *, cache_dir: str | os.PathLike[str] | None = None) -> Cache:
        return cls(workspace.workspace_id, workspace.identity, cache_dir=cache_dir)

    @classmethod
    def for_client(cls, client: Client, *, cache_dir: str | os.PathLike[str] | None = None) -> Cache:
        """The same file as `for_workspace` for the same credential (asks the service who it is)."""
        names = identify_client(client)
        return cls(names.tenant, names.credential, cache_dir=cache_dir)

    def __repr__(self) -> str:
        return f"Cache({str(self.path)!r})"

    # --- refreshing --------------------------------------------------------------------------------

    def refresh(
        self, client: Client, *, on_progress: Progress | None = None, concurrency: int = DEFAULT_CONCURRENCY,
        priority: Callable[[], Window | None] | None = None, stop: threading.Event | None = None,
        on_saved: Callable[[], None] | None = None,
    ) -> SyncReport:
        """Bring the cache up to date through `client`, the credential it was first filled through.

        `on_progress(done, total)` is called once with `done` 0 when the threads to fetch are known,
        then after each thread. A refresh that another session is running is waited for, then this
        one runs (and finds little left to fetch). Before each batch of threads, `priority()` names the
        window whose threads go first (asked again each batch, so a page can change it meanwhile).
        When `stop` is set, the refresh ends after the batch in flight, saving what it fetched.
        `on_saved()` is called whenever the file has changed (the plan, each batch, the end).

        Raises the client's errors (`CeoxError`) when the list cannot be read (nothing changes) or a
        thread fails in a way retrying cannot fix (401, 403); `SyncError` when threads still fail after
        retries. In both thread cases what was fetched is saved and the next refresh fetches the rest;
        `last_synced_at` moves only when a refresh completes. `TimeoutError` when another session's
        refresh of this cache holds it for longer than `store.LOCK_TIMEOUT_S`.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        started = time.perf_counter()
        with store.refresh_lock(self.path):
            db = store.connect(self.path, create=True)
            assert db is not None
            try:
                return self._refresh(db, client, on_progress, concurrency, started, priority or no_window,
                                     stop or threading.Event(), on_saved or _nothing)
            finally:
                db.close()

    def _refresh(self, db: sqlite3.Connection, client: Client, on_progress: Progress | None,
                 concurrency: int, started: float, priority: Callable[[], Window | None],
                 stop: threading.Event, on_saved: Callable[[], None]) -> SyncReport:
        credential = identify_client(client).credential
        with store.snapshot(db):
            owner = store.get_meta(db, "credential")
            cached = {row[0]: row for row in db.execute(
                f"SELECT {', '.join(store.CONVERSATION_COLUMNS)} FROM conversations")}
            mark_seq, marked_ids = marks(db)
            previous_available = store.read_available(db)
            previous_start = store.get_meta(db, "refresh_started_at")
            cold = store.get_meta(db, "last_synced_at") is None and not cached
        if credential != self.identity or owner not in (None, credential):
            raise ValueError("this cache was filled through another credential; refresh it with that one")

        # Taken before the list is read: a message stored after this moment may be missing from what
        # this refresh reads, so the next refresh looks again at anything stamped after it.
        refresh_started = datetime.now(UTC)
        recent_since = None if previous_start is None else int(previous_start) - ns(SAFETY_WINDOW)

        async def work(twin: AsyncClient) -> tuple[Plan, fetch.Threads, bool]:
            listed, present = await fetch.list_conversations(twin)
            plan = Plan.make(cached, listed, present, marked_ids, recent_since)
            store_plan(db, plan, credential, previous_available)
            on_saved()
            total, threads, remaining = len(plan.to_fetch), fetch.Threads(), plan.to_fetch
            if on_progress is not None:
                on_progress(0, total)
            ordered_for: object = UNORDERED
            while remaining and threads.fatal is None and not stop.is_set():
                window = priority()
                if window != ordered_for:
                    remaining, ordered_for = ordered(remaining, plan.rows, window), window
                batch, remaining = next_batch(remaining, plan.rows, window)
                done = total - len(remaining) - len(batch)
                batch_progress = None if on_progress is None else (
                    lambda n, _, done=done: on_progress(done + n, total))
                fetched = await fetch.fetch_threads(twin, batch, concurrency=concurrency,
                                                    on_progress=batch_progress)
                merge(threads, fetched)
                store_batch(db, plan, fetched, available_fields(plan, threads, previous_available))
                on_saved()
            return plan, threads, bool(remaining)

        plan, threads, stopped = fetch.run_async(client, work)
        complete = not threads.failed and threads.fatal is None and not stopped
        fetched = sorted(threads.messages)
        # Gone: listed, then 404 when its thread was asked for (deleted, or out of scope since).
        removed = plan.removed | (threads.gone & cached.keys())
        failed = frozenset(plan.to_fetch) - frozenset(fetched) - threads.gone
        with store.transaction(db):
            # Marks made after the snapshot stay for the next refresh, as do those of unfetched threads.
            # Recent ones too: the next refresh's window may no longer reach their last message.
            db.execute("DELETE FROM marks WHERE seq <= ?", (mark_seq,))
            retry = (marked_ids | set(plan.recent)) & failed
            db.executemany("INSERT INTO marks (conversation_id) VALUES (?)", ((i,) for i in retry))
            store.set_meta(db, "refresh_started_at", str(store.nanoseconds(refresh_started)))
            synced_at = datetime.now(UTC)
            if complete:
                store.set_meta(db, "last_synced_at", str(store.nanoseconds(synced_at)))
            bump_generation(db)
            conversations, messages = counts(db)
        on_saved()

        report = SyncReport(
            cold=cold, listed=len(plan.rows), new=len(plan.new), changed=len(plan.changed),
            marked=len(plan.marked), recent=len(plan.recent), fetched=len(fetched), removed=len(removed),
            failed=len(failed),
            conversations=conversations, messages=messages, seconds=time.perf_counter() - started,
            synced_at=synced_at, fetched_ids=frozenset(fetched), removed_ids=frozenset(removed),
            recent_ids=frozenset(plan.recent), failed_ids=failed, stopped=stopped,
        )
        if threads.fatal is not None:
            raise threads.fatal
        if threads.failed:
            first = next(iter(threads.failed.values()))
            missing = sorted(threads.failed)
            named = ", ".join(map(str, missing[:MISSING_NAMED])) + (
                f" and {len(missing) - MISSING_NAMED:,} more" if len(missing) > MISSING_NAMED else "")
            raise SyncError(f"{report.failed} of {len(plan.to_fetch)} conversations could not be fetched "
                            f"({first}); the others are saved and the next refresh tries again. Missing: "
                            f"conversation {named}", report) from first
        return report

    def mark_changed(self, conversation_ids: Iterable[int]) -> bool:
        """Have the next refresh re-fetch these threads even if the list shows no change.

        Ids the credential cannot see are dropped by that refresh. False when there is no cache yet
        (its first refresh fetches everything anyway).
        """
        ids = sorted({int(i) for i in conversation_ids})
        if (database := postgres()) is not None:  # replicas: the shared marks, imported by whoever refreshes
            shared.mark(database, self.workspace_id, ids, self.identity)
            return True
        db = store.connect(self.path, create=False)
        if db is None:
            return False
        try:
            with store.transaction(db):
                db.executemany("INSERT INTO marks (conversation_id) VALUES (?)", ((i,) for i in ids))
        finally:
            db.close()
        return True

    # --- reading -----------------------------------------------------------------------------------

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, frozenset[str]]:
        """(conversations, messages, available) as of the last refresh; empty frames before the first.

        conversations: `id` int64, `contact_id` Int64, `contact_name` string, `contact_phone` string,
        `is_group` boolean, `device_id` Int64, `device_name` string, `inbox_id` Int64, `status`
        string, `created_at`, `solved_at` (NaT while open), `last_message_at` datetime64[ns, UTC],
        `unread` Int64; one row per conversation, by id.
        messages: `conversation_id` int64, `id` int64, `from_me` bool, `timestamp` datetime64[ns, UTC],
        `sender_user_id` Int64, `media_type` string; by conversation id, each thread oldest first.
        available: which of `sender_user_id`, `solved_at`, `inbox_id` the service returns (as keys,
        even when null). A metric needing one that is absent must say so.
        """
        db = store.connect(self.path, create=False)
        if db is None:
            return store.empty_frames()
        try:
            return store.read_frames(db)
        finally:
            db.close()

    def info(self) -> CacheInfo:
        db = store.connect(self.path, create=False)
        if db is None:
            return CacheInfo(self.path, False, None, 0, 0, 0, frozenset())
        try:
            with store.snapshot(db):
                synced = _synced_at(db)
                generation = int(store.get_meta(db, "generation") or 0)
                conversations, messages = counts(db)
                available = store.read_available(db)
        finally:
            db.close()
        return CacheInfo(self.path, True, synced, generation, conversations, messages, available)

    def coverage(self, window: Window | None = None) -> Coverage:
        """How much of the last listed history is stored, and whether `window`'s figures are final."""
        db = store.connect(self.path, create=False)
        if db is None:
            return Coverage(None, 0, 0)
        try:
            return coverage.read(db, window)
        finally:
            db.close()

    def marked(self) -> bool:
        """Whether conversations are marked for the next refresh (by the webhook receiver)."""
        db = store.connect(self.path, create=False)
        if db is None:
            return False
        try:
            return db.execute("SELECT EXISTS (SELECT 1 FROM marks)").fetchone()[0] == 1
        finally:
            db.close()

    def last_synced_at(self) -> datetime | None:
        """When the last complete refresh finished (UTC), or None before the first one (read every second
        by the worker: the one value, not the counts of `info`)."""
        db = store.connect(self.path, create=False)
        if db is None:
            return None
        try:
            return _synced_at(db)
        finally:
            db.close()

    def clear(self) -> None:
        """Delete the cache file (after any refresh of it running now has finished)."""
        with store.refresh_lock(self.path):
            store.remove_files(self.path)


def _nothing() -> None:
    pass


# --- planning and writing ------------------------------------------------------------------------

def sync(
    source: Workspace | Client,
    *,
    on_progress: Progress | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    cache_dir: str | os.PathLike[str] | None = None,
) -> SyncReport:
    """Refresh the cache of a dashboard `Workspace`, or of a `Client` (notebooks, benchmarks)."""
    if isinstance(source, Workspace):
        with source.client() as client:
            return Cache.for_workspace(source, cache_dir=cache_dir).refresh(
                client, on_progress=on_progress, concurrency=concurrency)
    return Cache.for_client(source, cache_dir=cache_dir).refresh(
        source, on_progress=on_progress, concurrency=concurrency)


def clear(workspace: Workspace, *, cache_dir: str | os.PathLike[str] | None = None) -> None:
    """Delete this workspace-and-credential's cache (the page's "clear cache" button)."""
    Cache.for_workspace(workspace, cache_dir=cache_dir).clear()


def _synced_at(db: sqlite3.Connection) -> datetime | None:
    synced = store.get_meta(db, "last_synced_at")
    return store.from_nanoseconds(None if synced is None else int(synced))


def mark_changed(
    workspace_id: str,
    conversation_ids: Iterable[int],
    *,
    identity: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> int:
    """Have the next refresh of every cache of the workspace (or of one identity's) re-fetch these threads.

    For the webhook receiver, which knows the workspace but not who will read it. Returns how many
    cache files were marked.
    """
    ids = list(conversation_ids)
    if (database := postgres()) is not None:  # replicas: every cache of the workspace, on any replica
        shared.mark(database, workspace_id, ids, identity)
        return 1
    if identity is not None:
        paths = [store.cache_path(workspace_id, identity, cache_dir)]
    else:
        paths = store.workspace_caches(workspace_id, cache_dir)
    marked = 0
    for path in paths:
        cache = Cache(workspace_id, path.stem.removeprefix(f"{workspace_id}-"), cache_dir=path.parent)
        marked += cache.mark_changed(ids)
    return marked
