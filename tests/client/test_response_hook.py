"""`response_hook` sees every answer, pages and retries included, with its body readable: the seam the
connection doctor (ceox_api.doctor) looks through. Against a real sandbox, both clients."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ceox_api import AsyncClient, Client, RateLimited
from ceox_sandbox.server import SandboxServer


def _hook(seen: list[tuple[int, object]]):
    def record(response: httpx.Response) -> None:
        response.read()
        seen.append((response.status_code, response.json()))
    return record


def test_the_sync_client_shows_each_answer(empty_sandbox: SandboxServer) -> None:
    seen: list[tuple[int, object]] = []
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key, use_env=False, response_hook=_hook(seen),
                max_retries=1, backoff_base=0.01) as client:
        roles = client.roles.list()
        empty_sandbox.state.faults.configure(throttle_rate=1)
        try:
            with pytest.raises(RateLimited):
                client.devices.list()
        finally:
            empty_sandbox.state.faults.configure()
    assert seen[0] == (200, [r.model_dump(mode="json") for r in roles])
    assert [status for status, _ in seen[1:]] == [429, 429]  # the first try and its one retry


def test_the_async_client_shows_each_answer(empty_sandbox: SandboxServer) -> None:
    seen: list[tuple[int, object]] = []

    async def read() -> list:
        async with AsyncClient(empty_sandbox.api_url, api_key=empty_sandbox.api_key, use_env=False,
                               response_hook=_hook(seen)) as client:
            return await client.roles.list()

    roles = asyncio.run(read())
    assert seen == [(200, [r.model_dump(mode="json") for r in roles])]


def test_fetch_threads_shows_each_answer(demo_sandbox: SandboxServer) -> None:
    seen: list[tuple[int, object]] = []
    with Client(demo_sandbox.api_url, api_key=demo_sandbox.api_key, use_env=False,
                response_hook=_hook(seen)) as client:
        ids = [c.id for c in client.conversations.list()[:3]]
        threads = client.conversations.fetch_threads(ids)  # through the async twin
    assert sorted(len(body) for _, body in seen[1:]) == sorted(len(t) for t in threads.values())
