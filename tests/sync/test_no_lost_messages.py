"""A warm refresh keeps every message, even one stamped in the same second as the thread's last one.

The list row of a conversation changes on a new message only through `last_message_at` (one-second
resolution) and `unread` (an outgoing message leaves it at 0). Two outgoing messages in the same
second, with a refresh between them, used to leave the second one out of the cache for good.
"""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceox_api import Client
from dashboard.sync import Cache
from tests.sync.helpers import cached_threads, thread_metadata

DEVICE = 1
_phones = itertools.count(1)


def new_conversation(admin: Client) -> tuple[int, str]:
    """A new customer writes in: (conversation id, the customer's phone)."""
    phone = f"+628990{next(_phones):07d}"
    return admin.sandbox.inbound(device_id=DEVICE, from_=phone, name="Same second", body="Halo").conversation_id, phone


def cached(cache: Cache, conversation_id: int) -> list[tuple]:
    return cached_threads(cache.frames()[1]).get(conversation_id, [])


def served(admin: Client, conversation_id: int) -> list[tuple]:
    return thread_metadata(admin.conversations.messages(conversation_id))


def start_of_a_second(deadline_s: float = 3.0) -> None:
    """Wait (polling) until the clock has just passed a whole second, so the next calls share it."""
    deadline = time.monotonic() + deadline_s
    while time.time() % 1 > 0.05:
        if time.monotonic() > deadline:
            pytest.fail("the clock never passed a whole second")
        time.sleep(0.005)


@pytest.fixture(scope="module")
def cache(admin: Client, tmp_path_factory: pytest.TempPathFactory) -> Cache:
    cache = Cache.for_client(admin, cache_dir=tmp_path_factory.mktemp("same-second"))
    cache.refresh(admin)
    return cache


def test_a_second_outgoing_message_in_the_same_second_is_kept(admin: Client, cache: Cache) -> None:
    conversation_id, _ = new_conversation(admin)
    for n in range(32):
        admin.conversations.send(conversation_id, body=f"Balasan {n}")
    cache.refresh(admin)
    assert len(cached(cache, conversation_id)) == 33

    for _attempt in range(5):
        start_of_a_second()
        first = admin.conversations.send(conversation_id, body="Baik, kami cek dulu")
        cache.refresh(admin)  # reads the thread with `first` as its last message
        second = admin.conversations.send(conversation_id, body="Mohon ditunggu")
        if first.timestamp == second.timestamp:
            break
    else:
        pytest.fail("could not send two messages within one second around a refresh")

    listed = next(c for c in admin.conversations.list(status="all") if c.id == conversation_id)
    assert (listed.last_message_at, listed.unread) == (first.timestamp, 0)  # the list row did not change
    report = cache.refresh(admin)
    api = served(admin, conversation_id)
    assert (len(api), len(cached(cache, conversation_id))) == (35 + 2 * _attempt, 35 + 2 * _attempt)
    assert cached(cache, conversation_id) == api
    assert conversation_id in report.recent_ids  # unchanged in the list, fetched for its recent last message
    cache.refresh(admin)
    assert cached(cache, conversation_id) == api


ACTIONS = ("send a", "send b", "customer a", "read a", "refresh")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=8))
def test_any_interleaving_of_sends_and_refreshes_leaves_the_cache_equal_to_the_service(
        admin: Client, cache: Cache, actions: list[str]) -> None:
    (a, phone), (b, _) = new_conversation(admin), new_conversation(admin)
    for action in actions:
        if action == "send a":
            admin.conversations.send(a, body="Siap")
        elif action == "send b":
            admin.conversations.send(b, body="Siap")
        elif action == "customer a":
            admin.sandbox.inbound(device_id=DEVICE, from_=phone, body="Oke")
        elif action == "read a":
            admin.conversations.read(a)
        else:
            cache.refresh(admin)
    cache.refresh(admin)
    for conversation_id in (a, b):
        assert cached(cache, conversation_id) == served(admin, conversation_id)

