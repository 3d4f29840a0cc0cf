"""Capabilities as the interface names them; the id stays in help texts, for the curious and for the API."""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    """The capabilities the dashboard knows; a role may hold others, kept as text."""

    CHATS_SEND = "chats.send"
    INBOX_VIEW_ALL = "inbox.view_all"
    ANALYTICS_VIEW = "analytics.view"
    USERS_MANAGE = "users.manage"
    ROLES_MANAGE = "roles.manage"
    INBOXES_MANAGE = "inboxes.manage"
    CONTACTS_MANAGE = "contacts.manage"
    WEBHOOKS_MANAGE = "webhooks.manage"


LABELS = {
    Capability.CHATS_SEND: "Send messages",
    Capability.INBOX_VIEW_ALL: "See all inboxes",
    Capability.ANALYTICS_VIEW: "View analytics",
    Capability.USERS_MANAGE: "Manage users",
    Capability.ROLES_MANAGE: "Manage roles",
    Capability.INBOXES_MANAGE: "Manage inboxes",
    Capability.CONTACTS_MANAGE: "Manage contacts",
    Capability.WEBHOOKS_MANAGE: "Manage webhooks",
}


def label(capability: str) -> str:
    """“Manage roles” for roles.manage; a capability unknown here keeps its id, marked as unknown."""
    return LABELS.get(capability, f"{capability} (unknown)")
