"""Reading the conversation list and threads from the service, noting which optional fields it sent.

The client's models read `null` like a missing field, so they cannot tell "the service sends
`solved_at`, null while open" from "the service has no `solved_at`". These calls parse with the
same models and also look at the raw keys. They go through the client's public `get`, so retries,
errors and credential handling stay the client's.

Threads are fetched concurrently like `conversations.fetch_threads`, but one failed thread does
not cancel the others: a 404 means the conversation is gone (deleted, or out of scope now), and a
thread that keeps failing after the client's retries is tried again a few times, then reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ceox_api import AsyncClient, Client, list_of
from ceox_api.assumptions import ALL_STATUSES, LIST_KEYS
from ceox_api.errors import CeoxError, NotFound, RateLimited, ServerError, TransportError
from ceox_api.models import CeoxModel, Conversation, Message, normalise_key

T = TypeVar("T")
M = TypeVar("M", bound=CeoxModel)
Progress = Callable[[int, int], object]

# Errors worth trying again: the service or the network may recover.
RETRYABLE = (ServerError, RateLimited, TransportError)
# Tries per thread, each with the client's own retries inside; pauses grow between them.
THREAD_ATTEMPTS = 4
RETRY_PAUSE_S = 0.5

CONVERSATION_INPUTS = ("solved_at", "inbox_id")
MESSAGE_INPUTS = ("sender_user_id",)
_LIST_KEYS = frozenset(normalise_key(key) for key in LIST_KEYS)


def _with_fields(model: type[M], wanted: Iterable[str]) -> Callable[[Any], tuple[list[M], frozenset[str]]]:
    """Parse a list answer with `model`, and say which of `wanted` appear as keys (null or not)."""
    parse = list_of(model)
    wanted_by_key = {normalise_key(name): name for name in wanted}

    def parse_noting_fields(body: Any) -> tuple[list[M], frozenset[str]]:
        items = body
        if isinstance(body, Mapping):
            items = next((v for k, v in body.items() if normalise_key(str(k)) in _LIST_KEYS
                          and isinstance(v, list)), [])
        records = [item.keys() for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []
        keys = set().union(*records)
        present = frozenset(wanted_by_key[k] for k in map(normalise_key, map(str, keys)) if k in wanted_by_key)
        return parse(body), present

    return parse_noting_fields


_parse_list = _with_fields(Conversation, CONVERSATION_INPUTS)
_parse_thread = _with_fields(Message, MESSAGE_INPUTS)


async def list_conversations(client: AsyncClient) -> tuple[list[Conversation], frozenset[str]]:
    """Every conversation the credential may see, open and solved."""
    return await client.get("/conversations", parse=_parse_list, params={"status": ALL_STATUSES})


@dataclass(repr=False)  # a repr would spell out every message
class Threads:
    messages: dict[int, list[Message]] = field(default_factory=dict)
    # Answered 404: deleted, or out of the credential's scope since the list was read.
    gone: set[int] = field(default_factory=set)
    # Still failing after every attempt: fetched again by the next refresh.
    failed: dict[int, CeoxError] = field(default_factory=dict)
    # A failure no retry can fix (401, 403, an unreadable answer): the rest were not fetched.
    fatal: CeoxError | None = None
    present: set[str] = field(default_factory=set)


async def fetch_threads(
    client: AsyncClient, conversation_ids: list[int], *, concurrency: int, on_progress: Progress | None
) -> Threads:
    """The threads of `conversation_ids`, at most `concurrency` requests at a time."""
    gate = asyncio.Semaphore(concurrency)
    result = Threads()
    total, done = len(conversation_ids), 0

    async def fetch(conversation_id: int) -> None:
        nonlocal done
        for attempt in range(THREAD_ATTEMPTS):
            try:
                async with gate:
                    if result.fatal is not None:
                        return
                    thread, present = await client.get(f"/conversations/{conversation_id}/messages",
                                                       parse=_parse_thread)
            except NotFound:
                result.gone.add(conversation_id)
            except RETRYABLE as exc:
                if attempt + 1 < THREAD_ATTEMPTS:
                    await asyncio.sleep(RETRY_PAUSE_S * (attempt + 1))  # outside the gate: others go on
                    continue
                result.failed[conversation_id] = exc
            except CeoxError as exc:
                result.fatal = result.fatal or exc
                return
            else:
                result.messages[conversation_id] = thread
                result.present |= present
            break
        done += 1
        if on_progress is not None:
            on_progress(done, total)

    await asyncio.gather(*(fetch(conversation_id) for conversation_id in conversation_ids))
    return result


def run_async(client: Client, work: Callable[[AsyncClient], Coroutine[Any, Any, T]]) -> T:
    """Run `work` with an async twin of `client` (same URL, credential, timeouts and retries).

    In this thread, or in a worker thread when this one already runs an event loop (Jupyter).
    """
    outcome: list[T] = []

    async def main() -> None:
        async with client.as_async() as twin:
            outcome.append(await work(twin))

    # The result is handed over outside the task: in the main thread, asyncio.run's teardown formats
    # its SIGINT handler, which holds the task, whose repr shows its result: seconds for 60,000 messages.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
    else:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ceox-sync") as worker:
            worker.submit(asyncio.run, main()).result()
    return outcome[0]
