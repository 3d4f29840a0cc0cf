"""A demo sandbox in a child process, for benchmarks.

Served from the benchmark's own process, the sandbox would share its interpreter lock with the
client under test, and a concurrency figure would measure the server's CPU instead of the
client's overlapping of waits. A real service runs elsewhere; so does this one.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class RunningSandbox:
    api_url: str
    api_key: str


@contextmanager
def sandbox_process(seed: str = "demo", latency_ms: float = 0) -> Iterator[RunningSandbox]:
    api_key = "ceox_bench" + secrets.token_urlsafe(16)
    command = [
        sys.executable,
        "-m",
        "ceox_sandbox",
        "--port",
        "0",
        "--seed",
        seed,
        "--latency-ms",
        str(latency_ms),
        "--api-key",
        api_key,
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)  # noqa: S603 - fixed arguments
    try:
        # The first line names the URL, with the port the server picked.
        first = process.stdout.readline() if process.stdout else ""
        if " at " not in first:
            raise RuntimeError(f"the sandbox did not start: {first!r}")
        yield RunningSandbox(first.rsplit(" at ", 1)[1].strip(), api_key)
    finally:
        process.terminate()
        process.wait(timeout=START_TIMEOUT_S)
