"""A throw-away PostgreSQL cluster for the tests: Debian's server binaries, a temporary directory, a free port.

`make test` installs Debian's `postgresql` when it is missing. The cluster runs as the user running the
tests, or as `postgres` (through runuser) when that is root, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg


class PostgresUnavailable(Exception):
    pass


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    if not versions:
        raise PostgresUnavailable(f"PostgreSQL's {name} is not installed: apt-get install -y postgresql")
    return versions[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """initdb + pg_ctl in a temporary directory; `url(database)` to connect (trust authentication on loopback)."""

    USER = "ceox_test"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ceox-pg-"))
        self.port = _free_port()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.root, "postgres")

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self._as, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{Path(command[0]).name} failed: {result.stderr.strip()[-800:]}")

    def start(self) -> Cluster:
        data = self.root / "data"
        self._run(_binary("initdb"), "-D", str(data), "--auth=trust", "-U", self.USER, "--no-sync", "-E", "UTF8")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run(_binary("pg_ctl"), "-D", str(data), "-l", str(self.root / "server.log"), "-o", options, "-w",
                  "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        deadline = time.monotonic() + 30
        subprocess.run([*self._as, _binary("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=max(1, deadline - time.monotonic()))
        shutil.rmtree(self.root, ignore_errors=True)
