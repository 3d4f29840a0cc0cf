"""`streamlit run` as a user starts it, for the tests that need the real server (browser, routes, replicas)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(script: Path, port: int, log: Path, env: dict[str, str]) -> subprocess.Popen:
    """`streamlit run script` from the project root (so its .streamlit/config.toml applies), on `port`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false",
             # Source edits during a run would make Streamlit re-import modules, and cached reads of
             # the old classes' objects then fail to pickle ("This app has encountered an error").
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"streamlit did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


@contextmanager
def running_streamlit(script: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """The URL of `streamlit run script` on a free port, stopped when the block ends."""
    port = free_port()
    process = start_streamlit(script, port, log, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
