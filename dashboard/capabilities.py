"""Capabilities as the interface names them; the id stays in help texts, for the curious and for the API."""

from __future__ import annotations

LABELS = {
    "chats.send": "Send messages",
    "inbox.view_all": "See all inboxes",
    "analytics.view": "View analytics",
    "users.manage": "Manage users",
    "roles.manage": "Manage roles",
    "inboxes.manage": "Manage inboxes",
    "contacts.manage": "Manage contacts",
    "webhooks.manage": "Manage webhooks",
}


def label(capability: str) -> str:
    """“Manage roles” for roles.manage; a capability unknown here keeps its id, marked as unknown."""
    return LABELS.get(capability, f"{capability} (unknown)")
