"""Opening a cache file while another connection writes it never fails the page."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from dashboard.sync import store


def test_a_cache_opened_while_the_sync_creates_it_waits_instead_of_failing(tmp_path: Path) -> None:
    # The background sync has just created the file (still in rollback-journal mode) and is inside
    # a write transaction when the page opens it: SQLite refuses the switch to WAL at once.
    path = tmp_path / "cache.sqlite"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    released = threading.Event()

    def commit_later() -> None:
        released.wait(5)
        writer.execute("COMMIT")

    thread = threading.Thread(target=commit_later)
    thread.start()
    threading.Timer(0.3, released.set).start()
    try:
        db = store.connect(path, create=False)
    finally:
        released.set()
        thread.join()
    assert db is not None
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    writer.close()
