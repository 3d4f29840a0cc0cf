"""Build a sandbox (database, seed, API key) and serve it with uvicorn, in a thread or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from typing import Literal

import uvicorn

from ceox_sandbox import secrets
from ceox_sandbox.app import create_app
from ceox_sandbox.faults import API_PREFIX, Faults
from ceox_sandbox.routes.sandbox import create_api_key
from ceox_sandbox.state import Sandbox
from ceox_sandbox.store import Store, now
from ceox_sandbox.webhooks import RETRY_DELAYS, WebhookDispatcher

DEFAULT_KEY_META = "default_api_key"


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


class SandboxServer:
    """A running sandbox on a loopback port; `port=0` picks a free one.

    >>> with SandboxServer(seed="demo") as sandbox:
    ...     sandbox.api_url, sandbox.api_key
    """

    def __init__(self, db: str = ":memory:", seed: Literal["demo", "empty"] = "demo",
                 api_key: str | None = None, latency_ms: float = 0, host: str = "127.0.0.1",
                 port: int = 0, webhook_retry_delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        # Bind first: a taken port fails fast, before any seeding work.
        self._socket = socket.create_server((host, port))
        # Accepted connections inherit this; asyncio only sets it itself on sockets made with proto=IPPROTO_TCP.
        # Without it, every keep-alive response waits ~40 ms (Nagle + delayed ACK) between headers and body.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host, self.port = host, self._socket.getsockname()[1]
        store = Store(db)
        if seed == "demo" and store.is_empty():
            from ceox_sandbox.seed import seed_demo  # the seed module is large; load it only when seeding
            seed_demo(store, now())
        dispatcher = WebhookDispatcher(store, webhook_retry_delays)
        self.state = Sandbox(store, Faults(latency_ms=latency_ms), dispatcher)
        self.api_key = _accepted_key(self.state, api_key)
        self.app = create_app(self.state)
        self._server = _Server(uvicorn.Config(self.app, log_level="warning", access_log=False,
                                                     lifespan="off", timeout_graceful_shutdown=2))
        self._thread: threading.Thread | None = None

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

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._close()

    def _close(self) -> None:
        self.state.webhooks.close()
        self._socket.close()
        self.state.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
