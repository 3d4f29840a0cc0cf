"""The capabilities a role can hold (docs/contract.md, "Capabilities")."""

CAPABILITIES: dict[str, str] = {
    "chats.send": "Send messages, mark conversations read, solve and reopen them",
    "inbox.view_all": "See every inbox's devices and conversations, not only the user's own inboxes",
    "analytics.view": "See the analytics pages",
    "users.manage": "Create, edit and delete users and reset their passwords",
    "roles.manage": "Create, edit and delete roles and their capabilities",
    "inboxes.manage": "Create, edit and delete inboxes, their members and device assignments",
    "contacts.manage": "Create contacts",
    "webhooks.manage": "Create and delete webhooks",
}
