"""Where the dashboard keeps its own files (audit log, caches, settings): private to this OS user."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path


def data_dir() -> Path:
    """`CEOX_DATA_DIR`, else `.ceox/` in the working directory; created with mode 0700."""
    path = Path(os.environ.get("CEOX_DATA_DIR") or ".ceox").resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def private_db(name: str) -> sqlite3.Connection:
    """An SQLite file in the data directory, readable and writable by this user only (0600)."""
    path = data_dir() / name
    if not path.exists():
        path.touch(mode=0o600)
    os.chmod(path, 0o600)
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    use_wal(conn, 10)
    return conn


def use_wal(db: sqlite3.Connection, timeout_s: float) -> None:
    """Switch the file to WAL once; later connections find it already so.

    Switching needs the file to itself, and SQLite answers "locked" at once, without its busy handler,
    when another connection (a background sync creating the file) is inside a transaction: retry
    until the timeout instead of failing the page.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
