"""Transport shared by both clients: credentials, URLs, retries, and answers turned into results or errors.

Secrets stay in `Credential`: they are sent only in the `Authorization` header (never in a URL,
which httpx logs), and are masked in every text the client produces.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, Self, TypeVar

import httpx
import pydantic

from ceox_api._call import Call
from ceox_api._pace import AdaptivePace
from ceox_api._paging import Listing, PageWalk
from ceox_api.assumptions import API_KEY_PREFIX, API_PREFIX, DEFAULT_BASE_URL
from ceox_api.errors import CeoxError, IncompleteList, RateLimited, ServerError, TransportError, error_from_response

T = TypeVar("T")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)
C = TypeVar("C", bound="BaseClient[Any]")

log = logging.getLogger("ceox_api")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
BASE_URL_ENV = "CEOX_BASE_URL"
API_KEY_ENV = "CEOX_API_KEY"
_USER_AGENT = "ceox-api-python/0.1"
_REDACTED = "[redacted]"


class Credential:
    """An API key or a user token. Its text shows the kind only, never the secret."""

    __slots__ = ("kind", "_secret")

    def __init__(self, kind: Literal["api_key", "token"], secret: str) -> None:
        # Refused here, without quoting it: httpx would reject it later in an error that does.
        if not secret or any(ch.isspace() or not ch.isprintable() for ch in secret):
            raise ValueError(f"the {kind.replace('_', ' ')} is empty or contains spaces or control characters")
        self.kind = kind
        self._secret = secret

    @classmethod
    def resolve(cls, api_key: str | None, token: str | None, use_env: bool = True) -> Credential | None:
        """Explicit arguments win over `CEOX_API_KEY`; no credential at all is allowed (for login)."""
        if api_key and token:
            raise ValueError("give either api_key or token, not both")
        if token:
            return cls("token", token.strip().removeprefix("Bearer ").strip())
        key = (api_key or (os.environ.get(API_KEY_ENV, "") if use_env else "")).strip()
        if not key:
            return None
        return cls("api_key", key if key.startswith(API_KEY_PREFIX) else API_KEY_PREFIX + key)

    @property
    def header(self) -> str:
        # API keys go bare, user tokens as Bearer (D).
        return f"Bearer {self._secret}" if self.kind == "token" else self._secret

    @property
    def identity(self) -> str:
        """A stable, non-reversible name for cache keys: the same credential gives the same text."""
        return f"{self.kind}:{hashlib.sha256(self._secret.encode()).hexdigest()[:16]}"

    def redact(self, text: str) -> str:
        return text.replace(self._secret, _REDACTED)

    def reveal(self) -> str:
        """The secret itself, for the few places that must hand it on (another client, a masking rule);
        never for display or logs."""
        return self._secret

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credential) and (self.kind, self._secret) == (other.kind, other._secret)

    def __hash__(self) -> int:
        return hash((self.kind, self._secret))

    def __repr__(self) -> str:
        return f"<Credential {self.kind}>"

    def __reduce__(self) -> Any:
        raise TypeError("a Credential cannot be pickled")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, for idempotent calls only."""

    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    # A Retry-After beyond this is cut short: a dashboard should not hang for minutes.
    retry_after_max: float = 30.0

    def delay(self, call: Call[Any], error: CeoxError, attempt: int) -> float | None:
        """Seconds to wait before trying `call` again, or None to give up with `error`."""
        if attempt >= self.max_retries or not call.idempotent:
            return None
        if not isinstance(error, TransportError | RateLimited | ServerError):
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(error.retry_after, self.retry_after_max)
        ceiling = min(self.backoff_max, self.backoff_base * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class BaseClient(Generic[H]):
    """Settings and the steps of a request that do not depend on sync or async I/O.

    `http_client` lets callers bring their own httpx client (proxies, a mock transport); the
    client closes only the one it made itself. `request_hook` sees every request before it is sent,
    may change it (pin the address it goes to, say) or refuse it by raising `RequestRefused`.
    `response_hook` sees every response (each page, each retry) before the client reads it; it may
    call `response.read()` to look at the body (the connection doctor does, to describe the answer's
    shape). Both apply only to the httpx client the client makes itself.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        token: str | None = None,
        credential: Credential | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        retry_after_max: float = 30.0,
        http_client: H | None = None,
        use_env: bool = True,
        request_hook: Callable[[httpx.Request], None] | None = None,
        response_hook: Callable[[httpx.Response], None] | None = None,
    ) -> None:
        # use_env=False: only explicit arguments count (an app must not send an operator's key to a
        # URL a visitor typed).
        env_base_url = os.environ.get(BASE_URL_ENV) if use_env else None
        self.base_url = (base_url or env_base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = RetryPolicy(max_retries, backoff_base, backoff_max, retry_after_max)
        if credential is not None and (api_key or token):
            raise ValueError("give a credential, or an api_key or token, not both")
        self._credential = credential or Credential.resolve(api_key, token, use_env=use_env)
        self.request_hook = request_hook
        self.response_hook = response_hook
        self._owns_http = http_client is None
        self._http: H = http_client or self._new_http()

    def _new_http(self) -> H:
        raise NotImplementedError

    @property
    def sandbox_url(self) -> str:
        """The sandbox server's root: the base URL without `/api/v1`."""
        return self.base_url.removesuffix(API_PREFIX)

    @property
    def auth_kind(self) -> str | None:
        """The credential's kind: "api_key" or "token"; None when the client has none."""
        return self._credential.kind if self._credential else None

    @property
    def identity(self) -> str | None:
        """Names the credential without revealing it: use it to key caches per user."""
        return self._credential.identity if self._credential else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={self.auth_kind!r})"

    def _twin(self, kind: type[C]) -> C:
        """A client of another kind (sync or async) with the same settings and credential."""
        retry = self.retry
        twin = kind(
            self.base_url,
            timeout=self.timeout,
            max_retries=retry.max_retries,
            backoff_base=retry.backoff_base,
            backoff_max=retry.backoff_max,
            retry_after_max=retry.retry_after_max,
            use_env=False,
            request_hook=self.request_hook,
            response_hook=self.response_hook,
        )
        twin._credential = self._credential
        return twin

    def _request_args(self, call: Call[Any]) -> dict[str, Any]:
        headers = {"User-Agent": _USER_AGENT, "Accept": "application/json"}
        if self._credential:
            headers["Authorization"] = self._credential.header
        root = self.sandbox_url if call.sandbox else self.base_url
        return {
            "method": call.method,
            "url": root + call.url_path,
            "json": call.json,
            "params": call.params,
            "headers": headers,
        }

    def _redact(self, text: str) -> str:
        return self._credential.redact(text) if self._credential else text

    def _status_error(self, call: Call[Any], response: httpx.Response) -> CeoxError | None:
        if response.is_success:
            return None
        return error_from_response(
            response.status_code,
            self._redact(response.text),
            retry_after=response.headers.get("Retry-After"),
            method=call.method,
            path=call.url_path,
            content_type=response.headers.get("Content-Type", ""),
        )

    def _transport_error(self, call: Call[Any], exc: httpx.RequestError) -> TransportError:
        # Only the class and text of the httpx error: the error object holds the request's headers.
        detail = self._redact(str(exc)) or "no detail"
        return TransportError(
            f"{call.method} {call.url_path} failed: {type(exc).__name__}: {detail}",
            method=call.method,
            path=call.url_path,
        )

    def _body(self, call: Call[Any], response: httpx.Response) -> Any:
        try:
            return response.json() if response.content.strip() else None
        except ValueError:
            pass
        raise self._unexpected(call, response.status_code, "the answer is not JSON")

    def _result(self, call: Call[T], walk: PageWalk, status: int) -> T:
        """The parsed answer; a paged list comes back as a `Listing` saying whether it is complete."""
        try:
            result = call.parse(walk.body())
        except pydantic.ValidationError as exc:
            problem = _describe_invalid(exc)
        else:
            if not walk.paged:
                return result
            if not walk.complete:
                log.warning("%s %s: the service's list was read only in part", call.method, call.url_path)
            if isinstance(result, list):
                return Listing(result, total=walk.total, complete=walk.complete)  # type: ignore[return-value]
            if walk.complete:
                return result
            raise IncompleteList(
                "the service's list could not be read to its end", status=status, method=call.method,
                path=call.url_path,
            )
        # Raised outside the except block so the error chains no pydantic error holding the body.
        raise self._unexpected(call, status, problem)

    @staticmethod
    def _unexpected(call: Call[Any], status: int, problem: str) -> CeoxError:
        return CeoxError(
            f"unexpected answer to {call.method} {call.url_path}: {problem}",
            status=status,
            method=call.method,
            path=call.url_path,
        )

    def _walk(self, call: Call[Any], args: dict[str, Any]) -> PageWalk:
        return PageWalk(args, self.base_url if not call.sandbox else self.sandbox_url)

    def _retry_delay(self, call: Call[Any], error: CeoxError, attempt: int) -> float | None:
        delay = self.retry.delay(call, error, attempt)
        if delay is not None:
            log.info("retrying %s %s in %.2fs after: %s", call.method, call.url_path, delay, error)
        return delay


def _describe_invalid(exc: pydantic.ValidationError) -> str:
    """The problems of a validation error, without the input values it would otherwise quote."""
    problems = exc.errors(include_input=False, include_url=False)
    return "; ".join(f"{'.'.join(map(str, p['loc'])) or 'body'}: {p['msg']}" for p in problems[:3])


class SyncTransport(BaseClient[httpx.Client]):
    def _new_http(self) -> httpx.Client:
        hooks = {"request": [self.request_hook] if self.request_hook else [],
                 "response": [self.response_hook] if self.response_hook else []}
        return httpx.Client(timeout=self.timeout, event_hooks=hooks)

    def _request(self, call: Call[T]) -> T:
        args: dict[str, Any] | None = self._request_args(call)
        walk = self._walk(call, args)
        while args is not None:
            response = self._send(call, args)
            args = walk.follow(self._body(call, response), response)
        return self._result(call, walk, response.status_code)

    def _send(self, call: Call[Any], args: dict[str, Any]) -> httpx.Response:
        """One request, retried as the policy allows; a successful response or the error."""
        attempt = 0
        while True:
            try:
                response = self._http.request(**args)
            except httpx.RequestError as exc:
                error = self._transport_error(call, exc)
            else:
                status_error = self._status_error(call, response)
                if status_error is None:
                    return response
                error = status_error
            delay = self._retry_delay(call, error, attempt)
            if delay is None:
                raise error
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


class _Lanes(httpx.AsyncBaseTransport):
    """Spreads concurrent requests over several small connection pools, each to the least busy.

    httpcore scans its whole pool on every request and response, so with 16 requests in flight one
    pool of 16 connections costs far more CPU than 16 pools of one; sequential use stays on lane 0.
    """

    def __init__(self, lanes: int) -> None:
        # One TLS context for all lanes: each loads the CA bundle (~20 ms).
        verify = _tls_context()
        self._lanes = [httpx.AsyncHTTPTransport(verify=verify) for _ in range(lanes)]
        self._busy = [0] * lanes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        lane = self._busy.index(min(self._busy))
        self._busy[lane] += 1
        try:
            # Counted until the answer's headers arrive, which is when the wait for the server ends.
            return await self._lanes[lane].handle_async_request(request)
        finally:
            self._busy[lane] -= 1

    async def aclose(self) -> None:
        for lane in self._lanes:
            await lane.aclose()


class AsyncTransport(BaseClient[httpx.AsyncClient]):
    # Enough lanes for fetch_threads' default concurrency, which is also the ceiling of `pace`.
    LANES = 16

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pace = AdaptivePace(ceiling=self.LANES)

    def _new_http(self) -> httpx.AsyncClient:
        hooks = {"request": [self._async_request_hook] if self.request_hook else [],
                 "response": [self._async_response_hook] if self.response_hook else []}
        return httpx.AsyncClient(timeout=self.timeout, transport=_Lanes(self.LANES), event_hooks=hooks)

    async def _async_request_hook(self, request: httpx.Request) -> None:
        assert self.request_hook is not None
        self.request_hook(request)

    async def _async_response_hook(self, response: httpx.Response) -> None:
        assert self.response_hook is not None
        # The hook is synchronous: it gets the body already read.
        await response.aread()
        self.response_hook(response)

    async def _request(self, call: Call[T]) -> T:
        args: dict[str, Any] | None = self._request_args(call)
        walk = self._walk(call, args)
        while args is not None:
            response = await self._send(call, args)
            args = walk.follow(self._body(call, response), response)
        return self._result(call, walk, response.status_code)

    async def _send(self, call: Call[Any], args: dict[str, Any]) -> httpx.Response:
        """One request, retried as the policy allows, each attempt paced by `self.pace`."""
        attempt = 0
        while True:
            started = await self.pace.acquire()
            limited = False
            try:
                response = await self._http.request(**args)
            except httpx.RequestError as exc:
                error = self._transport_error(call, exc)
            else:
                status_error = self._status_error(call, response)
                if status_error is None:
                    return response
                error = status_error
                limited = isinstance(error, RateLimited)
            finally:
                self.pace.release(started, limited=limited)
            delay = self._retry_delay(call, error, attempt)
            if delay is None:
                raise error
            await asyncio.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
