"""The demo workspace: a seeded sandbox in a process of its own, started once for the dashboard's process.

In its own interpreter the sandbox does not compete with the pages (and the background sync) for this
one. It stops with the dashboard, however the dashboard ends: it reads its standard input from a pipe
that only this process holds, and exits when that closes.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

DEMO_PORT = int(os.environ.get("CEOX_DEMO_PORT", "8700"))
# A fixed key lets a test (or an operator) reach the same demo sandbox from outside; default: generated.
DEMO_API_KEY = os.environ.get("CEOX_DEMO_API_KEY") or None
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DemoWorkspace:
    api_url: str
    api_key: str

    def __repr__(self) -> str:  # the key never shows in a repr
        return f"DemoWorkspace(api_url={self.api_url!r})"


class DemoStartError(RuntimeError):
    """The demo sandbox did not start."""


_lock = threading.Lock()
_process: subprocess.Popen[str] | None = None
_workspace: DemoWorkspace | None = None


def demo_workspace() -> DemoWorkspace:
    """Start the demo sandbox on first use (port 8700, or a free one when taken) and return it."""
    global _workspace
    with _lock:
        if _workspace is None:
            try:
                _workspace = _start(DEMO_PORT)
            except DemoStartError:
                _workspace = _start(0)
        return _workspace


def running_api_url() -> str | None:
    """The demo sandbox's API URL when this process has started it."""
    return None if _workspace is None else _workspace.api_url


def _start(port: int) -> DemoWorkspace:
    global _process
    command = [sys.executable, "-m", "ceox_sandbox", "--port", str(port), "--seed", "demo", "--exit-with-stdin"]
    env = dict(os.environ)
    if DEMO_API_KEY:
        env["CEOX_SANDBOX_API_KEY"] = DEMO_API_KEY  # not on the command line, where `ps` would show it
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # noqa: S603
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    # "CEOX sandbox at <url>", then "API key: <key>", once seeded and listening.
    first, second = process.stdout.readline(), process.stdout.readline()
    if " at " not in first or not second.startswith("API key: "):
        process.kill()
        process.wait()
        raise DemoStartError("the demo sandbox did not start")
    _process = process
    atexit.register(_stop)
    return DemoWorkspace(first.rsplit(" at ", 1)[1].strip(), second.removeprefix("API key: ").strip())


def _stop() -> None:
    if _process is not None and _process.poll() is None:
        _process.terminate()
        try:
            _process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _process.kill()
