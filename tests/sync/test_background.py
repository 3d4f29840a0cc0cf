"""The background sync: one worker per cache file whatever the number of sessions asking for it, window
first, and a refresh by itself when the webhook receiver marks a conversation."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard.sync import BackgroundSync, Cache, Window, background_sync, mark_changed

DEADLINE_S = 120


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}")
        time.sleep(0.05)


@pytest.fixture
def requests() -> Counter:
    return Counter()


@pytest.fixture
def runner(admin: Client, tmp_path: Path) -> Iterator[BackgroundSync]:
    runner = background_sync(Cache.for_client(admin, cache_dir=tmp_path))
    yield runner
    runner.shutdown()


def session(sandbox: SandboxServer, requests: Counter) -> Callable[[], Client]:
    """What a page hands the worker: a way to open a client of its credential (here, one counting requests)."""
    def note(request) -> None:
        requests["thread" if request.url.path.endswith("/messages") else request.url.path] += 1

    return lambda: Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False, request_hook=note)


def test_two_sessions_share_one_sync(sandbox: SandboxServer, admin: Client, runner: BackgroundSync,
                                     requests: Counter, tmp_path: Path):
    listed = admin.conversations.list(status="all")
    window = Window(datetime.now(UTC) - timedelta(days=7))
    first, second = session(sandbox, requests), session(sandbox, requests)
    runner.keep_fresh(first, window)
    assert background_sync(Cache.for_client(admin, cache_dir=tmp_path)) is runner  # what another page gets
    runner.keep_fresh(second, window)
    wait_until(lambda: runner.coverage().history_share == 1 and not runner.state().running, "the history is in")

    assert requests["/api/v1/conversations"] == 1 and requests["thread"] == len(listed)
    assert runner.state().problem is None and runner.cache.last_synced_at() is not None
    assert runner.cache.info().conversations == len(listed)


def test_a_marked_conversation_is_fetched_again_without_a_click(sandbox: SandboxServer, admin: Client,
                                                                 runner: BackgroundSync, requests: Counter):
    runner.keep_fresh(session(sandbox, requests))
    wait_until(lambda: runner.cache.last_synced_at() is not None and not runner.state().running, "synced")
    _, messages, _ = runner.cache.frames()
    conversation = next(c for c in admin.conversations.list(status="all") if not c.is_group)
    before = int((messages["conversation_id"] == conversation.id).sum())

    admin.sandbox.inbound(device_id=conversation.device_id, from_=conversation.contact_phone, body="Ada kabar?")
    # What the webhook receiver does for a stored event; the refresh interval is minutes away.
    assert not runner.catching_up()
    assert mark_changed(runner.cache.workspace_id, [conversation.id], cache_dir=runner.cache.path.parent) == 1
    assert runner.catching_up()  # the page says new messages are on their way (marked, then fetching)

    def fetched_again() -> bool:
        _, messages, _ = runner.cache.frames()
        return int((messages["conversation_id"] == conversation.id).sum()) == before + 1

    wait_until(fetched_again, "the marked conversation shows its new message", timeout_s=30)
    assert not runner.cache.marked()
    wait_until(lambda: not runner.catching_up(), "the refresh has ended")
