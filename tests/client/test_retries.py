"""Retries: idempotent calls retry connection errors, 429 and 5xx with backoff; sends and creates never."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from ceox_api import AuthError, NotFound, RateLimited, ServerError, TransportError
from ceox_api._base import RetryPolicy
from ceox_api._call import Call, nothing
from tests.client.helpers import Recorder, mock_async_client, mock_client

UNAVAILABLE = httpx.Response(503, json={"error": "try later"})
OK_LIST = httpx.Response(200, json=[])
SENT = httpx.Response(201, json={"conversation_id": 1, "message": {"id": 9}})


def test_a_get_is_retried_after_5xx_until_it_succeeds() -> None:
    recorder = Recorder(UNAVAILABLE, httpx.Response(502, text="bad gateway"), OK_LIST)
    with mock_client(recorder) as client:
        assert client.users.list() == []
    assert len(recorder.requests) == 3


def test_retries_stop_after_max_retries() -> None:
    recorder = Recorder(UNAVAILABLE)
    with mock_client(recorder, max_retries=3) as client, pytest.raises(ServerError):
        client.users.list()
    assert len(recorder.requests) == 4


def test_max_retries_zero_tries_once() -> None:
    recorder = Recorder(UNAVAILABLE)
    with mock_client(recorder, max_retries=0) as client, pytest.raises(ServerError):
        client.users.list()
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    "send",
    [
        lambda client: client.messages.send(to="+6281234567890", body="hi"),
        lambda client: client.conversations.send(4, body="hi"),
        lambda client: client.users.create(name="A", email="a@b.co", password="12345678", role_id=2),
        lambda client: client.contacts.create(name="A", phone="+6281234567890"),
        lambda client: client.webhooks.create("https://example.com/hook"),
    ],
    ids=["messages.send", "conversations.send", "users.create", "contacts.create", "webhooks.create"],
)
@pytest.mark.parametrize(
    "failure",
    [UNAVAILABLE, httpx.Response(429, headers={"Retry-After": "0"}), httpx.ConnectError("refused")],
    ids=["503", "429", "connection-error"],
)
def test_sends_and_creates_are_never_retried(send, failure) -> None:
    recorder = Recorder(failure, SENT)
    with mock_client(recorder, max_retries=5) as client, pytest.raises((ServerError, RateLimited, TransportError)):
        send(client)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    "action",
    [
        lambda client: client.conversations.read(4),
        lambda client: client.conversations.set_status(4, "solved"),
        lambda client: client.inboxes.add_member(1, 5),
        lambda client: client.inboxes.assign_device(1, 2),
        lambda client: client.users.update(3, name="B"),
        lambda client: client.roles.delete(3),
    ],
    ids=["read", "status", "add_member", "assign_device", "PUT", "DELETE"],
)
def test_idempotent_writes_are_retried(action) -> None:
    body = {"id": 4, "name": "x"}
    recorder = Recorder(UNAVAILABLE, httpx.Response(200, json=body))
    with mock_client(recorder) as client:
        action(client)
    assert len(recorder.requests) == 2
    assert recorder.requests[0].content == recorder.requests[1].content


def test_connection_errors_and_timeouts_are_retried() -> None:
    recorder = Recorder(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), OK_LIST)
    with mock_client(recorder) as client:
        assert client.devices.list() == []
    assert len(recorder.requests) == 3


def test_client_errors_are_not_retried() -> None:
    recorder = Recorder(httpx.Response(404, json={"error": "no such user"}))
    with mock_client(recorder, max_retries=5) as client, pytest.raises(NotFound):
        client.users.update(99, name="x")
    assert len(recorder.requests) == 1


def test_retry_after_is_honoured() -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "1"}), OK_LIST)
    started = time.monotonic()
    with mock_client(recorder, backoff_base=0.001) as client:
        assert client.contacts.list() == []
    assert time.monotonic() - started >= 1.0
    assert len(recorder.requests) == 2


def test_retry_after_is_capped() -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "3600"}), OK_LIST)
    started = time.monotonic()
    with mock_client(recorder, retry_after_max=0.05) as client:
        assert client.contacts.list() == []
    assert time.monotonic() - started < 5


def test_a_429_that_persists_raises_rate_limited() -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "0"}))
    with mock_client(recorder, max_retries=2) as client, pytest.raises(RateLimited) as caught:
        client.contacts.list()
    assert caught.value.retry_after == 0.0
    assert len(recorder.requests) == 3


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=10, backoff_base=1.0, backoff_max=6.0)
    call = Call("GET", "/users", nothing)
    error = ServerError("down", status=503)
    for attempt, ceiling in enumerate([1, 2, 4, 6, 6]):
        delays = {policy.delay(call, error, attempt) for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1
    assert policy.delay(call, error, 10) is None
    assert policy.delay(Call("POST", "/users", nothing), error, 0) is None


async def test_the_async_client_retries_the_same_way() -> None:
    recorder = Recorder(UNAVAILABLE, OK_LIST)
    async with mock_async_client(recorder) as client:
        assert await client.users.list() == []
    assert len(recorder.requests) == 2

    recorder = Recorder(UNAVAILABLE, SENT)
    async with mock_async_client(recorder, max_retries=5) as client:
        with pytest.raises(ServerError):
            await client.messages.send(to="+6281234567890", body="hi")
    assert len(recorder.requests) == 1


async def test_fetch_threads_bounds_concurrency_and_reports_progress() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        conversation_id = int(request.url.path.split("/")[-2])
        return httpx.Response(200, json=[{"id": conversation_id * 10, "conversation_id": conversation_id}])

    progress: list[tuple[int, int]] = []
    async with mock_async_client(handler) as client:
        threads = await client.conversations.fetch_threads(
            range(1, 41), concurrency=4, on_progress=lambda done, total: progress.append((done, total))
        )
    assert peak == 4
    assert list(threads) == list(range(1, 41))
    assert threads[7][0].id == 70
    assert progress == [(done, 40) for done in range(1, 41)]


async def test_fetch_threads_reports_a_failed_thread_and_reads_the_others() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        conversation_id = int(request.url.path.split("/")[-2])
        if conversation_id == 3:
            return httpx.Response(404, json={"error": "no conversation 3"})
        return httpx.Response(200, json=[{"id": conversation_id}])

    async with mock_async_client(handler) as client:
        threads = await client.conversations.fetch_threads(range(1, 101), concurrency=5)
    assert sorted(threads) == [i for i in range(1, 101) if i != 3]
    assert list(threads.failed) == [3]
    assert isinstance(threads.failed[3], NotFound)


async def test_fetch_threads_stops_on_a_refused_credential() -> None:
    started: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        conversation_id = int(request.url.path.split("/")[-2])
        started.append(conversation_id)
        if conversation_id == 3:
            return httpx.Response(401, json={"error": "revoked"})
        await asyncio.sleep(0.05)
        return httpx.Response(200, json=[])

    async with mock_async_client(handler) as client:
        with pytest.raises(AuthError):
            await client.conversations.fetch_threads(range(1, 101), concurrency=5)
    assert len(started) < 100
