"""Conversations (one per contact per device), their messages, and concurrent thread fetching."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ceox_api._call import Call, given, many, nothing, one
from ceox_api.assumptions import LIMIT_PARAM, OFFSET_PARAM
from ceox_api.errors import AuthError, CeoxError, PermissionDenied
from ceox_api.models import Conversation, ConversationFilter, ConversationStatus, Message
from ceox_api.resources._resource import Async, Mode, Resource, Sync, endpoint
from ceox_api.resources.messages import encode_media

T = TypeVar("T")
Progress = Callable[[int, int], object]


class Conversations(Resource[Mode]):
    @endpoint
    def list(
        self, *, status: ConversationFilter | None = None, limit: int | None = None, offset: int | None = None
    ) -> Call[list[Conversation]]:
        """Conversations, newest activity first. `status` None is the service default: open only."""
        params = given(status=status, **{LIMIT_PARAM: limit, OFFSET_PARAM: offset})
        return Call("GET", "/conversations", many(Conversation), params=params)

    @endpoint
    def messages(self, conversation_id: int) -> Call[list[Message]]:
        """The whole thread, oldest first."""
        return Call("GET", "/conversations/{id}/messages", many(Message), {"id": conversation_id})

    @endpoint
    def send(
        self,
        conversation_id: int,
        *,
        body: str | None = None,
        media: bytes | None = None,
        media_base64: str | None = None,
        media_mime: str | None = None,
        media_filename: str | None = None,
        reply_to: str | None = None,
    ) -> Call[Message]:
        """Reply in the conversation (text, or media with `body` as caption). Never retried automatically.

        `reply_to` is the `wa_message_id` of the message to quote.
        """
        fields = given(
            Body=body,
            MediaBase64=encode_media(media, media_base64, media_mime),
            MediaMime=media_mime,
            MediaFilename=media_filename,
            ReplyTo=reply_to,
        )
        # The documented body of this endpoint is PascalCase (D), unlike /messages/send.
        return Call("POST", "/conversations/{id}/messages", one(Message), {"id": conversation_id}, json=fields)

    @endpoint
    def read(self, conversation_id: int) -> Call[None]:
        """Mark the conversation read (clears `unread`)."""
        return Call("POST", "/conversations/{id}/read", nothing, {"id": conversation_id})

    @endpoint
    def set_status(self, conversation_id: int, status: ConversationStatus) -> Call[Conversation]:
        """Close ("solved") or reopen ("open") the conversation."""
        return _status_call(conversation_id, status)

    @endpoint
    def solve(self, conversation_id: int) -> Call[Conversation]:
        """`set_status(conversation_id, "solved")`."""
        return _status_call(conversation_id, "solved")

    @endpoint
    def reopen(self, conversation_id: int) -> Call[Conversation]:
        """`set_status(conversation_id, "open")`."""
        return _status_call(conversation_id, "open")


def _status_call(conversation_id: int, status: ConversationStatus) -> Call[Conversation]:
    return Call(
        "POST", "/conversations/{id}/status", one(Conversation), {"id": conversation_id}, json={"status": status}
    )


class Threads(dict[int, list[Message]]):
    """Threads by conversation id; `failed` holds the conversations whose thread could not be read
    (after the client's retries), with the reason, so that one bad thread never sinks the others."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: dict[int, CeoxError] = {}


# Failures that concern every thread alike: going on would only repeat them.
_STOPS_ALL = (AuthError, PermissionDenied)


class AsyncConversations(Conversations[Async]):
    async def fetch_threads(
        self, conversation_ids: Iterable[int], *, concurrency: int = 16, on_progress: Progress | None = None
    ) -> Threads:
        """The threads of many conversations, at most `concurrency` requests at a time (fewer when the
        service pushes back: see `ceox_api._pace`).

        `on_progress(done, total)` is called after each thread arrives or fails. A thread that fails
        lands in the result's `failed`; only a refused credential (401, 403) cancels the rest and is
        raised.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        ids = list(dict.fromkeys(conversation_ids))
        gate = asyncio.Semaphore(concurrency)
        # Filled in the order asked for (threads arrive in any order), so results read like the input.
        result = Threads()
        slots: dict[int, list[Message]] = {}
        done = 0

        async def fetch(conversation_id: int) -> None:
            nonlocal done
            async with gate:
                try:
                    slots[conversation_id] = await self.messages(conversation_id)
                except _STOPS_ALL:
                    raise
                except CeoxError as exc:
                    result.failed[conversation_id] = exc
            done += 1
            if on_progress:
                on_progress(done, len(ids))

        tasks = [asyncio.ensure_future(fetch(conversation_id)) for conversation_id in ids]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        result.update((conversation_id, slots[conversation_id]) for conversation_id in ids if conversation_id in slots)
        return result


class SyncConversations(Conversations[Sync]):
    def fetch_threads(
        self, conversation_ids: Iterable[int], *, concurrency: int = 16, on_progress: Progress | None = None
    ) -> Threads:
        """The async `fetch_threads`, for sync code such as a Streamlit page.

        It runs in a fresh event loop on a fresh connection pool: in this thread, or in a worker
        thread when this one already runs a loop (Jupyter), where `on_progress` is then called.
        """
        # Imported here: the client module builds this resource.
        from ceox_api.client import AsyncClient

        async def fetch() -> Threads:
            async with self._client._twin(AsyncClient) as twin:
                return await twin.conversations.fetch_threads(
                    conversation_ids, concurrency=concurrency, on_progress=on_progress
                )

        return _run(fetch)


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    # asyncio.run refuses to nest inside a running loop, so the coroutine gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ceox-fetch") as worker:
        return worker.submit(asyncio.run, make()).result()
