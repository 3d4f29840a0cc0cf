"""The cache file: where it lives, its schema, the refresh lock, and reading it out as DataFrames.

One SQLite file per (workspace, credential identity), private to this OS user (0600, directory
0700), in WAL mode so that pages read while a refresh writes. Times are stored as integer epoch
nanoseconds, so reading out converts them with one numpy view instead of parsing text.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboard.storage import data_dir, use_wal

SCHEMA_VERSION = 2
# Writers wait this long for each other (a cold sync's write phase takes well under a second).
BUSY_TIMEOUT_S = 30
# A refresh waits this long for another session's refresh of the same cache to finish.
LOCK_TIMEOUT_S = 600
_LOCK_POLL_S = 0.05

# The analytics inputs the service may or may not return; `available` names those it did.
OPTIONAL_INPUTS = frozenset({"sender_user_id", "solved_at", "inbox_id"})

CONVERSATION_DTYPES = {
    "id": "int64",
    "contact_id": "Int64",
    "contact_name": "string",
    "contact_phone": "string",
    "is_group": "boolean",
    "device_id": "Int64",
    "device_name": "string",
    "inbox_id": "Int64",
    "status": "string",
    "created_at": "datetime64[ns, UTC]",
    "solved_at": "datetime64[ns, UTC]",
    "last_message_at": "datetime64[ns, UTC]",
    "unread": "Int64",
}
MESSAGE_DTYPES = {
    "conversation_id": "int64",
    "id": "int64",
    "from_me": "bool",
    "timestamp": "datetime64[ns, UTC]",
    "sender_user_id": "Int64",
    "media_type": "string",
}
# Column order of a stored conversation row; `ConversationRow` tuples follow it.
CONVERSATION_COLUMNS = tuple(CONVERSATION_DTYPES)
THREAD_COLUMNS = ("conversation_id", "count", "ids", "from_me", "timestamps", "sender_user_ids", "media_types")

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    is_group INTEGER NOT NULL,
    device_id INTEGER,
    device_name TEXT NOT NULL,
    inbox_id INTEGER,
    status TEXT NOT NULL,
    created_at INTEGER,
    solved_at INTEGER,
    last_message_at INTEGER,
    unread INTEGER
);
-- Each thread's message metadata column by column, oldest first: ids, timestamps (epoch ns) and
-- sender ids as little-endian int64 (NULL as int64's minimum), from_me as one byte each, media
-- types as a JSON array. Reading 60,000 messages is then a few thousand rows, not 60,000.
CREATE TABLE threads (
    conversation_id INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    ids BLOB NOT NULL,
    from_me BLOB NOT NULL,
    timestamps BLOB NOT NULL,
    sender_user_ids BLOB NOT NULL,
    media_types TEXT NOT NULL
);
-- Conversations named by mark_changed, in order: a refresh consumes only the marks it saw.
CREATE TABLE marks (seq INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER NOT NULL);
-- Conversations the running (or an interrupted) refresh listed and has not stored yet: what keeps a
-- period's figures from being final (coverage.py).
CREATE TABLE pending (conversation_id INTEGER PRIMARY KEY, last_message_at INTEGER, created_at INTEGER);
CREATE INDEX pending_by_last_message ON pending (last_message_at);
"""

# Stands for NULL in stored and read-out integers, then masked: int64's minimum is also numpy's NaT.
NULL = int(np.iinfo(np.int64).min)
_INT64 = np.dtype("<i8")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NAME = re.compile(r"[0-9A-Za-z_]{1,64}")


def default_cache_dir() -> Path:
    """`<data dir>/cache` (the data dir is `CEOX_DATA_DIR`, else `.ceox/`), mode 0700."""
    path = data_dir() / "cache"
    path.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def cache_path(workspace_id: str, identity: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """`<cache_dir>/<workspace_id>-<identity>.sqlite`; both names are hashes, never secrets."""
    return _directory(cache_dir) / f"{_checked(workspace_id)}-{_checked(identity)}.sqlite"


def workspace_caches(workspace_id: str, cache_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """The cache files of every identity of one workspace."""
    return sorted(_directory(cache_dir).glob(f"{_checked(workspace_id)}-*.sqlite"))


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError("workspace ids and identities are short names of letters, digits and _")
    return name


def _directory(cache_dir: str | os.PathLike[str] | None) -> Path:
    if cache_dir is None:
        return default_cache_dir()
    path = Path(cache_dir).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _create_private(path: Path) -> None:
    """Create `path` as an empty 0600 file unless it exists; SQLite gives its -wal and -shm the same mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def connect(path: Path, *, create: bool) -> sqlite3.Connection | None:
    """A connection in autocommit mode (transactions are explicit); None if the file is absent and not created."""
    if create:
        _create_private(path)
    elif not path.exists():
        return None
    try:
        # mode=rw: a file removed by clear() meanwhile is not silently re-created without its 0600 mode.
        db = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S,
                             isolation_level=None, check_same_thread=False)
    except sqlite3.OperationalError:
        if create or path.exists():
            raise
        return None
    use_wal(db, BUSY_TIMEOUT_S)
    # With WAL, NORMAL cannot corrupt the file; a crash may lose the last refresh, which is re-fetched.
    db.execute("PRAGMA synchronous = NORMAL")
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        _migrate(db)
    return db


def _migrate(db: sqlite3.Connection) -> None:
    """A cache of another schema version is rebuilt empty: its content can always be fetched again."""
    with transaction(db):
        if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return  # another connection built it while this one waited
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                               " AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            db.execute(f'DROP TABLE "{table}"')
        for statement in _SCHEMA.split(";"):  # the schema's comments hold no semicolons
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction, taken before the first read so that its reads and writes are one unit."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def snapshot(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction: every read inside sees the same committed state."""
    db.execute("BEGIN")
    try:
        yield db
    finally:
        db.execute("COMMIT")


@contextlib.contextmanager
def refresh_lock(path: Path, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """One refresh (or clear) of a cache at a time, across threads and processes.

    `flock` on a separate `.lock` file: locks taken through different opens conflict even within one
    process, and the kernel drops them when a process dies. A lock file that clear() removed while
    this one waited is not the current one, so the wait starts again on the new file.
    """
    lock = path.with_suffix(".lock")
    deadline = time.monotonic() + timeout_s
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"another refresh of {path.name} is still running") from None
                    time.sleep(_LOCK_POLL_S)
            try:
                current = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                yield
                return
        finally:
            os.close(fd)  # also releases the lock


def remove_files(path: Path) -> None:
    """The cache file, its WAL companions and its lock file."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")
    with contextlib.suppress(FileNotFoundError):
        os.remove(path.with_suffix(".lock"))


# --- values in and out ---------------------------------------------------------------------------

def nanoseconds(moment: datetime | None) -> int | None:
    """A tz-aware datetime as integer nanoseconds since the epoch (exact to the microsecond)."""
    return None if moment is None else (moment - _EPOCH) // _MICROSECOND * 1000


def from_nanoseconds(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + timedelta(microseconds=value // 1000)


def get_meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def read_available(db: sqlite3.Connection) -> frozenset[str]:
    return frozenset(json.loads(get_meta(db, "available") or "[]"))


def write_available(db: sqlite3.Connection, available: Iterable[str]) -> None:
    set_meta(db, "available", json.dumps(sorted(available)))


# --- threads in and out ---------------------------------------------------------------------------

def thread_row(conversation_id: int, ids: list[int], from_me: list[bool], timestamps: list[int | None],
               sender_user_ids: list[int | None], media_types: list[str]) -> tuple[Any, ...]:
    """One `threads` row; the lists hold one entry per message, oldest first."""
    def packed(values: list[int | None]) -> bytes:
        return np.array([NULL if v is None else v for v in values], dtype=_INT64).tobytes()

    return (conversation_id, len(ids), packed(ids), np.array(from_me, dtype=np.uint8).tobytes(),
            packed(timestamps), packed(sender_user_ids), json.dumps(media_types))


# --- reading out ---------------------------------------------------------------------------------

_CONVERSATIONS_SQL = (
    "SELECT id, COALESCE(contact_id, :null), contact_name, contact_phone, is_group,"
    " COALESCE(device_id, :null), device_name, COALESCE(inbox_id, :null), status,"
    " COALESCE(created_at, :null), COALESCE(solved_at, :null), COALESCE(last_message_at, :null),"
    " COALESCE(unread, :null) FROM conversations ORDER BY id"
)
_THREADS_SQL = f"SELECT {', '.join(THREAD_COLUMNS)} FROM threads WHERE count > 0 ORDER BY conversation_id"


def read_frames(db: sqlite3.Connection) -> tuple[pd.DataFrame, pd.DataFrame, frozenset[str]]:
    with snapshot(db):
        conversations = db.execute(_CONVERSATIONS_SQL, {"null": NULL}).fetchall()
        threads = db.execute(_THREADS_SQL).fetchall()
        available = read_available(db)
    return _conversations_frame(conversations), _messages_frame(threads), available


def empty_frames() -> tuple[pd.DataFrame, pd.DataFrame, frozenset[str]]:
    return _conversations_frame([]), _messages_frame([]), frozenset()


def _conversations_frame(rows: list[tuple]) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(CONVERSATION_DTYPES)
    data = {name: _column(np.array(values, dtype=_INT64 if dtype not in ("string", "boolean") else object), dtype)
            for (name, dtype), values in zip(CONVERSATION_DTYPES.items(), columns, strict=True)}
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def _messages_frame(rows: list[tuple]) -> pd.DataFrame:
    """Every thread's columns joined end to end: one numpy conversion per column, none per message."""
    conversation_ids, counts, ids, from_me, timestamps, senders, media = (
        zip(*rows, strict=True) if rows else [()] * len(THREAD_COLUMNS))
    # "[...]" of each thread, joined into one JSON array; empty threads are not read.
    media_types = json.loads("[" + ",".join(text[1:-1] for text in media) + "]")
    data = {
        "conversation_id": np.repeat(np.array(conversation_ids, dtype=np.int64), np.array(counts, dtype=np.int64)),
        "id": _int64s(ids),
        "from_me": np.frombuffer(b"".join(from_me), dtype=np.uint8).astype(bool),
        "timestamp": _column(_int64s(timestamps), MESSAGE_DTYPES["timestamp"]),
        "sender_user_id": _column(_int64s(senders), MESSAGE_DTYPES["sender_user_id"]),
        "media_type": _strings(media_types),
    }
    return pd.DataFrame(data, index=pd.RangeIndex(len(data["id"])))


def _int64s(blobs: tuple[bytes, ...]) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype=_INT64).astype(np.int64)  # a native, writable copy


def _strings(values: list[str] | np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Few distinct values (media types, device names): convert those, then index."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return pd.array(uniques, dtype="string").take(codes)


def _column(values: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray | np.ndarray:
    if dtype == "string":
        return pd.array(values, dtype="string")
    if dtype == "boolean":
        return pd.array(values.astype(bool), dtype="boolean")
    if dtype == "int64":
        return values
    if dtype == "Int64":
        return pd.arrays.IntegerArray(values, values == NULL)
    return pd.DatetimeIndex(values.view("datetime64[ns]")).tz_localize("UTC").array
