"""Which pages a credential may open: an API key every page, a user token by its role's capabilities.

Hiding a page is not access control (every action re-checks and handles 403); it keeps people out
of pages that could only show them errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.connection import Workspace


@dataclass(frozen=True)
class PageSpec:
    path: str  # file under pages/
    title: str
    icon: str
    capability: str | None = None  # needed to see the page; None: everyone signed in
    section: str = "Workspace"


PAGES = (
    PageSpec("app_pages/overview.py", "Overview", ":material/home:"),
    PageSpec("app_pages/users.py", "Users", ":material/group:", "users.manage", "Admin"),
    PageSpec("app_pages/roles.py", "Roles & capabilities", ":material/badge:", "roles.manage", "Admin"),
    PageSpec("app_pages/inboxes.py", "Inboxes & members", ":material/inbox:", "inboxes.manage", "Admin"),
    PageSpec("app_pages/devices.py", "Devices", ":material/smartphone:"),
    PageSpec("app_pages/contacts.py", "Contacts", ":material/contacts:"),
    PageSpec("app_pages/conversations.py", "Conversations", ":material/chat:", None, "Messaging"),
    PageSpec("app_pages/send.py", "Send a message", ":material/send:", "chats.send", "Messaging"),
    PageSpec("app_pages/webhooks.py", "Webhooks & API keys", ":material/webhook:", "webhooks.manage", "Admin"),
    PageSpec("app_pages/audit_log.py", "Audit log", ":material/history:", "users.manage", "Admin"),
    PageSpec("app_pages/analytics.py", "Analytics", ":material/monitoring:", "analytics.view", "Analytics"),
    PageSpec("app_pages/agents.py", "Agents", ":material/support_agent:", "analytics.view", "Analytics"),
    PageSpec("app_pages/live_board.py", "Live board", ":material/speed:", "analytics.view", "Analytics"),
)
CONNECT_PAGE = PageSpec("app_pages/connect.py", "Connect", ":material/key:", None, "Account")

# What each capability lets a person do in the dashboard, for the role preview and tooltips.
CAPABILITY_ACTIONS = {
    "chats.send": "Reply to conversations, send messages, mark read, solve and reopen",
    "inbox.view_all": "See every inbox's devices and conversations",
    "analytics.view": "Open the analytics pages",
    "users.manage": "Add, edit and delete users, reset passwords; see the audit log",
    "roles.manage": "Edit roles and their capabilities",
    "inboxes.manage": "Edit inboxes, their members and device assignments",
    "contacts.manage": "Add contacts",
    "webhooks.manage": "Register and delete webhooks",
}


def allowed_pages(capabilities: frozenset[str] | set[str]) -> list[PageSpec]:
    return [page for page in PAGES if page.capability is None or page.capability in capabilities]


def pages_for(workspace: Workspace | None) -> list[PageSpec]:
    if workspace is None:
        return []
    return allowed_pages(workspace.capabilities)
