"""How many requests an async client keeps in flight, and how fast it starts them, learnt from the answers.

A service that allows, say, 10 requests a second answers the rest 429. Holding a fixed 16 requests in
flight would spend most of a first sync on 429s; instead (AIMD, as TCP does):

- the window of requests in flight starts at `START_WINDOW`, grows by one per window's worth of
  answers (additive) up to a ceiling, and halves on a 429 (multiplicative, once per round trip);
  it does not grow while answers take more than `SLOW_FACTOR` times the fastest seen (the service is
  queueing: more in flight would only wait longer);
- after the first 429 the client also paces the starts of requests: the rate begins at what the
  service answered in the last second, grows by 1 % a second and drops 5 % on every 429, so it
  settles just under the service's limit and touches it only now and then.

A 429's `Retry-After` is honoured by the retry of that request (`RetryPolicy`); the others go on at
the paced rate.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque

START_WINDOW = 8
WINDOW_DECREASE = 0.5
SLOW_FACTOR = 3.0
RATE_DECREASE = 0.95
# Added to the rate per successful answer: +1 % of the rate each second at that rate.
RATE_GROWTH_PER_ANSWER = 0.01
MIN_RATE = 0.5
RATE_WINDOW_S = 1.0


class AdaptivePace:
    def __init__(self, ceiling: int) -> None:
        self.ceiling = ceiling
        self.window = float(min(START_WINDOW, ceiling))
        # Requests a second once the service has said it is too many; None: not paced.
        self.rate: float | None = None
        self.answered = 0
        self.limited = 0
        self._in_flight = 0
        self._next_start = 0.0
        self._decreased_at = -math.inf
        self._fastest = math.inf
        self._recent: deque[float] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> float:
        """Wait for a place in the window and for the paced start time; returns the start time."""
        while self._in_flight >= int(self.window):
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                else:
                    self._wake()  # it was woken: hand the place on
                raise
        self._in_flight += 1
        now = time.monotonic()
        if self.rate:
            start = max(now, self._next_start)
            self._next_start = start + 1 / self.rate
            if start > now:
                try:
                    await asyncio.sleep(start - now)
                except asyncio.CancelledError:
                    self._in_flight -= 1
                    self._wake()
                    raise
        return time.monotonic()

    def release(self, started: float, *, limited: bool) -> None:
        """Record how the request that started at `started` was answered, and free its place."""
        self._in_flight -= 1
        now = time.monotonic()
        if limited:
            self.limited += 1
            if self.rate is None:
                self._trim(now)
                self.rate = len(self._recent) / RATE_WINDOW_S
                self._next_start = now
            self.rate = max(MIN_RATE, self.rate * RATE_DECREASE)
            # Answers to requests sent before the last decrease say nothing new about the window.
            if started > self._decreased_at:
                self.window = max(1.0, self.window * WINDOW_DECREASE)
                self._decreased_at = now
        else:
            self.answered += 1
            latency = now - started
            self._fastest = min(self._fastest, latency)
            if latency <= SLOW_FACTOR * self._fastest:
                self.window = min(float(self.ceiling), self.window + 1 / self.window)
            if self.rate is None:
                self._recent.append(now)
                self._trim(now)
            else:
                self.rate += RATE_GROWTH_PER_ANSWER
        self._wake()

    def _trim(self, now: float) -> None:
        while self._recent and self._recent[0] < now - RATE_WINDOW_S:
            self._recent.popleft()

    def _wake(self) -> None:
        free = int(self.window) - self._in_flight
        while free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1
