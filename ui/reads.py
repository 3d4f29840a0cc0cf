"""The reads pages make from the service, one typed `Read` each, cached for 30 s per credential.

    users = reads.USERS()                         # on failure: a clear message, and the page stops
    conversations = reads.CONVERSATIONS.fetch(status="all")   # raises CeoxError instead

A list the service gave only in part says so on the page ("Showing the first 50 of 2,495 …").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import streamlit as st

from ceox_api import is_partial
from ceox_api.errors import CeoxError
from ceox_api.models import (
    ApiKey,
    Contact,
    Conversation,
    Delivery,
    Device,
    DeviceStatus,
    Inbox,
    Message,
    Role,
    User,
    Webhook,
)
from dashboard.connection import Workspace
from dashboard.feedback import explain_error
from ui import session
from ui.plain_text import plain

T = TypeVar("T")


@dataclass(frozen=True)
class Read(Generic[T]):
    key: str  # names the read in the cache (with the credential and the parameters)
    noun: str  # what the list holds, for "Showing the first N of M {noun}"
    call: Callable[..., T]

    def fetch(self, **params: Any) -> T:
        """The answer, cached for this session's credential; raises CeoxError."""
        workspace = session.require()
        return _cached(workspace.identity, self.key, tuple(sorted(params.items())), workspace)

    def __call__(self, **params: Any) -> T:
        """`fetch`, but on failure a clear message and the page stops; a partial list says so."""
        try:
            result = self.fetch(**params)
        except CeoxError as exc:
            st.error(plain(explain_error(exc)), icon=":material/error:")
            st.stop()
        say_if_partial(result, self.noun)
        return result


USERS: Read[list[User]] = Read("users", "users", lambda c: c.users.list())
ROLES: Read[list[Role]] = Read("roles", "roles", lambda c: c.roles.list())
INBOXES: Read[list[Inbox]] = Read("inboxes", "inboxes", lambda c: c.inboxes.list())
DEVICES: Read[list[Device]] = Read("devices", "devices", lambda c: c.devices.list())
DEVICE_STATUSES: Read[list[DeviceStatus]] = Read("wa_status", "device statuses", lambda c: c.wa.status())
INBOX_MEMBERS: Read[list[User]] = Read("inbox_members", "members",
                                       lambda c, inbox_id: c.inboxes.members(inbox_id))
CONTACTS: Read[list[Contact]] = Read("contacts", "contacts", lambda c, q="": c.contacts.list(q=q or None))
CONVERSATIONS: Read[list[Conversation]] = Read("conversations", "conversations",
                                               lambda c, status="open": c.conversations.list(status=status))
MESSAGES: Read[list[Message]] = Read("messages", "messages of this thread",
                                     lambda c, conversation_id: c.conversations.messages(conversation_id))
WEBHOOKS: Read[list[Webhook]] = Read("webhooks", "webhooks", lambda c: c.webhooks.list())
DELIVERIES: Read[list[Delivery]] = Read("deliveries", "webhook deliveries", lambda c: c.sandbox.deliveries())
API_KEYS: Read[list[ApiKey]] = Read("api_keys", "API keys", lambda c: c.sandbox.list_api_keys())

_BY_KEY: dict[str, Read[Any]] = {read.key: read for read in (
    USERS, ROLES, INBOXES, DEVICES, DEVICE_STATUSES, INBOX_MEMBERS, CONTACTS, CONVERSATIONS, MESSAGES, WEBHOOKS,
    DELIVERIES, API_KEYS)}


@st.cache_data(ttl=30, show_spinner=False, max_entries=200)
def _cached(identity: str, key: str, params: tuple, _workspace: Workspace) -> Any:
    with _workspace.client() as client:
        return _BY_KEY[key].call(client, **dict(params))


def say_if_partial(listed: object, what: str) -> None:
    """A list the service gave only in part says so, rather than passing for the whole."""
    if is_partial(listed):
        st.warning(f"Showing the first {listed.shown_of} {what}: the service holds more than the dashboard "
                   "could read, so counts and totals here are incomplete.", icon=":material/warning:")


def invalidate() -> None:
    """Forget every cached read (after a write, or when the receiver says something changed)."""
    _cached.clear()
