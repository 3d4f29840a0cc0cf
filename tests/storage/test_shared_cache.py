"""The analytics cache shared by replicas through PostgreSQL (dashboard/sync/shared.py), against a real
cluster and a real sandbox over HTTP. Two replicas are two cache directories of one workspace and
credential, each with its own background sync, as two processes would have them; what they share goes
through the database only. Fetches are counted at the sandbox.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard.sync import BackgroundSync, Cache, mark_changed
from dashboard.sync.background import shutdown_all
from dashboard.sync.shared import LockLost, shared_for

THREAD_PATH = re.compile(r"/api/v1/conversations/(\d+)/messages")
DEADLINE_S = 120.0


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A sandbox of its own (the counts are the server's: no other test's sync may add to them); the tests
    use its second workspace, a small one (about fifty conversations)."""
    with SandboxServer(seed="demo", workspaces=2) as server:
        yield server


@pytest.fixture
def replicas(sandbox, postgres_cluster, tmp_path, monkeypatch) -> Iterator[tuple[BackgroundSync, BackgroundSync]]:
    monkeypatch.setenv("CEOX_DATABASE_URL", postgres_cluster.new_database())
    with Client(sandbox.api_url, api_key=sandbox.api_keys[1]) as client:
        caches = [Cache.for_client(client, cache_dir=tmp_path / name) for name in ("replica-a", "replica-b")]
    yield tuple(BackgroundSync(cache) for cache in caches)  # one each, as each replica's process has
    shutdown_all()


def connect_to(sandbox: SandboxServer):
    return lambda: Client(sandbox.api_url, api_key=sandbox.api_keys[1])


def thread_fetches(client: Client) -> dict[int, int]:
    counts = client.sandbox.served_requests().counts
    return {int(m.group(1)): n for path, n in counts.items() if (m := THREAD_PATH.fullmatch(path))}


def wait_until(condition, what: str, deadline_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < deadline, f"not within {deadline_s:.0f} s: {what}"
        time.sleep(0.1)


def synced_on_a_then_b(a: BackgroundSync, b: BackgroundSync, sandbox: SandboxServer) -> None:
    """Replica A's first sync, then replica B opened: it takes A's published cache."""
    a.keep_fresh(connect_to(sandbox))
    wait_until(lambda: a.cache.info().last_synced_at, "replica A's first sync")
    b.keep_fresh(connect_to(sandbox))
    wait_until(lambda: b.cache.info().last_synced_at, "replica B has the published cache")


def test_two_replicas_opened_together_fetch_each_thread_once_and_show_the_same_cache(replicas, sandbox):
    a, b = replicas
    a.keep_fresh(connect_to(sandbox))
    b.keep_fresh(connect_to(sandbox))
    wait_until(lambda: a.cache.info().last_synced_at and b.cache.info().last_synced_at, "both caches complete")

    with Client(sandbox.api_url, api_key=sandbox.api_keys[1]) as client:
        listed = [c.id for c in client.conversations.list(status="all")]
        fetches = thread_fetches(client)
    assert sorted(fetches) == sorted(listed)  # every thread was fetched...
    assert set(fetches.values()) == {1}, {i: n for i, n in fetches.items() if n > 1}  # ...once, by one of them
    frames_a, frames_b = a.cache.frames(), b.cache.frames()
    assert len(frames_a[0]) == len(listed) and len(frames_a[1]) > 100
    for left, right in zip(frames_a[:2], frames_b[:2], strict=True):
        assert left.equals(right)
    assert frames_a[2] == frames_b[2]


def test_a_conversation_marked_on_one_replica_is_fetched_again_by_one_refresh(replicas, sandbox):
    a, b = replicas
    synced_on_a_then_b(a, b, sandbox)
    with Client(sandbox.api_url, api_key=sandbox.api_keys[1]) as client:
        before = thread_fetches(client)
        target = min(before)
        reports = a.state().last_report, b.state().last_report
        generations = a.cache.info().generation, b.cache.info().generation

        mark_changed(a.cache.workspace_id, [target])  # as the webhook receiver of either replica does

        def settled() -> bool:  # both hold the refreshed cache, and neither has a mark left to act on
            return all(not r.state().running and r.cache.info().generation > g and not r.cache.marked()
                       and not shared_for(r.cache.path).marked() for r, g in zip(replicas, generations, strict=True))

        wait_until(lambda: thread_fetches(client).get(target, 0) > before[target] and settled(), "both settle")
        after = thread_fetches(client)
    refreshed = [r.state().last_report for r, old in zip(replicas, reports, strict=True)
                 if r.state().last_report is not old]
    assert len(refreshed) == 1, "exactly one replica refreshed"
    assert refreshed[0].marked == 1 and target in refreshed[0].fetched_ids
    # One refresh's fetches (the marked thread, and those whose last message is recent), each once.
    again = {i: n - before.get(i, 0) for i, n in after.items() if n != before.get(i, 0)}
    assert set(again.values()) == {1}
    assert set(again) == refreshed[0].fetched_ids


def test_a_cache_cleared_on_one_replica_is_cleared_on_the_others_and_refilled_for_all(replicas, sandbox):
    a, b = replicas
    synced_on_a_then_b(a, b, sandbox)
    conversations = b.cache.info().conversations

    a.clear()  # the Clear cache button on replica A: A waits for a click; B's open page has it refilled
    wait_until(lambda: not b.cache.info().exists or b.cache.info().last_synced_at is None
               or b.state().running, "replica B drops its copy", deadline_s=30)
    wait_until(lambda: b.cache.info().last_synced_at and not b.state().running, "replica B refills the cache")
    assert b.cache.info().conversations == conversations
    assert not a.cache.info().exists  # A, paused, fetched nothing...
    a.request()  # ...until asked: it then takes what B published, newer than what A had before the clear
    wait_until(lambda: a.cache.info().last_synced_at and not a.state().running, "replica A has the cache again")
    assert a.cache.info().conversations == conversations


def test_a_replica_whose_lock_connection_was_cut_publishes_nothing_and_another_takes_over(replicas, sandbox):
    """A connection dropped by the network, a failover or an idle timeout takes the lock with it; the
    replica that held it must not publish over what its successor does."""
    a, b = replicas
    a.keep_fresh(connect_to(sandbox))
    wait_until(lambda: a.cache.info().last_synced_at and not a.state().running, "replica A's first sync")
    shutdown_all()  # no worker: this test takes the lock itself
    mine, theirs = shared_for(a.cache.path), shared_for(b.cache.path)
    assert mine is not None and theirs is not None

    def published() -> int:
        with mine.database.transaction() as tx:
            return tx.value("SELECT version FROM cache_snapshots WHERE cache = ?", (mine.key,))

    with mine.lock() as held:
        assert held
        mine.publish()  # while the lock holds, a publish is a new version
        version = published()
        with mine.database.connection() as conn:  # the lock's connection is cut, as by the network
            cut = conn.execute("SELECT pg_terminate_backend(pid) AS cut FROM pg_locks WHERE locktype = 'advisory'"
                               " AND pid <> pg_backend_pid()").fetchall()
        assert [row["cut"] for row in cut] == [True]
        with pytest.raises(LockLost):
            mine.publish()
        assert published() == version
        with theirs.lock() as taken:  # the lock is free for the next replica at once
            assert taken
