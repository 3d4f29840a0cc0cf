"""The first sync of the demo workspace, as the admin's API key and as a scoped agent, with and without faults."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pandas as pd
import pytest

from ceox_api import Client
from ceox_api.models import Message
from ceox_sandbox.server import SandboxServer
from dashboard.connection import Workspace
from dashboard.sync import CONVERSATION_DTYPES, MESSAGE_DTYPES, Cache, SyncReport, sync
from tests.sync.helpers import cached_threads, file_text, message_counts, thread_metadata


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Not created yet: the cache creates it, private.
    return tmp_path_factory.mktemp("sync") / "cache"


@pytest.fixture(scope="module")
def first_sync(admin_workspace: Workspace, cache_dir: Path) -> tuple[SyncReport, list[tuple[int, int]]]:
    progress: list[tuple[int, int]] = []
    report = sync(admin_workspace, cache_dir=cache_dir, on_progress=lambda done, total: progress.append((done, total)))
    return report, progress


@pytest.fixture(scope="module")
def direct(admin: Client, first_sync: object) -> dict[int, list[Message]]:
    """Every thread read straight through the client, after the first sync."""
    ids = [c.id for c in admin.conversations.list(status="all")]
    return admin.conversations.fetch_threads(ids)


@pytest.fixture(scope="module")
def admin_cache(admin_workspace: Workspace, cache_dir: Path) -> Cache:
    return Cache.for_workspace(admin_workspace, cache_dir=cache_dir)


def test_first_sync_fetches_every_thread_with_progress(first_sync, admin: Client) -> None:
    report, progress = first_sync
    listed = admin.conversations.list(status="all")
    assert report.cold
    assert report.listed == report.new == report.fetched == report.conversations == len(listed)
    assert (report.changed, report.marked, report.removed, report.failed) == (0, 0, 0, 0)
    assert report.fetched_ids == {c.id for c in listed}
    assert report.seconds > 0
    assert progress[0] == (0, len(listed))
    assert progress[-1] == (len(listed), len(listed))
    assert [done for done, _ in progress] == list(range(len(listed) + 1))


def test_cache_equals_a_direct_read(first_sync, direct: dict[int, list[Message]], admin: Client,
                                    admin_cache: Cache) -> None:
    conversations, messages, _ = admin_cache.frames()
    listed = {c.id: c for c in admin.conversations.list(status="all")}
    assert list(conversations["id"]) == sorted(listed)
    assert message_counts(messages) == {i: len(thread) for i, thread in direct.items() if thread}
    assert sum(map(len, direct.values())) == len(messages) == first_sync[0].messages
    assert cached_threads(messages) == {i: thread_metadata(t) for i, t in direct.items() if t}

    row = conversations.set_index("id").loc[next(iter(listed))]
    c = listed[next(iter(listed))]
    assert (row.contact_name, row.contact_phone, row.device_name, row.status) == (
        c.contact_name, c.contact_phone, c.device_name, c.status)
    assert (row.contact_id, row.device_id, row.inbox_id, row.unread) == (
        c.contact_id, c.device_id, c.inbox_id, c.unread)
    assert row.last_message_at == pd.Timestamp(c.last_message_at)
    solved = conversations[conversations["status"] == "solved"]
    assert len(solved) and solved["solved_at"].notna().all()
    assert conversations.loc[conversations["status"] == "open", "solved_at"].isna().all()


def test_frames_have_the_documented_dtypes(first_sync, admin_cache: Cache) -> None:
    conversations, messages, available = admin_cache.frames()
    assert {k: str(v) for k, v in conversations.dtypes.items()} == CONVERSATION_DTYPES
    assert {k: str(v) for k, v in messages.dtypes.items()} == MESSAGE_DTYPES
    assert isinstance(conversations.index, pd.RangeIndex) and isinstance(messages.index, pd.RangeIndex)
    assert available == {"sender_user_id", "solved_at", "inbox_id"}
    # Threads read back in order: by conversation, each oldest first.
    assert messages["conversation_id"].is_monotonic_increasing
    assert (messages.groupby("conversation_id")["timestamp"].diff().dropna() >= pd.Timedelta(0)).all()
    assert messages["sender_user_id"].notna().any() and messages["sender_user_id"].isna().any()


def test_no_message_bodies_or_media_urls_on_disk(first_sync, direct: dict[int, list[Message]],
                                                 admin: Client, admin_cache: Cache) -> None:
    text = file_text(admin_cache.path)
    listed = admin.conversations.list(status="all")
    assert all(c.contact_phone in text for c in listed)  # what is stored can be found this way
    messages = [m for thread in direct.values() for m in thread]
    bodies = {m.body for m in messages if len(m.body) >= 12}
    previews = {c.last_message for c in listed if len(c.last_message) >= 12}
    media_urls = {m.media_url for m in messages if m.media_url}
    wa_ids = {m.wa_message_id for m in messages if m.wa_message_id}
    assert len(bodies) > 100 and previews and media_urls and wa_ids
    assert not [secret for secret in bodies | previews | media_urls | wa_ids if secret in text]
    assert "/media/" not in text


def test_cache_file_is_private(first_sync, admin_cache: Cache, admin_workspace: Workspace, cache_dir: Path) -> None:
    assert admin_cache.path.parent == cache_dir.resolve()
    assert admin_cache.path.name == f"{admin_workspace.workspace_id}-{admin_workspace.identity}.sqlite"
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    files = [p for p in cache_dir.iterdir() if p.name.startswith(admin_cache.path.stem)]
    assert admin_cache.path in files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_info_and_last_sync_time(first_sync, admin_cache: Cache) -> None:
    report = first_sync[0]
    info = admin_cache.info()
    assert info.exists and info.generation >= 1
    assert (info.conversations, info.messages) == (report.conversations, report.messages)
    assert info.last_synced_at is not None
    assert abs(info.last_synced_at - report.synced_at).total_seconds() < 0.001
    assert admin_cache.last_synced_at() == info.last_synced_at


def test_refresh_without_changes_fetches_nothing(first_sync, admin: Client, admin_cache: Cache) -> None:
    before = admin_cache.frames()
    report = admin_cache.refresh(admin)
    assert not report.cold
    # Only threads whose last message is within the safety window of the first sync are read again.
    assert (report.fetched - report.recent, report.new, report.changed, report.removed) == (0, 0, 0, 0)
    assert report.fetched_ids == report.recent_ids
    after = admin_cache.frames()
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])


def test_default_location_follows_the_data_dir(admin_workspace: Workspace, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "data"))
    cache = Cache.for_workspace(admin_workspace)
    assert cache.path.parent == (tmp_path / "data" / "cache").resolve()
    assert stat.S_IMODE(cache.path.parent.stat().st_mode) == 0o700
    assert not cache.path.exists()  # nothing is written before the first refresh
    conversations, messages, available = cache.frames()
    assert conversations.empty and messages.empty and available == frozenset()
    assert {k: str(v) for k, v in conversations.dtypes.items()} == CONVERSATION_DTYPES
    assert {k: str(v) for k, v in messages.dtypes.items()} == MESSAGE_DTYPES
    assert cache.last_synced_at() is None and not cache.info().exists


# --- a scoped user ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def agent_sync(agent_workspace: Workspace, cache_dir: Path) -> SyncReport:
    return sync(agent_workspace, cache_dir=cache_dir)


def test_scoped_user_has_its_own_smaller_cache(first_sync, agent_sync: SyncReport, agent_workspace: Workspace,
                                                admin_cache: Cache, cache_dir: Path) -> None:
    agent_cache = Cache.for_workspace(agent_workspace, cache_dir=cache_dir)
    assert agent_cache.path != admin_cache.path
    assert agent_cache.workspace_id != admin_cache.workspace_id  # nothing shows they share a workspace
    agent_conversations, agent_messages, _ = agent_cache.frames()
    admin_conversations, admin_messages, _ = admin_cache.frames()
    assert 0 < len(agent_conversations) < len(admin_conversations)
    # The agent is a member of inbox 1 only: exactly the admin's inbox-1 conversations, and their threads.
    sales = admin_conversations[admin_conversations["inbox_id"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(agent_conversations, sales)
    sales_messages = admin_messages[admin_messages["conversation_id"].isin(sales["id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(agent_messages, sales_messages)
    assert agent_sync.conversations == len(sales)


def test_sync_with_faults_matches_the_fault_free_result(agent_sync: SyncReport, sandbox: SandboxServer,
                                                        agent_workspace: Workspace, cache_dir: Path,
                                                        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    expected = Cache.for_workspace(agent_workspace, cache_dir=cache_dir).frames()
    faulty = Cache.for_workspace(agent_workspace, cache_dir=tmp_path)
    # Retry quickly: the service's Retry-After of 1 s is cut to 20 ms.
    client = Client(agent_workspace.base_url, token=agent_workspace.secret, use_env=False,
                    backoff_base=0.01, retry_after_max=0.02)
    sandbox.state.faults.configure(error_rate=0.1, throttle_rate=0.05)
    try:
        with client, caplog.at_level(logging.INFO, logger="ceox_api"):
            report = faulty.refresh(client)
    finally:
        sandbox.state.faults.configure()
    assert "retrying" in caplog.text  # the faults did hit
    assert report.failed == 0 and report.conversations == agent_sync.conversations
    conversations, messages, available = faulty.frames()
    pd.testing.assert_frame_equal(conversations, expected[0])
    pd.testing.assert_frame_equal(messages, expected[1])
    assert available == expected[2]


def test_a_notebook_and_the_dashboard_share_one_cache_file_for_one_key(sandbox: SandboxServer,
                                                                        admin_workspace: Workspace,
                                                                        agent_workspace: Workspace,
                                                                        tmp_path: Path) -> None:
    # The notebook builds its client from the key alone; the dashboard from its Workspace's Credential.
    with Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False) as notebook_client:
        notebook = Cache.for_client(notebook_client, cache_dir=tmp_path)
    dashboard = Cache.for_workspace(admin_workspace, cache_dir=tmp_path)
    with admin_workspace.client() as dashboard_client:
        through_its_client = Cache.for_client(dashboard_client, cache_dir=tmp_path)
    assert notebook.path == dashboard.path == through_its_client.path
    assert Cache.for_workspace(agent_workspace, cache_dir=tmp_path).path != notebook.path  # another credential
