"""Refreshing a synced cache: what is re-fetched, what is removed, marks, concurrency, failures, clearing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from ceox_api import Client, ServerError
from ceox_sandbox.server import SandboxServer
from dashboard.connection import Workspace
from dashboard.sync import Cache, SyncError, SyncReport, cache_path, clear, fetch, mark_changed, sync
from tests.sync.conftest import delete_conversations

PASSWORD = "sync-test-2026"
AGENT_ROLE = 2
BILLING, VIP = 3, 4


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("refresh")


@pytest.fixture(scope="module")
def admin_cache(admin: Client, cache_dir: Path) -> Cache:
    cache = Cache.for_client(admin, cache_dir=cache_dir)
    assert cache.refresh(admin).cold
    return cache


@pytest.fixture
def conversations(admin: Client, admin_cache: Cache) -> pd.DataFrame:
    """The admin's cached conversations, brought up to date with what earlier tests changed."""
    admin_cache.refresh(admin)
    return admin_cache.frames()[0]


def user_token(sandbox: SandboxServer, admin: Client, name: str, inbox_ids: list[int]) -> tuple[int, str]:
    """A new Agent of `inbox_ids`, signed in: (user id, token)."""
    email = f"{name}@sync.test"
    user = admin.users.create(name=name, email=email, password=PASSWORD, role_id=AGENT_ROLE, inbox_ids=inbox_ids)
    with Client(sandbox.api_url, use_env=False) as client:
        return user.id, client.auth.login(email=email, password=PASSWORD).token.get_secret_value()


@pytest.fixture(scope="module")
def vip_token(sandbox: SandboxServer, admin: Client) -> str:
    """An agent of the VIP inbox only: a small scope, cheap to sync from scratch. No test changes VIP chats."""
    return user_token(sandbox, admin, "vip-agent", [VIP])[1]


@pytest.fixture(scope="module")
def vip(sandbox: SandboxServer, vip_token: str) -> Iterator[Client]:
    with Client(sandbox.api_url, token=vip_token, use_env=False) as client:
        yield client


@pytest.fixture(scope="module")
def vip_reference(vip: Client, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The VIP agent's frames from one plain sync."""
    cache = Cache.for_client(vip, cache_dir=tmp_path_factory.mktemp("vip"))
    cache.refresh(vip)
    conversations, messages, _ = cache.frames()
    return conversations, messages


def failing_client(sandbox: SandboxServer, token: str) -> Client:
    """The same credential without the client's own retries, so that injected faults show."""
    return Client(sandbox.api_url, token=token, use_env=False, max_retries=0)


def beyond_recent(report: SyncReport) -> frozenset[int]:
    """The threads fetched for another reason than a recent last message (the safety window)."""
    return report.fetched_ids - report.recent_ids


def singles(conversations: pd.DataFrame, status: str | None = None) -> pd.DataFrame:
    """One-to-one conversations outside the VIP inbox (which the tests leave alone)."""
    chosen = ~conversations["is_group"] & (conversations["inbox_id"] != VIP)
    if status is not None:
        chosen &= conversations["status"] == status
    return conversations[chosen]


def test_refresh_fetches_exactly_the_threads_that_changed(admin: Client, admin_cache: Cache,
                                                          conversations: pd.DataFrame) -> None:
    _, before, _ = admin_cache.frames()
    open_ = singles(conversations, "open")
    inbound = open_[open_["unread"] == 0].head(3)
    to_solve = open_[open_["unread"] == 0].iloc[3]
    unread = open_[open_["unread"] > 0].iloc[0]
    to_reopen = singles(conversations, "solved").iloc[0]
    for c in inbound.itertuples():
        admin.sandbox.inbound(device_id=int(c.device_id), from_=c.contact_phone, body="Kak, pesanan saya belum sampai")
    admin.conversations.solve(int(to_solve.id))
    admin.conversations.reopen(int(to_reopen.id))
    admin.conversations.read(int(unread.id))

    report = admin_cache.refresh(admin)

    expected = {*map(int, inbound["id"]), int(to_solve.id), int(to_reopen.id), int(unread.id)}
    assert beyond_recent(report) == expected
    assert (report.changed, report.new, report.marked, report.removed) == (6, 0, 0, 0)
    after_conversations, after, _ = admin_cache.frames()
    rows = after_conversations.set_index("id")
    counts_before = before.groupby("conversation_id").size()
    counts_after = after.groupby("conversation_id").size()
    for c in inbound.itertuples():
        assert counts_after[c.id] == counts_before[c.id] + 1
        last = after[after["conversation_id"] == c.id].iloc[-1]
        assert not last.from_me and last.timestamp == rows.loc[c.id, "last_message_at"]
        assert rows.loc[c.id, "unread"] == 1
    assert rows.loc[to_solve.id, "status"] == "solved" and pd.notna(rows.loc[to_solve.id, "solved_at"])
    assert rows.loc[to_reopen.id, "status"] == "open" and pd.isna(rows.loc[to_reopen.id, "solved_at"])
    assert rows.loc[unread.id, "unread"] == 0
    untouched = ~before["conversation_id"].isin(expected)
    pd.testing.assert_frame_equal(before[untouched].reset_index(drop=True),
                                  after[~after["conversation_id"].isin(expected)].reset_index(drop=True))


def test_a_new_conversation_appears(admin: Client, admin_cache: Cache, conversations: pd.DataFrame) -> None:
    sent = admin.sandbox.inbound(device_id=2, from_="+6289900000001", name="Pelanggan Baru", body="Halo")
    report = admin_cache.refresh(admin)
    assert (report.new, report.changed) == (1, 0)
    assert beyond_recent(report) == {sent.conversation_id}
    after, messages, _ = admin_cache.frames()
    assert len(after) == len(conversations) + 1
    row = after.set_index("id").loc[sent.conversation_id]
    assert (row.contact_phone, row.contact_name, row.device_id, row.status) == ("+6289900000001", "Pelanggan Baru",
                                                                                2, "open")
    thread = messages[messages["conversation_id"] == sent.conversation_id]
    assert list(thread["id"]) == [sent.message.id] and not thread["from_me"].any()


def test_mark_changed_forces_a_refetch_once(admin: Client, admin_cache: Cache, conversations: pd.DataFrame) -> None:
    ids = [int(i) for i in conversations["id"].iloc[[0, -1]]]
    # As the webhook receiver does: by workspace, for every cache of it; unknown ids are dropped.
    assert mark_changed(admin_cache.workspace_id, [*ids, 10**9], cache_dir=admin_cache.path.parent) >= 1
    report = admin_cache.refresh(admin)
    assert beyond_recent(report) == set(ids)
    assert (report.marked, report.changed, report.new) == (2, 0, 0)
    assert beyond_recent(admin_cache.refresh(admin)) == set()


def test_a_mark_made_during_a_refresh_is_kept_for_the_next(admin: Client, admin_cache: Cache,
                                                           conversations: pd.DataFrame) -> None:
    changed, marked = (singles(conversations).iloc[i] for i in (1, 2))
    admin.sandbox.inbound(device_id=int(changed.device_id), from_=changed.contact_phone, body="Halo lagi")

    def mark_meanwhile(done: int, total: int) -> None:
        if done == 0:
            assert admin_cache.mark_changed([int(marked.id)])

    assert beyond_recent(admin_cache.refresh(admin, on_progress=mark_meanwhile)) == {changed.id}
    report = admin_cache.refresh(admin)
    assert beyond_recent(report) == {marked.id} and report.marked == 1


def test_deleted_conversations_are_removed_with_their_messages(sandbox: SandboxServer, admin: Client,
                                                               admin_cache: Cache,
                                                               conversations: pd.DataFrame) -> None:
    gone = int(singles(conversations)["id"].iloc[5])
    delete_conversations(sandbox, "id = ?", (gone,))
    report = admin_cache.refresh(admin)
    assert report.removed_ids == {gone} and report.removed == 1 and beyond_recent(report) == set()
    after, messages, _ = admin_cache.frames()
    assert gone not in set(after["id"]) and gone not in set(messages["conversation_id"])
    assert len(after) == len(conversations) - 1


def test_conversations_out_of_scope_now_are_removed(sandbox: SandboxServer, admin: Client, admin_cache: Cache,
                                                    conversations: pd.DataFrame, cache_dir: Path) -> None:
    user_id, token = user_token(sandbox, admin, "billing-vip", [BILLING, VIP])
    with Client(sandbox.api_url, token=token, use_env=False) as client:
        cache = Cache.for_client(client, cache_dir=cache_dir)
        assert cache.path != admin_cache.path
        cache.refresh(client)
        billing = set(conversations.loc[conversations["inbox_id"] == BILLING, "id"])
        assert billing and billing < set(cache.frames()[0]["id"])

        admin.users.update(user_id, inbox_ids=[VIP])
        report = cache.refresh(client)

    assert report.removed_ids == billing and beyond_recent(report) == set()
    after, messages, _ = cache.frames()
    vip_ids = set(conversations.loc[conversations["inbox_id"] == VIP, "id"])
    assert set(after["id"]) == vip_ids and set(messages["conversation_id"]) <= vip_ids


def test_two_concurrent_refreshes_give_the_result_of_one(sandbox: SandboxServer, vip: Client,
                                                         vip_reference: tuple[pd.DataFrame, pd.DataFrame],
                                                         tmp_path: Path) -> None:
    start = threading.Barrier(2)
    reports: list[SyncReport] = []
    errors: list[BaseException] = []

    def refresh() -> None:
        cache = Cache.for_client(vip, cache_dir=tmp_path)  # each session makes its own Cache object
        start.wait()
        try:
            reports.append(cache.refresh(vip))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=refresh) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors and len(reports) == 2
    total = len(vip_reference[0])
    # One fetched everything; the other waited for it, then found nothing left to fetch.
    assert sorted(r.fetched - r.recent for r in reports) == [0, total]
    assert [r.conversations for r in reports] == [total, total]
    conversations, messages, _ = Cache.for_client(vip, cache_dir=tmp_path).frames()
    pd.testing.assert_frame_equal(conversations, vip_reference[0])
    pd.testing.assert_frame_equal(messages, vip_reference[1])
    assert not messages.duplicated(["conversation_id", "id"]).any()


def test_failed_threads_are_fetched_by_the_next_refresh(sandbox: SandboxServer, vip: Client, vip_token: str,
                                                        vip_reference: tuple[pd.DataFrame, pd.DataFrame],
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch, "THREAD_ATTEMPTS", 1)
    cache = Cache.for_client(vip, cache_dir=tmp_path)
    flaky = failing_client(sandbox, vip_token)
    sandbox.state.faults.configure(error_rate=0.3)
    try:
        for _ in range(20):  # the list itself fails 3 times in 10
            try:
                cache.refresh(flaky)
            except ServerError:
                continue
            except SyncError as exc:
                failure = exc
                break
        else:
            pytest.fail("no refresh got past the list")
    finally:
        sandbox.state.faults.configure()
        flaky.close()
    partial = failure.report
    assert partial.failed > 0
    assert partial.fetched + partial.failed == partial.listed == len(vip_reference[0])
    assert cache.last_synced_at() is None  # never completed
    assert len(cache.frames()[0]) == partial.fetched  # what was fetched is saved
    assert partial.failed_ids == set(vip_reference[0]["id"]) - set(cache.frames()[0]["id"])

    report = cache.refresh(vip)
    assert report.fetched - report.recent == partial.failed and report.new == partial.failed
    assert partial.failed_ids <= report.fetched_ids and not report.failed_ids
    assert cache.last_synced_at() == report.synced_at
    conversations, messages, _ = cache.frames()
    pd.testing.assert_frame_equal(conversations, vip_reference[0])
    pd.testing.assert_frame_equal(messages, vip_reference[1])


def test_a_failed_list_changes_nothing(sandbox: SandboxServer, vip: Client, vip_token: str, tmp_path: Path) -> None:
    cache = Cache.for_client(vip, cache_dir=tmp_path)
    cache.refresh(vip)
    before = cache.info()
    flaky = failing_client(sandbox, vip_token)
    sandbox.state.faults.configure(error_rate=1.0)
    try:
        with pytest.raises(ServerError):
            cache.refresh(flaky)
    finally:
        sandbox.state.faults.configure()
        flaky.close()
    assert cache.info() == before


def test_clear_removes_the_cache(agent_workspace: Workspace, tmp_path: Path) -> None:
    assert sync(agent_workspace, cache_dir=tmp_path).cold
    cache = Cache.for_workspace(agent_workspace, cache_dir=tmp_path)
    assert cache.path.exists()
    clear(agent_workspace, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    conversations, messages, available = cache.frames()
    assert conversations.empty and messages.empty and not available
    assert mark_changed(agent_workspace.workspace_id, [1], cache_dir=tmp_path) == 0  # no cache: nothing to mark
    assert list(tmp_path.iterdir()) == []
    assert sync(agent_workspace, cache_dir=tmp_path).cold


def test_cache_names_must_be_hashes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        cache_path("../elsewhere", "x", tmp_path)
    with pytest.raises(ValueError):
        cache_path("abc", "api_key:secret", tmp_path)


def test_fields_are_available_when_sent_even_as_null() -> None:
    _, present = fetch._parse_list([{"id": 1, "solved_at": None, "InboxID": None}])
    assert present == {"solved_at", "inbox_id"}
    models, present = fetch._parse_list({"data": [{"Id": 2, "status": "open"}]})
    assert [m.id for m in models] == [2] and present == frozenset()
    _, present = fetch._parse_thread({"items": [{"id": 1, "senderUserId": None}]})
    assert present == {"sender_user_id"}


def test_a_cache_takes_no_data_from_another_credential(admin_cache: Cache, vip: Client) -> None:
    before = admin_cache.info()
    with pytest.raises(ValueError, match="another credential"):
        admin_cache.refresh(vip)
    assert admin_cache.info() == before


def test_refresh_works_where_an_event_loop_already_runs(vip: Client, vip_reference, tmp_path: Path) -> None:
    async def in_a_notebook() -> SyncReport:  # Jupyter runs cells inside a loop
        return Cache.for_client(vip, cache_dir=tmp_path).refresh(vip)

    assert asyncio.run(in_a_notebook()).fetched == len(vip_reference[0])
