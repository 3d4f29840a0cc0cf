"""`Client` and `AsyncClient`: the same resources, run with blocking or async I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Self, TypeVar

from ceox_api._base import AsyncTransport, Credential, SyncTransport
from ceox_api._call import Call
from ceox_api.resources._resource import Async, Sync, resource
from ceox_api.resources.auth import Auth
from ceox_api.resources.contacts import Contacts
from ceox_api.resources.conversations import AsyncConversations, SyncConversations
from ceox_api.resources.devices import Devices, WhatsApp
from ceox_api.resources.inboxes import Inboxes
from ceox_api.resources.me import CurrentUser
from ceox_api.resources.messages import Messages
from ceox_api.resources.roles import Roles
from ceox_api.resources.sandbox import Sandbox
from ceox_api.resources.users import Users
from ceox_api.resources.webhooks import Webhooks

T = TypeVar("T")


class Client(SyncTransport):
    """The CEOX API with blocking calls.

    Credentials: `api_key="ceox_..."` or `token="<jwt>"`, else the `CEOX_API_KEY` environment
    variable; the base URL defaults to `CEOX_BASE_URL`, then the public service. Use it as a
    context manager, or call `close()`.
    """

    conversations = resource(SyncConversations)
    messages = resource(Messages[Sync])
    webhooks = resource(Webhooks[Sync])
    contacts = resource(Contacts[Sync])
    devices = resource(Devices[Sync])
    wa = resource(WhatsApp[Sync])
    users = resource(Users[Sync])
    me = resource(CurrentUser[Sync])
    roles = resource(Roles[Sync])
    inboxes = resource(Inboxes[Sync])
    auth = resource(Auth[Sync])
    sandbox = resource(Sandbox[Sync])

    def get(self, path: str, *, parse: Callable[[Any], T], params: Mapping[str, Any] | None = None) -> T:
        """GET `path` (under the base URL) and read the JSON answer with `parse` (`list_of(Model)`,
        `object_of(Model)` or your own): for what the resources do not cover, with the same retries,
        errors and credential handling."""
        return self._request(Call("GET", path, parse, params=params))

    def as_async(self) -> AsyncClient:
        """An `AsyncClient` with this client's address, credential, timeouts, retries and request hook."""
        return self._twin(AsyncClient)

    @classmethod
    def login(cls, base_url: str | None, email: str, password: str, **options: Any) -> Self:
        """A client holding the token of the user who signs in with `email` and `password`."""
        client = cls(base_url, **options)
        # The sign-in carries no configured API key: the address may be one the user typed.
        client._credential = None
        try:
            result = client.auth.login(email=email, password=password)
        except BaseException:
            client.close()
            raise
        client._credential = Credential("token", result.token.get_secret_value())
        return client


class AsyncClient(AsyncTransport):
    """The CEOX API with async calls: the same resources and methods as `Client`, awaited."""

    conversations = resource(AsyncConversations)
    messages = resource(Messages[Async])
    webhooks = resource(Webhooks[Async])
    contacts = resource(Contacts[Async])
    devices = resource(Devices[Async])
    wa = resource(WhatsApp[Async])
    users = resource(Users[Async])
    me = resource(CurrentUser[Async])
    roles = resource(Roles[Async])
    inboxes = resource(Inboxes[Async])
    auth = resource(Auth[Async])
    sandbox = resource(Sandbox[Async])

    async def get(self, path: str, *, parse: Callable[[Any], T], params: Mapping[str, Any] | None = None) -> T:
        """`Client.get`, awaited."""
        return await self._request(Call("GET", path, parse, params=params))

    @classmethod
    async def login(cls, base_url: str | None, email: str, password: str, **options: Any) -> Self:
        """A client holding the token of the user who signs in with `email` and `password`."""
        client = cls(base_url, **options)
        # The sign-in carries no configured API key: the address may be one the user typed.
        client._credential = None
        try:
            result = await client.auth.login(email=email, password=password)
        except BaseException:
            await client.aclose()
            raise
        client._credential = Credential("token", result.token.get_secret_value())
        return client
