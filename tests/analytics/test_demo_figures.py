"""The engine's figures on the demo workspace equal an independent computation from the API's raw data.

The demo's Support device sends an away message seconds after out-of-hours chats: counted as a first
response, it made Support look twice as fast and made "API / no agent" the fastest agent. Here the
engine (through the sync cache, as the pages read it) is checked against `independent.py`, which
applies docs/metrics.md in plain Python, in two timezones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard.analytics import (
    AnalyticsSettings,
    Filters,
    agent_activity,
    automated_summary,
    backlog,
    build_cycles,
    frt_summary,
    heatmap,
    waiting_now,
)
from dashboard.sync import Cache
from tests.conftest import FAST_RETRIES

from .independent import Workspace

SUPPORT = 2  # inbox id
ZONES = ("Asia/Jakarta", "America/New_York")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


@pytest.fixture(scope="module")
def raw(sandbox: SandboxServer) -> Workspace:
    with Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False) as client:
        conversations = client.conversations.list(status="all")
        threads = client.conversations.fetch_threads([c.id for c in conversations], concurrency=16)
    return Workspace(conversations, threads)


@pytest.fixture(scope="module")
def frames(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    with Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False) as client:
        cache = Cache.for_client(client, cache_dir=tmp_path_factory.mktemp("demo"))
        cache.refresh(client)
    return cache.frames()


def engine(frames: tuple, zone: str):
    conversations, messages, available = frames
    return build_cycles(conversations, messages, AnalyticsSettings(timezone=zone), available)


def last_30_days(zone: str) -> tuple[date, date]:
    today = datetime.now(ZoneInfo(zone)).date()
    return today - timedelta(days=29), today


@pytest.mark.parametrize("zone", ZONES)
def test_human_first_response_equals_the_independent_computation(raw: Workspace, frames: tuple, zone: str) -> None:
    data = engine(frames, zone)
    tz = ZoneInfo(zone)
    start, end = last_30_days(zone)
    for where, filters in (({}, Filters()), ({"start": start, "end": end}, Filters(start=start, end=end)),
                           ({"inbox_id": SUPPORT}, Filters(inbox_ids={SUPPORT}))):
        for automated in (False, True):
            expected = raw.frt(tz, automated_counts=automated, **where)
            got = frt_summary(data, Filters(**{**filters.__dict__, "count_automated": automated}))
            assert (got.count, got.median) == (expected.count, expected.median), (where, automated)
            assert got.within_target == pytest.approx(expected.within), (where, automated)
    human, counted = raw.frt(tz), raw.frt(tz, automated_counts=True)
    # The away messages were making the service look faster than its people are.
    assert human.median > counted.median and human.within < counted.within
    support_human, support_counted = raw.frt(tz, inbox_id=SUPPORT), raw.frt(tz, inbox_id=SUPPORT, automated_counts=True)
    assert support_human.median > 1.5 * support_counted.median


@pytest.mark.parametrize("zone", ZONES)
def test_first_automated_reply_and_its_share(raw: Workspace, frames: tuple, zone: str) -> None:
    data = engine(frames, zone)
    expected, share = raw.first_automated(ZoneInfo(zone))
    got = automated_summary(data)
    assert (got.count, got.median) == (expected.count, expected.median) and got.count > 0
    customer_cycles = len(raw.response_cycles(ZoneInfo(zone)))
    assert got.count / customer_cycles == pytest.approx(share)


def test_automated_senders_never_rank_as_agents(raw: Workspace, frames: tuple) -> None:
    data = engine(frames, ZONES[0])
    expected = raw.fastest_agents(ZoneInfo(ZONES[0]))
    for automated in (False, True):
        activity = agent_activity(data, Filters(count_automated=automated))
        assert activity["agent_id"].notna().all()
    activity = agent_activity(data).set_index("agent_id")
    assert None not in expected
    ranked = activity[activity["first_replies"] > 0]["frt_median"].to_dict()
    assert ranked == pytest.approx(expected)


@pytest.mark.parametrize("zone", ZONES)
def test_waiting_now_active_and_stale(raw: Workspace, frames: tuple, zone: str) -> None:
    data = engine(frames, zone)
    now = datetime.now(UTC)
    for automated in (False, True):
        expected = raw.waiting(now, automated_counts=automated)
        frame = waiting_now(data, pd.Timestamp(now), Filters(count_automated=automated))
        assert dict(zip(frame["conversation_id"], frame["waiting_s"], strict=True)) == pytest.approx(expected)
        figures = backlog(frame)
        stale = sum(seconds > 24 * 3600 for seconds in expected.values())
        over = sum(300 < seconds <= 24 * 3600 for seconds in expected.values())
        assert (figures.active, figures.stale, figures.over_target) == (len(expected) - stale, stale, over)
        assert figures.active > 0 and figures.stale > 0  # the demo has both


@pytest.mark.parametrize("zone", ZONES)
def test_heatmap_counts_messages_by_their_own_time(raw: Workspace, frames: tuple, zone: str) -> None:
    data = engine(frames, zone)
    start, end = last_30_days(zone)
    cells = heatmap(data, Filters(start=start, end=end))
    got = {(int(w), int(h)): int(n) for w, h, n in zip(cells["weekday"], cells["hour"], cells["inbound_messages"],
                                                       strict=True) if n}
    assert got == dict(raw.heatmap(ZoneInfo(zone), start, end))

