"""Fetching every demo conversation thread: concurrently (16 at a time) against one by one."""

from __future__ import annotations

import time

from bench import benchmark
from bench._sandbox import sandbox_process
from ceox_api import Client

# Each request to the sandbox waits this long, like a round trip to the real service.
LATENCY_MS = 20
CONCURRENCY = 16


@benchmark
def threads() -> dict[str, float]:
    with (
        sandbox_process(seed="demo", latency_ms=LATENCY_MS) as sandbox,
        Client(sandbox.api_url, api_key=sandbox.api_key) as client,
    ):
        ids = [c.id for c in client.conversations.list(status="all")]

        started = time.perf_counter()
        one_by_one = {i: client.conversations.messages(i) for i in ids}
        sequential = time.perf_counter() - started

        started = time.perf_counter()
        together = client.conversations.fetch_threads(ids, concurrency=CONCURRENCY)
        concurrent = time.perf_counter() - started

    if together != one_by_one:
        raise RuntimeError("concurrent fetching returned different threads than fetching one by one")
    return {
        "threads_concurrent_vs_sequential": sequential / concurrent,
        "threads_sequential_s": sequential,
        "threads_concurrent_s": concurrent,
    }
