"""Helpers for the client tests: mocked networks for shapes the sandbox never sends, and clients of
either kind against a sandbox, so each sandbox test runs with both."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import httpx

from ceox_api import AsyncClient, Client
from ceox_api.resources._resource import Resource

API = "https://ceox.test/api/v1"
SECRET_KEY = "ceox_TopSecretKey123456"

Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(handler: Handler, **options: Any) -> Client:
    """A Client whose network is `handler` (the network is mocked, not the client)."""
    options.setdefault("api_key", SECRET_KEY)
    options.setdefault("backoff_base", 0.001)
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Client(API, http_client=http, **options)


def mock_async_client(handler: Handler, **options: Any) -> AsyncClient:
    options.setdefault("api_key", SECRET_KEY)
    options.setdefault("backoff_base", 0.001)
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncClient(API, http_client=http, **options)


def answer(body: Any = None, status: int = 200, **kwargs: Any) -> Handler:
    """A handler that always gives the same answer: JSON for dicts and lists, text for strings."""

    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, **kwargs)
        return httpx.Response(status, json=body, **kwargs)

    return handle


class Recorder:
    """A handler that plays `answers` in order (the last repeats) and keeps every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(reply, Exception):
            raise reply
        # A fresh copy each time: httpx binds a response's stream to the client that received it.
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)


class Awaiting:
    """Drives an AsyncClient's calls to completion, so one test body exercises both clients."""

    def __init__(self, target: Any, runner: asyncio.Runner) -> None:
        self._target, self._runner = target, runner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, Resource):
            return Awaiting(value, self._runner)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            return self._runner.run(result) if inspect.isawaitable(result) else result

        return call

    def __repr__(self) -> str:
        return repr(self._target)


class Connector:
    """Opens clients of one kind against a sandbox server and closes them after the test."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._runner = asyncio.Runner() if kind == "async" else None
        self._opened: list[Any] = []

    def __call__(self, server: Any, **options: Any) -> Any:
        """A client with the sandbox's API key unless a credential is given."""
        if "token" not in options:
            options.setdefault("api_key", server.api_key)
        options.setdefault("backoff_base", 0.01)
        if self._runner is None:
            client: Any = Client(server.api_url, **options)
        else:
            client = Awaiting(self._runner.run(_make_async(server.api_url, options)), self._runner)
        self._opened.append(client)
        return client

    def login(self, server: Any, email: str, password: str = "ceox-demo-2026", **options: Any) -> Any:
        if self._runner is None:
            client: Any = Client.login(server.api_url, email, password, **options)
        else:
            client = Awaiting(
                self._runner.run(AsyncClient.login(server.api_url, email, password, **options)), self._runner
            )
        self._opened.append(client)
        return client

    def run(self, result: Any) -> Any:
        """Await `result` in this connector's event loop if it is awaitable."""
        return self._runner.run(result) if inspect.isawaitable(result) else result

    def close(self) -> None:
        for client in self._opened:
            if self._runner is None:
                client.close()
            else:
                client.aclose()
        if self._runner is not None:
            self._runner.close()


async def _make_async(api_url: str, options: dict[str, Any]) -> AsyncClient:
    # Made inside the runner's loop, where its connection pool will live.
    return AsyncClient(api_url, **options)
