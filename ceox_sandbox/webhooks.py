"""Webhook delivery over real HTTP, in background threads, with retries and a delivery log."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from ceox_sandbox.store import Store, loads_list, now_iso

TIMEOUT_S = 10.0
# A delivery is tried once, then retried with growing delays (seconds).
RETRY_DELAYS = (2.0, 10.0, 30.0)
HEADERS = {"Content-Type": "application/json", "User-Agent": "ceox-webhooks"}


class WebhookDispatcher:
    def __init__(self, store: Store, retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 timeout_s: float = TIMEOUT_S, workers: int = 8) -> None:
        self._store = store
        self._retry_delays = retry_delays
        self._http = httpx.Client(timeout=timeout_s, headers=HEADERS, follow_redirects=False)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ceox-webhook")
        self._closing = threading.Event()
        self._timers: set[threading.Timer] = set()
        self._timers_lock = threading.Lock()

    def publish(self, event: str, payload: dict) -> None:
        """Queue `payload` for every active webhook subscribed to `event`; returns at once."""
        with self._store.tx() as db:
            hooks = db.execute("SELECT id, url, events FROM webhooks WHERE active = 1").fetchall()
        body = json.dumps(payload).encode()
        for hook in hooks:
            if event in loads_list(hook["events"]) and not self._closing.is_set():
                self._pool.submit(self._deliver, hook["id"], hook["url"], event,
                                  payload.get("conversation_id"), body)

    def _deliver(self, webhook_id: int, url: str, event: str, conversation_id: int | None,
                 body: bytes, attempt: int = 1) -> None:
        """One attempt; a failed one schedules the next after its delay, without holding a worker
        meanwhile (a few dead webhooks must not queue every other delivery behind their retries)."""
        if self._closing.is_set():
            return
        started = time.perf_counter()
        status_code, error = None, None
        try:
            status_code = self._http.post(url, content=body).status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except Exception as exc:  # any failure (httpx errors, a host name IDNA cannot encode, ...) is logged
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        self._record(webhook_id, url, event, conversation_id, attempt, status_code, error, duration_ms)
        if error is None or attempt > len(self._retry_delays) or self._closing.is_set():
            return
        timer = threading.Timer(self._retry_delays[attempt - 1], self._retry,
                                (webhook_id, url, event, conversation_id, body, attempt + 1))
        timer.daemon = True
        with self._timers_lock:
            self._timers = {t for t in self._timers if t.is_alive()} | {timer}
        timer.start()

    def _retry(self, *args: object) -> None:
        if not self._closing.is_set():
            with contextlib.suppress(RuntimeError):  # the pool shut down meanwhile
                self._pool.submit(self._deliver, *args)

    def _record(self, *row: object) -> None:
        try:
            with self._store.tx() as db:
                db.execute("INSERT INTO deliveries (webhook_id, url, event, conversation_id, attempt,"
                           " status_code, error, duration_ms, time) VALUES (?,?,?,?,?,?,?,?,?)",
                           (*row, now_iso()))
        except Exception:  # the store closed under a late delivery at shutdown: nothing to log to
            if not self._closing.is_set():
                raise

    def close(self) -> None:
        self._closing.set()
        with self._timers_lock:
            for timer in self._timers:
                timer.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()
