"""The demo workspace: a seeded sandbox started inside the dashboard's own process, once."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from ceox_sandbox.server import SandboxServer

DEMO_PORT = int(os.environ.get("CEOX_DEMO_PORT", "8700"))
# A fixed key lets a test (or an operator) reach the same demo sandbox from outside; default: generated.
DEMO_API_KEY = os.environ.get("CEOX_DEMO_API_KEY") or None


@dataclass(frozen=True)
class DemoWorkspace:
    api_url: str
    api_key: str

    def __repr__(self) -> str:  # the key never shows in a repr
        return f"DemoWorkspace(api_url={self.api_url!r})"


_lock = threading.Lock()
_server: SandboxServer | None = None


def demo_workspace() -> DemoWorkspace:
    """Start the demo sandbox on first use (port 8700, or a free one when taken) and return it."""
    global _server
    with _lock:
        if _server is None:
            try:
                _server = SandboxServer(seed="demo", port=DEMO_PORT, api_key=DEMO_API_KEY).start()
            except OSError:
                _server = SandboxServer(seed="demo", port=0, api_key=DEMO_API_KEY).start()
        return DemoWorkspace(_server.api_url, _server.api_key)


def running_api_url() -> str | None:
    """The demo sandbox's API URL when it has been started in this process."""
    return None if _server is None else _server.api_url
