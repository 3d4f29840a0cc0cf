"""Window first on a large workspace (`--seed large`, about 20,000 conversations) behind a rate limit of
100 requests a second and 20 ms of latency: how soon the last 7 days' figures are final.

- `large_window_first_vs_ideal`: time until the last-7-days figures are final ÷ (threads active in those
  7 days ÷ 100 + the list call's time) (target ≤ 1.3);
- `large_window_first_share`: that time ÷ the time the full sync takes at the limit (target ≤ 0.15);
- `large_full_sync_s`, `large_window_final_s`, `large_window_threads`, `large_seed_s` (the sandbox's
  start, seeding included).

The figures read from the cache at the moment the window is final are checked against those of the
complete cache (the whole history) for the same 7 days.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from bench import benchmark
from bench._sandbox import sandbox_process
from ceox_api import Client
from dashboard.analytics import AnalyticsSettings, Card, Filters, build_cycles, headline
from dashboard.sync import Cache, Window

LATENCY_MS = 20
RATE_LIMIT_PER_S = 100.0
CONCURRENCY = 16
DAYS = 7
SETTINGS = AnalyticsSettings().resolved("UTC")


def _figures(cache: Cache, filters: Filters) -> dict:
    """The period's card values and summaries (their comparisons need the 7 days before: not asked for)."""
    conversations, messages, available = cache.frames()
    cards = headline(build_cycles(conversations, messages, SETTINGS, available), filters)
    return {key: (card.value, card.summary) if isinstance(card, Card) else card for key, card in cards.items()}


@benchmark
def large_window_first() -> dict[str, float]:
    started = time.perf_counter()
    with (
        sandbox_process(seed="large", latency_ms=LATENCY_MS) as sandbox,
        Client(sandbox.api_url, api_key=sandbox.api_key) as client,
        tempfile.TemporaryDirectory() as cache_dir,
    ):
        seeded = time.perf_counter() - started
        today = datetime.now(UTC).date()
        window = Window(datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time(), UTC))
        filters = Filters(start=today - timedelta(days=DAYS - 1), end=today)
        before = time.perf_counter()
        listed = client.conversations.list(status="all")
        list_call = time.perf_counter() - before
        in_window = sum(1 for c in listed if c.last_message_at is not None and c.last_message_at >= window.start)

        client.sandbox.set_faults(rate_limit_per_s=RATE_LIMIT_PER_S)
        time.sleep(1.5)  # the limiter's bucket starts full: let it settle before the clock starts
        cache = Cache.for_client(client, cache_dir=cache_dir)
        final_at: list[float] = []
        partial: list[dict] = []
        done = threading.Event()

        def watch() -> None:  # what a page sees: the coverage of the cache file, polled
            while not done.is_set():
                if cache.coverage(window).window_final:
                    final_at.append(time.perf_counter() - clock)
                    partial.append(_figures(cache, filters))
                    return
                time.sleep(0.02)

        clock = time.perf_counter()
        watcher = threading.Thread(target=watch)
        watcher.start()
        report = cache.refresh(client, concurrency=CONCURRENCY, priority=lambda: window)
        full = time.perf_counter() - clock
        done.set()
        watcher.join()
        client.sandbox.set_faults()
        if report.failed or not final_at:
            raise RuntimeError(f"the large sync did not complete: {report}")
        print(f"  window final after {final_at[0]:.1f} s ({in_window:,} threads, list call {list_call:.2f} s), "
              f"full sync {full:.1f} s", file=sys.stderr, flush=True)
        if partial[0] != _figures(cache, filters):
            raise RuntimeError("the last 7 days' figures once final differ from those of the full sync")
    ideal = in_window / RATE_LIMIT_PER_S + list_call
    return {
        "large_window_first_vs_ideal": final_at[0] / ideal,
        "large_window_first_share": final_at[0] / full,
        "large_window_final_s": final_at[0],
        "large_full_sync_s": full,
        "large_window_threads": float(in_window),
        "large_seed_s": seeded,
    }
