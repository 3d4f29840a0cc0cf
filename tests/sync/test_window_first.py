"""Window first: the threads of the period on screen are fetched before the rest of the history, a
period's figures are final (and equal a full sync's) as soon as its threads are stored, and a page that
moves to another period has that window fetched next."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard.analytics import AnalyticsSettings, Filters, build_cycles, headline
from dashboard.sync import Cache, Window
from dashboard.sync import plan as plan_module

SETTINGS = AnalyticsSettings().resolved("UTC")


def thread_requests(sandbox: SandboxServer) -> tuple[Client, list[int]]:
    """A client recording, in order, the conversation of each thread it asks for."""
    asked: list[int] = []

    def note(request) -> None:
        parts = request.url.path.rstrip("/").split("/")
        if parts[-1] == "messages":
            asked.append(int(parts[-2]))

    return Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False, request_hook=note), asked


def active_since(admin: Client, start: datetime, end: datetime | None = None) -> set[int]:
    """Conversations with a message at or after `start` and created before `end`, from the API's list."""
    return {c.id for c in admin.conversations.list(status="all")
            if c.last_message_at is not None and c.last_message_at >= start
            and (end is None or c.created_at is None or c.created_at <= end)}


def cards(cache: Cache, start: date, end: date) -> dict:
    conversations, messages, available = cache.frames()
    return headline(build_cycles(conversations, messages, SETTINGS, available), Filters(start=start, end=end))


def test_the_windows_threads_come_first_and_its_figures_are_final_before_the_history(
        sandbox: SandboxServer, admin: Client, tmp_path: Path):
    today = datetime.now(UTC).date()
    period = (today - timedelta(days=6), today)
    # The 7 days on screen and the 7 before them (the cards compare with those).
    window = Window(datetime.combine(today - timedelta(days=13), datetime.min.time(), UTC))
    expected = active_since(admin, window.start)
    assert 0 < len(expected) < len(admin.conversations.list(status="all")) / 2

    full = Cache.for_client(admin, cache_dir=tmp_path / "full")
    full.refresh(admin)
    assert full.coverage(window).window_final and full.coverage().history_share == 1

    client, asked = thread_requests(sandbox)
    stop = threading.Event()
    partial = Cache.for_client(client, cache_dir=tmp_path / "partial")

    def stop_once_the_window_is_in(done: int, total: int) -> None:
        if done >= len(expected):
            stop.set()  # the refresh ends after the batch in flight

    with client:
        report = partial.refresh(client, priority=lambda: window, stop=stop, on_progress=stop_once_the_window_is_in)
        assert report.stopped and report.failed > 0
        assert set(asked[:len(expected)]) == expected  # every thread of the window before any other

        coverage = partial.coverage(window)
        assert coverage.window_final and coverage.history_share < 1
        assert not partial.coverage(Window(window.start - timedelta(days=30))).window_final
        assert partial.last_synced_at() is None  # not a complete refresh
        assert cards(partial, *period) == cards(full, *period)

        # The next refresh fetches only what is left, and completes the history.
        rest = partial.refresh(client)
    assert rest.new == report.failed and partial.coverage().history_share == 1
    assert partial.last_synced_at() is not None


def test_a_window_asked_for_during_a_refresh_is_fetched_next(
        sandbox: SandboxServer, admin: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(plan_module, "BATCH_SIZE", 10)
    now = datetime.now(UTC)
    old = Window(now - timedelta(days=75), now - timedelta(days=60))  # a period a page moved to
    old_ids = active_since(admin, old.start, old.end)
    assert len(old_ids) > 10
    asked_for = [None]

    def priority() -> Window | None:
        return asked_for[0]

    def move_after_first_batch(done: int, total: int) -> None:
        if done >= 10:
            asked_for[0] = old

    client, asked = thread_requests(sandbox)
    cache = Cache.for_client(client, cache_dir=tmp_path)
    with client:
        cache.refresh(client, priority=priority, on_progress=move_after_first_batch)
    fetched_first = asked[:10]  # newest first, before the page moved
    remaining_old = [i for i in old_ids if i not in fetched_first]
    assert set(asked[10:10 + len(remaining_old)]) == set(remaining_old)
    assert cache.coverage(old).window_final and cache.coverage().history_share == 1
