"""Injected latency, random 5xx and rate limiting, applied to `/api/v1` only."""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

API_PREFIX = "/api/v1"


@dataclass
class Faults:
    latency_ms: float = 0
    error_rate: float = 0
    rate_limit_per_s: float | None = None
    throttle_rate: float = 0  # extension: a fraction of requests answered 429 at random
    _tokens: float = 0
    _refilled: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(default_factory=random.Random)
    # Requests that passed the faults and reached a route, by path: what tests count fetches with.
    served: Counter[str] = field(default_factory=Counter)

    def configure(self, latency_ms: float = 0, error_rate: float = 0, rate_limit_per_s: float | None = None,
                  throttle_rate: float = 0) -> None:
        with self._lock:
            self.latency_ms, self.error_rate, self.rate_limit_per_s = latency_ms, error_rate, rate_limit_per_s
            self.throttle_rate = throttle_rate
            self._tokens, self._refilled = rate_limit_per_s or 0, time.monotonic()

    def as_dict(self) -> dict:
        return {"latency_ms": self.latency_ms, "error_rate": self.error_rate,
                "rate_limit_per_s": self.rate_limit_per_s, "throttle_rate": self.throttle_rate}

    def _seconds_until_allowed(self) -> float:
        """Token bucket holding one second's worth of requests; 0 when this request may pass."""
        rate = self.rate_limit_per_s
        if not rate:
            return 0
        with self._lock:
            clock = time.monotonic()
            self._tokens = min(rate, self._tokens + (clock - self._refilled) * rate)
            self._refilled = clock
            if self._tokens >= 1:
                self._tokens -= 1
                return 0
            return (1 - self._tokens) / rate

    async def middleware(self, request: Request, call_next) -> Response:
        if not request.url.path.startswith(API_PREFIX):
            return await call_next(request)
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        wait = self._seconds_until_allowed()
        if not wait and self.throttle_rate and self._random.random() < self.throttle_rate:
            wait = 1
        if wait:
            return JSONResponse({"error": "rate limit exceeded: slow down and retry"}, status_code=429,
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})
        if self.error_rate and self._random.random() < self.error_rate:
            return JSONResponse({"error": "injected fault: the service is temporarily unavailable"},
                                status_code=503)
        with self._lock:
            self.served[request.url.path] += 1
        return await call_next(request)

    def served_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.served)
