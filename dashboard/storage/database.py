"""The one seam between the dashboard's stores and their engine: SQLite files, or one PostgreSQL database.

    db = shared_database("receiver.sqlite", SQLITE_SCHEMA)
    with db.transaction(lock=f"events:{tenant}") as tx:      # one transaction, serialised on `lock`
        tx.execute("INSERT INTO events (...) VALUES (?, ?) ON CONFLICT DO NOTHING", (...))
        rows = tx.rows("SELECT ... WHERE " + tx.dialect.ids_in("conversation_id"), (tx.dialect.ids(ids),))

`CEOX_DATABASE_URL` (or `configure(url)`, from `[ceox] database_url` in secrets.toml) unset: each store
keeps its own SQLite file in the data directory, its schema created on use, as always. Set to
`postgresql://…`: every store's tables are in that one database, created by the numbered migrations in
`migrations/` (applied once, in order, under an advisory lock, the first time a process uses it), so
several dashboard processes share one state. Stores write their SQL once, with `?` placeholders, in the
SQL both engines speak (ON CONFLICT upserts, window functions); the few differences are `Dialect` methods.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

DATABASE_URL_ENV = "CEOX_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_FILE = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
# pg_advisory_lock key of the migrations: any constant that no store's `lock` name hashes to matters little.
_MIGRATION_LOCK = 7_004_202_616
POOL_SIZE = 10  # connections per process: pages, the receiver and sync workers share them


class DatabaseUnavailable(Exception):
    """The configured database cannot be used; the message names the host, never the password."""


class Dialect(ABC):
    @abstractmethod
    def ids_in(self, column: str) -> str:
        """SQL testing `column` against one parameter holding `ids(values)`."""

    @abstractmethod
    def ids(self, values: Collection[int]) -> Any:
        """The parameter `ids_in` compares with."""

    @abstractmethod
    def byte_length(self, expression: str) -> str:
        """SQL for the length in bytes of a text."""


class SQLiteDialect(Dialect):
    def ids_in(self, column: str) -> str:
        return f"{column} IN (SELECT value FROM json_each(?))"

    def ids(self, values: Collection[int]) -> Any:
        return json.dumps(sorted(values))

    def byte_length(self, expression: str) -> str:
        return f"LENGTH(CAST({expression} AS BLOB))"


class PostgresDialect(Dialect):
    def ids_in(self, column: str) -> str:
        return f"{column} = ANY(?)"

    def ids(self, values: Collection[int]) -> Any:
        return sorted(values)

    def byte_length(self, expression: str) -> str:
        return f"octet_length({expression})"


class Transaction(ABC):
    """One connection inside one transaction, for the length of a `with`; rows come back as dicts."""

    dialect: Dialect

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; how many rows it changed."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        found = self.rows(sql, params)
        return next(iter(found[0].values())) if found else None


class Database(ABC):
    dialect: Dialect

    @property
    @abstractmethod
    def shared(self) -> bool:
        """Whether other processes (replicas) see this state."""

    @abstractmethod
    def transaction(self, lock: str | None = None) -> Any:
        """A context manager yielding a `Transaction`, committed when the block ends without an error.
        With `lock`, transactions naming the same lock (in any process sharing the database) run one at a
        time, so a read-then-write decides once."""


# --- SQLite: a file per store, private to this OS user ------------------------------------------------

class _SQLiteTransaction(Transaction):
    dialect = SQLiteDialect()

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, tuple(params)).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self._db.execute(sql, tuple(params))]


_file_locks: dict[str, threading.Lock] = {}
_file_locks_guard = threading.Lock()


class SQLiteDatabase(Database):
    """One file under the data directory (`private_db`), its schema created by each connection."""

    dialect = SQLiteDialect()
    shared = False

    def __init__(self, name: str, schema: str) -> None:
        self.name, self.schema = name, schema
        with _file_locks_guard:
            # Sessions of one process are threads: one connection to a store's file at a time.
            self._lock = _file_locks.setdefault(name, threading.Lock())

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[Transaction]:
        from dashboard.storage import private_db

        with self._lock:
            db = private_db(self.name)
            try:
                db.executescript(self.schema)
                # With a lock, the file's write lock from the start: another process's read-then-write waits.
                db.execute("BEGIN IMMEDIATE" if lock is not None else "BEGIN")
                try:
                    yield _SQLiteTransaction(db)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                db.close()


# --- PostgreSQL: one database shared by every replica ----------------------------------------------------

def _to_pyformat(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (a literal `%` doubled first). Stores put no `?` in literals."""
    return sql.replace("%", "%%").replace("?", "%s")


class _PostgresTransaction(Transaction):
    dialect = PostgresDialect()

    def __init__(self, connection: Any) -> None:
        self._db = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(_to_pyformat(sql), tuple(params)).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._db.cursor().executemany(_to_pyformat(sql), rows)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return list(self._db.execute(_to_pyformat(sql), tuple(params)).fetchall())


def describe_url(url: str) -> str:
    """The URL's host, port and database, for messages and logs: never the user's password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname or 'localhost'}{port}{parts.path or '/'}"


class PostgresDatabase(Database):
    """A pool of connections to one PostgreSQL database, migrated on first use."""

    dialect = PostgresDialect()
    shared = True

    def __init__(self, url: str) -> None:
        import psycopg
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self.url = url
        self.where = describe_url(url)
        self._unreachable = psycopg.OperationalError  # also the pool's timeout
        self._pool = ConnectionPool(url, min_size=1, max_size=POOL_SIZE, open=False, name="ceox",
                                    kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": 5},
                                    check=ConnectionPool.check_connection)
        self._ready = False
        self._ready_lock = threading.Lock()

    @contextmanager
    def connection(self, timeout: float = 10) -> Iterator[Any]:
        """A pooled connection (autocommit), the schema migrated first."""
        self._prepare(timeout)
        try:
            with self._pool.connection(timeout=timeout) as conn:
                yield conn
        except self._unreachable as exc:
            raise DatabaseUnavailable(f"The database at {self.where} cannot be reached.") from exc

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[Transaction]:
        with self.connection() as conn, conn.transaction():
            if lock is not None:
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock,))
            yield _PostgresTransaction(conn)

    def ping(self) -> None:
        with self.connection(timeout=3) as conn:
            conn.execute("SELECT 1")

    def _prepare(self, timeout: float) -> None:
        with self._ready_lock:
            if self._ready:
                return
            try:
                self._pool.open(wait=True, timeout=timeout)
                with self._pool.connection(timeout=timeout) as conn:
                    migrate(conn)
            except self._unreachable as exc:
                raise DatabaseUnavailable(f"The database at {self.where} cannot be reached.") from exc
            self._ready = True

    def close(self) -> None:
        self._pool.close()


def migration_files() -> list[tuple[int, Path]]:
    """(version, file) of every migration, in order; a misnamed or duplicate file is a packaging error."""
    found = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        match = _MIGRATION_FILE.fullmatch(path.name)
        if match is None:
            raise RuntimeError(f"migration file {path.name} is not named NNNN_name.sql")
        found.append((int(match.group(1)), path))
    versions = [version for version, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError("two migration files have the same number")
    return found


def migrate(conn: Any) -> list[int]:
    """Apply the migrations this database has not had, each in its own transaction, under an advisory
    lock so that replicas starting together apply each once. Returns the versions applied now."""
    applied_now = []
    conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                     " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        done = {row["version"] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
        for version, path in migration_files():
            if version in done:
                continue
            with conn.transaction():
                conn.execute(path.read_text(encoding="utf-8"))
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, path.name))
            applied_now.append(version)
            log.info("database migration applied", extra={"migration": path.name})
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
    return applied_now


# --- which one -----------------------------------------------------------------------------------------

_configured: str | None = None
_databases: dict[str, PostgresDatabase] = {}
_databases_lock = threading.Lock()


def configure(url: str | None) -> None:
    """The database URL from the operator's secrets.toml (`[ceox] database_url`); the environment wins."""
    global _configured
    _configured = (url or "").strip() or None


def database_url() -> str | None:
    url = os.environ.get(DATABASE_URL_ENV, "").strip() or _configured
    if url and urlsplit(url).scheme not in ("postgresql", "postgres"):
        raise DatabaseUnavailable(f"{DATABASE_URL_ENV} must be a postgresql:// URL (or unset for local files).")
    return url


def postgres() -> PostgresDatabase | None:
    """The configured PostgreSQL database (one pool per URL per process), or None for local files."""
    url = database_url()
    if url is None:
        return None
    with _databases_lock:
        if url not in _databases:
            _databases[url] = PostgresDatabase(url)
        return _databases[url]


def shared_database(sqlite_name: str, sqlite_schema: str) -> Database:
    """Where a store keeps its state: the configured PostgreSQL database, else its own SQLite file."""
    return postgres() or SQLiteDatabase(sqlite_name, sqlite_schema)
