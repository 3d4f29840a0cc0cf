"""Where the dashboard keeps its own files (audit log, caches, settings): private to this OS user."""

from __future__ import annotations

import os
import sqlite3
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
    conn.execute("PRAGMA journal_mode = WAL")
    return conn
