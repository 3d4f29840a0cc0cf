"""A first sync against a service that allows only so many requests a second: how close the
client's adaptive pacing (ceox_api/_pace.py) comes to the time the limit allows, and how few of its
requests the service turns away with 429."""

from __future__ import annotations

import tempfile
import time

import httpx

from bench import benchmark
from bench._sandbox import sandbox_process
from ceox_api import Client
from dashboard.sync import Cache

LATENCY_MS = 20
RATE_LIMIT_PER_S = 100.0
CONCURRENCY = 16


@benchmark
def sync_rate_limited() -> dict[str, float]:
    sent = 0

    def count(request: httpx.Request) -> None:
        nonlocal sent
        sent += 1

    with (
        sandbox_process(seed="demo", latency_ms=LATENCY_MS) as sandbox,
        Client(sandbox.api_url, api_key=sandbox.api_key) as admin,
        Client(sandbox.api_url, api_key=sandbox.api_key, request_hook=count) as client,
        tempfile.TemporaryDirectory() as cache_dir,
    ):
        admin.sandbox.set_faults(rate_limit_per_s=RATE_LIMIT_PER_S)
        # The limiter's bucket starts full; a second's pause lets it settle before the clock starts.
        time.sleep(1.5)
        cache = Cache.for_client(client, cache_dir=cache_dir)
        sent = 0
        started = time.perf_counter()
        report = cache.refresh(client, concurrency=CONCURRENCY)
        seconds = time.perf_counter() - started
        admin.sandbox.set_faults()
    if report.failed:
        raise RuntimeError(f"the rate-limited sync did not complete: {report}")
    # Each answered request: the list, then one thread per conversation.
    needed = 1 + report.fetched
    return {
        "sync_rate_limited_vs_ideal": seconds / (needed / RATE_LIMIT_PER_S),
        "sync_rate_limited_429_share": (sent - needed) / sent,
        "sync_rate_limited_s": seconds,
    }
