"""Build a sandbox (database, seed, API key) and serve it with uvicorn, in a thread or in the foreground."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from pathlib import Path
from typing import Literal

import uvicorn

from ceox_sandbox import secrets
from ceox_sandbox.app import create_app
from ceox_sandbox.faults import API_PREFIX, Faults
from ceox_sandbox.routes.sandbox import create_api_key
from ceox_sandbox.state import Host, Sandbox
from ceox_sandbox.store import Store, now
from ceox_sandbox.webhooks import RETRY_DELAYS, WebhookDispatcher

DEFAULT_KEY_META = "default_api_key"
MAX_WORKSPACES = 20
# Workspace k's ids start at (k - 1) * ID_SPAN + 1, so that no id is valid in two workspaces.
ID_SPAN = 1_000_000_000


class _Server(uvicorn.Server):
    """Stops on Ctrl-C or SIGTERM and returns, rather than re-raising the signal after shutting
    down as uvicorn does, so that `serve_forever` can close the database and exit with 0."""

    def handle_exit(self, sig, frame) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def _accepted_key(state: Sandbox, api_key: str | None) -> str:
    """The key to print: the one given (registered if new), else the database's default key."""
    store = state.store
    if api_key is not None:
        if not api_key.startswith(secrets.API_KEY_PREFIX) or len(api_key) < 12:
            raise ValueError("an API key looks like ceox_ followed by at least 7 characters")
        with store.tx() as db:
            known = db.execute("SELECT 1 FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
                               (secrets.hash_api_key(api_key),)).fetchone()
        if not known:
            create_api_key(state, "command line", api_key)
        return api_key
    key = store.get_meta(DEFAULT_KEY_META)
    if key is not None:
        with store.tx() as db:
            active = db.execute("SELECT 1 FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
                                (secrets.hash_api_key(key),)).fetchone()
        if active:
            return key
    key = create_api_key(state, "default")["key"]
    store.set_meta(DEFAULT_KEY_META, key)
    return key


def workspace_db(db: str, number: int) -> str:
    """Workspace 1 lives in `db`; workspace k in `<db stem>.w<k><suffix>` beside it (or in memory)."""
    if db == ":memory:" or number == 1:
        return db
    path = Path(db)
    return str(path.with_name(f"{path.stem}.w{number}{path.suffix}"))


def _seed(store: Store, number: int, seed: str) -> None:
    # The seed modules are large: load them only when seeding.
    if number == 1:
        from ceox_sandbox.seed import seed_demo, seed_large
        (seed_large if seed == "large" else seed_demo)(store, now())
    else:
        from ceox_sandbox.seed_small import seed_small
        seed_small(store, now(), number)


class SandboxServer:
    """A running sandbox on a loopback port; `port=0` picks a free one.

    >>> with SandboxServer(seed="demo") as sandbox:
    ...     sandbox.api_url, sandbox.api_key

    With `workspaces=N` it hosts N independent workspaces behind the one address: `api_keys[i]` is the
    API key of workspace i + 1 (`api_key` is `api_keys[0]`), `workspaces[i]` its state, and
    `sign_in_email(i, "agent")` one of its demo sign-ins (all with the demo password).
    With `page_size=N` every list is answered in pages of N behind a cursor (see paging.py).
    """

    def __init__(self, db: str = ":memory:", seed: Literal["demo", "large", "empty"] = "demo",
                 api_key: str | None = None, latency_ms: float = 0, host: str = "127.0.0.1",
                 port: int = 0, webhook_retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 workspaces: int = 1, page_size: int | None = None) -> None:
        if not 1 <= workspaces <= MAX_WORKSPACES:
            raise ValueError(f"workspaces must be a number from 1 to {MAX_WORKSPACES}")
        # Bind first: a taken port fails fast, before any seeding work.
        self._socket = socket.create_server((host, port))
        # Accepted connections inherit this; asyncio only sets it itself on sockets made with proto=IPPROTO_TCP.
        # Without it, every keep-alive response waits ~40 ms (Nagle + delayed ACK) between headers and body.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host, self.port = host, self._socket.getsockname()[1]
        faults = Faults(latency_ms=latency_ms)
        self.workspaces: list[Sandbox] = []
        self.api_keys: list[str] = []
        try:
            for number in range(1, workspaces + 1):
                store = Store(workspace_db(db, number))
                self.workspaces.append(Sandbox(store, faults, WebhookDispatcher(store, webhook_retry_delays)))
                if number > 1:
                    store.start_ids_at((number - 1) * ID_SPAN + 1)
                if seed != "empty" and store.is_empty():
                    _seed(store, number, seed)
                self.api_keys.append(_accepted_key(self.workspaces[-1], api_key if number == 1 else None))
        except BaseException:
            self._close()
            raise
        self.state = self.workspaces[0]
        self.api_key = self.api_keys[0]
        self.app = create_app(Host(self.workspaces, faults), page_size=page_size)
        self._server = _Server(uvicorn.Config(self.app, log_level="warning", access_log=False,
                                                     lifespan="off", timeout_graceful_shutdown=2))
        self._thread: threading.Thread | None = None

    @staticmethod
    def sign_in_email(index: int, who: str = "admin") -> str:
        """The demo sign-in `who` (admin, agent, supervisor, manager, analyst) of workspace `index` + 1:
        admin@demo.ceox.local for index 0, admin@w2.demo.ceox.local for index 1, ..."""
        from ceox_sandbox.seed_small import sign_in_email
        return sign_in_email(index + 1, who)

    @property
    def reachable_from_other_machines(self) -> bool:
        """Bound to anything but a loopback address (0.0.0.0 included)."""
        return not ipaddress.ip_address(self._socket.getsockname()[0]).is_loopback

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C or SIGTERM (uvicorn handles both), then clean up."""
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._close()

    def start(self, timeout_s: float = 15) -> SandboxServer:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name=f"ceox-sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        return self

    def request_exit(self) -> None:
        """Have `serve_forever` (or the `start` thread) stop, from any thread."""
        self._server.should_exit = True

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._close()

    def _close(self) -> None:
        for workspace in self.workspaces:
            workspace.webhooks.close()
        self._socket.close()
        for workspace in self.workspaces:
            workspace.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
