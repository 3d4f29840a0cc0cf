"""One analytics cache for every replica: the cache file published in PostgreSQL, one refresh at a time.

With `CEOX_DATABASE_URL` set, each cache (one workspace and credential, `store.cache_path`) has:

- a **lock**: a PostgreSQL advisory lock held by the one replica refreshing it. Held on its own
  connection, it is let go when the refresh ends or when that replica dies, so another takes over.
  A snapshot is published only while that connection still holds the lock (checked by the publishing
  statement), so a replica whose connection was cut stops instead of overwriting its successor's work;
- a **snapshot**: the cache file's bytes (SQLite's own serialisation) with a version, published by the
  lock holder after the list is read, while batches arrive (at most once a second) and at the end.
  Every replica keeps a local copy of the newest snapshot (`pull`), which its pages read as before;
- **marks**: conversations the webhook receiver of any replica named, for every cache of the workspace
  (or one identity's), imported into the cache by the next refresh.

Why a snapshot rather than tables: the pages read threads as packed columns from a local file in tens
of milliseconds; the refresh logic stays the one the SQLite default runs. What PostgreSQL decides is
who refreshes and which version is newest, and it keeps the cache when a replica dies mid-refresh.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from dashboard.storage.database import DatabaseUnavailable, PostgresDatabase, postgres
from dashboard.sync import store

log = logging.getLogger(__name__)

# While a refresh runs, its snapshot is published at most this often (and always when it ends).
PUBLISH_EVERY_S = 1.0
# Marks older than this are dropped when new ones are written: any cache not refreshed for that long
# compares the whole list again anyway.
MARKS_KEPT = "7 days"
_SHARED_VERSION = "shared_version"  # meta key: the snapshot version the local file holds
_MARKS_SEEN = "shared_marks_seen"  # meta key: the last mark (seq) imported into the cache
# True while the backend `pid` holds the advisory lock of bigint `k` (pg_locks splits it in two halves).
_HOLDS_LOCK = ("EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = ?"
               " AND objsubid = 1 AND classid = ((k >> 32) & 4294967295)::oid AND objid = (k & 4294967295)::oid)")


class LockLost(DatabaseUnavailable):
    """The connection holding a cache's refresh lock is gone, and the lock with it: another replica may
    be refreshing now, so this one must not publish."""

    def __init__(self) -> None:
        super().__init__("The database connection that held this analytics refresh was lost; "
                         "the refresh starts again.")


def shared_for(path: Path) -> SharedCache | None:
    """The shared side of the cache file at `path`, or None when no database is configured."""
    database = postgres()
    return None if database is None else SharedCache(database, path)


def mark(database: PostgresDatabase, workspace_id: str, conversation_ids: Iterable[int],
         identity: str | None = None) -> None:
    """Have the next refresh of every cache of the workspace (or of `identity`'s) re-fetch these threads."""
    ids = sorted({int(i) for i in conversation_ids})
    # One writer at a time per workspace: a mark's number is then in commit order, so an import that
    # read up to number N can never miss a smaller one committed later.
    with database.transaction(lock=f"marks:{workspace_id}") as tx:
        tx.executemany("INSERT INTO cache_marks (workspace_id, identity, conversation_id) VALUES (?, ?, ?)",
                       [(workspace_id, identity, i) for i in ids])
        tx.execute(f"DELETE FROM cache_marks WHERE marked_at < now() - interval '{MARKS_KEPT}'")


class SharedCache:
    def __init__(self, database: PostgresDatabase, path: Path) -> None:
        self.database = database
        self.path = path
        self.key = path.stem  # "<workspace>-<identity>": both hashes (store.cache_path)
        self.workspace_id, _, self.identity = self.key.partition("-")
        self._holder: int | None = None  # the backend holding the lock for this process, while it does

    # --- who refreshes -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[bool]:
        """Try to take this cache's refresh lock: yields whether this process holds it for the block."""
        with self.database.connection() as conn:
            taken = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0)) AS held,"
                                 " pg_backend_pid() AS pid", (self._lock_name,)).fetchone()
            held = bool(taken["held"])
            self._holder = taken["pid"] if held else None
            try:
                yield held
            finally:
                self._holder = None
                if held:
                    try:
                        conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (self._lock_name,))
                    except Exception:  # noqa: BLE001 - closed, the connection cannot go back to the pool
                        log.warning("the connection holding the analytics refresh lock failed to unlock it")
                        conn.close()  # holding the lock; PostgreSQL frees it with the session

    @property
    def _lock_name(self) -> str:
        return f"cache:{self.key}"

    # --- the snapshot ----------------------------------------------------------------------------------

    def pull(self) -> bool:
        """Make the local file the newest published snapshot, if it is not already; whether it changed."""
        local = _local_version(self.path)
        with self.database.transaction() as tx:
            found = tx.rows("SELECT version, content FROM cache_snapshots WHERE cache = ? AND version > ?",
                            (self.key, local))
        if not found:
            return False
        version, content = found[0]["version"], bytes(found[0]["content"])
        if not content:  # cleared on another replica: so is this copy, and the next refresh starts over
            with store.refresh_lock(self.path):
                store.remove_files(self.path)
            return True
        snapshot = sqlite3.connect(":memory:", isolation_level=None)
        try:
            # A WAL file's header says so (bytes 18 and 19 are 2), which a database in memory cannot be.
            header = bytearray(content[:100])
            header[18] = header[19] = 1
            snapshot.deserialize(bytes(header) + content[100:])
            local_generation = _local_meta(self.path, "generation")
            generation = max(int(store.get_meta(snapshot, "generation") or 0), int(local_generation or 0)) + 1
            store.set_meta(snapshot, "generation", str(generation))  # pages key their work by it: never reused
            store.set_meta(snapshot, _SHARED_VERSION, str(version))
            db = store.connect(self.path, create=True)
            assert db is not None
            try:
                snapshot.backup(db)  # through SQLite's locks: a page reading meanwhile sees old or new, whole
            finally:
                db.close()
        finally:
            snapshot.close()
        return True

    def publish(self) -> None:
        """Publish the local file as the newest snapshot, inside `lock()` when it was taken; `LockLost`
        when the lock's connection no longer holds it (nothing is published then)."""
        holder = self._holder
        if holder is None:
            raise LockLost()
        db = store.connect(self.path, create=False)
        if db is None:
            return
        try:
            with store.snapshot(db):
                content = db.serialize()
            with self.database.transaction() as tx:
                version = tx.value(
                    "INSERT INTO cache_snapshots (cache, workspace_id, version, content)"
                    f" SELECT ?, ?, 1, ? FROM (SELECT hashtextextended(?, 0) AS k) AS lock_key WHERE {_HOLDS_LOCK}"
                    " ON CONFLICT (cache) DO UPDATE SET version = cache_snapshots.version + 1,"
                    " content = excluded.content, published_at = now() RETURNING version",
                    (self.key, self.workspace_id, content, self._lock_name, holder))
            if version is None:
                raise LockLost()
            with store.transaction(db):
                store.set_meta(db, _SHARED_VERSION, str(version))
        finally:
            db.close()

    @contextlib.contextmanager
    def publishing(self) -> Iterator[Callable[[], None]]:
        """Yields `saved()`, to call whenever the refresh stored something: a thread publishes the file at
        most every `PUBLISH_EVERY_S`, off the refresh's own thread, and once more when the block ends."""
        dirty, done, lost = threading.Event(), threading.Event(), threading.Event()

        def publisher() -> None:
            while not done.is_set():
                if dirty.wait(0.1):
                    dirty.clear()
                    try:
                        self.publish()
                    except LockLost:
                        lost.set()
                        return
                    except Exception:  # the final publish, in the refreshing thread, reports a lasting fault
                        log.exception("publishing the analytics cache failed")
                    done.wait(PUBLISH_EVERY_S)

        def saved() -> None:
            if lost.is_set():  # the refresh stops at its next batch: another replica may be doing it now
                raise LockLost()
            dirty.set()

        thread = threading.Thread(target=publisher, name=f"ceox-publish-{self.key[:12]}", daemon=True)
        thread.start()
        try:
            yield saved
        finally:
            done.set()
            thread.join()
            self.publish()

    def forget(self) -> None:
        """Replace the published snapshot with an empty one (the cache was cleared). Its version goes on
        growing, so every replica takes it (and drops its copy) and then the next refresh's."""
        with self.database.transaction() as tx:
            tx.execute("UPDATE cache_snapshots SET version = version + 1, content = ?, published_at = now()"
                       " WHERE cache = ?", (b"", self.key))

    # --- marks -----------------------------------------------------------------------------------------

    def _marks_since(self, seen: int, *, first_only: bool) -> list[dict[str, Any]]:
        with self.database.transaction() as tx:
            return tx.rows("SELECT seq, conversation_id FROM cache_marks WHERE workspace_id = ? AND seq > ?"
                           " AND (identity IS NULL OR identity = ?) ORDER BY seq"
                           + (" LIMIT 1" if first_only else ""), (self.workspace_id, seen, self.identity))

    def marked(self) -> bool:
        """Whether marks were written for this cache since it last imported them."""
        return bool(self._marks_since(int(_local_meta(self.path, _MARKS_SEEN) or 0), first_only=True))

    def import_marks(self) -> int:
        """Copy the marks written since the last import into the local file (the lock holder, before a
        refresh, which then consumes them as it does local ones); how many."""
        db = store.connect(self.path, create=True)
        assert db is not None
        try:
            with store.transaction(db):
                rows = self._marks_since(int(store.get_meta(db, _MARKS_SEEN) or 0), first_only=False)
                db.executemany("INSERT INTO marks (conversation_id) VALUES (?)",
                               [(row["conversation_id"],) for row in rows])
                if rows:
                    store.set_meta(db, _MARKS_SEEN, str(rows[-1]["seq"]))
        finally:
            db.close()
        return len(rows)


def _local_meta(path: Path, key: str) -> str | None:
    db = store.connect(path, create=False)
    if db is None:
        return None
    try:
        return store.get_meta(db, key)
    finally:
        db.close()


def _local_version(path: Path) -> int:
    return int(_local_meta(path, _SHARED_VERSION) or 0)
