"""Syncing the demo workspace into the analytics cache: cold against naive sequential fetching, and a
refresh after 1 % of the conversations changed against the cold sync."""

from __future__ import annotations

import statistics
import tempfile
import time

from bench import benchmark
from bench._sandbox import sandbox_process
from ceox_api import Client
from dashboard.sync import Cache

# Each request to the sandbox waits this long, like a round trip to the real service.
LATENCY_MS = 20
CONCURRENCY = 16
CHANGED_SHARE = 0.01
# Cold syncs and warm refreshes are each measured this many times; the medians count.
RUNS = 3
FRAME_READS = 5


@benchmark
def sync() -> dict[str, float]:
    with (
        sandbox_process(seed="demo", latency_ms=LATENCY_MS) as sandbox,
        Client(sandbox.api_url, api_key=sandbox.api_key) as client,
        tempfile.TemporaryDirectory() as cache_dir,
    ):
        # The naive way: the list, then each thread one by one.
        started = time.perf_counter()
        listed = client.conversations.list(status="all")
        one_by_one = {c.id: client.conversations.messages(c.id) for c in listed}
        sequential = time.perf_counter() - started

        cache = Cache.for_client(client, cache_dir=cache_dir)
        colds = []
        for _ in range(RUNS):
            cache.clear()
            started = time.perf_counter()
            report = cache.refresh(client, concurrency=CONCURRENCY)
            colds.append(time.perf_counter() - started)
            if (report.conversations, report.messages) != (len(one_by_one), sum(map(len, one_by_one.values()))):
                raise RuntimeError(f"the cold sync disagrees with fetching one by one: {report}")

        # Each round, a fresh 1 % of the (one-to-one) conversations receives a customer message.
        singles = [c for c in listed if not c.is_group]
        per_round = max(1, round(len(listed) * CHANGED_SHARE))
        warms = []
        for run in range(RUNS):
            changed = singles[run * per_round:(run + 1) * per_round]
            for c in changed:
                client.sandbox.inbound(device_id=c.device_id, from_=c.contact_phone, body="Halo, ada update?")
            started = time.perf_counter()
            report = cache.refresh(client, concurrency=CONCURRENCY)
            warms.append(time.perf_counter() - started)
            # Besides the changed ones, only those the previous round touched (the safety window).
            if report.fetched_ids - report.recent_ids != {c.id for c in changed}:
                raise RuntimeError(f"the refresh fetched other threads than the changed and recent ones: {report}")

        reads = []
        for _ in range(FRAME_READS):
            started = time.perf_counter()
            cache.frames()
            reads.append(time.perf_counter() - started)

    cold, warm = statistics.median(colds), statistics.median(warms)
    return {
        "sync_cold_vs_sequential": sequential / cold,
        "sync_warm_vs_cold": cold / warm,
        "sync_sequential_s": sequential,
        "sync_cold_s": cold,
        "sync_warm_s": warm,
        "sync_frames_read_s": statistics.median(reads),
    }
