"""Which pages a credential may open: an API key every page, a user token by its role's capabilities.

Hiding a page is not access control (every action re-checks and handles 403); it keeps people out
of pages that could only show them errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.capabilities import Capability
from dashboard.connection import Workspace


@dataclass(frozen=True)
class PageSpec:
    path: str  # file under pages/
    title: str
    icon: str
    capability: Capability | None = None  # needed to see the page; None: everyone signed in
    section: str = "Workspace"


# Each page once: pages and links name them by these constants, never by their file path.
OVERVIEW = PageSpec("app_pages/overview.py", "Overview", ":material/home:")
USERS = PageSpec("app_pages/users.py", "Users", ":material/group:", Capability.USERS_MANAGE, "Admin")
ROLES = PageSpec("app_pages/roles.py", "Roles & capabilities", ":material/badge:", Capability.ROLES_MANAGE, "Admin")
INBOXES = PageSpec("app_pages/inboxes.py", "Inboxes & members", ":material/inbox:", Capability.INBOXES_MANAGE, "Admin")
DEVICES = PageSpec("app_pages/devices.py", "Devices", ":material/smartphone:")
CONTACTS = PageSpec("app_pages/contacts.py", "Contacts", ":material/contacts:")
CONVERSATIONS = PageSpec("app_pages/conversations.py", "Conversations", ":material/chat:", None, "Messaging")
SEND = PageSpec("app_pages/send.py", "Send a message", ":material/send:", Capability.CHATS_SEND, "Messaging")
WEBHOOKS = PageSpec("app_pages/webhooks.py", "Webhooks & API keys", ":material/webhook:",
                    Capability.WEBHOOKS_MANAGE, "Admin")
AUDIT_LOG = PageSpec("app_pages/audit_log.py", "Audit log", ":material/history:", Capability.USERS_MANAGE, "Admin")
ANALYTICS = PageSpec("app_pages/analytics.py", "Analytics", ":material/monitoring:",
                     Capability.ANALYTICS_VIEW, "Analytics")
AGENTS = PageSpec("app_pages/agents.py", "Agents", ":material/support_agent:", Capability.ANALYTICS_VIEW, "Analytics")
LIVE_BOARD = PageSpec("app_pages/live_board.py", "Live board", ":material/speed:",
                      Capability.ANALYTICS_VIEW, "Analytics")
PAGES = (OVERVIEW, USERS, ROLES, INBOXES, DEVICES, CONTACTS, CONVERSATIONS, SEND, WEBHOOKS, AUDIT_LOG, ANALYTICS,
         AGENTS, LIVE_BOARD)
CONNECT_PAGE = PageSpec("app_pages/connect.py", "Connect", ":material/key:", None, "Account")

# What each capability lets a person do in the dashboard, for the role preview and tooltips.
CAPABILITY_ACTIONS = {
    Capability.CHATS_SEND: "Reply to conversations, send messages, mark read, solve and reopen",
    Capability.INBOX_VIEW_ALL: "See every inbox's devices and conversations",
    Capability.ANALYTICS_VIEW: "Open the analytics pages",
    Capability.USERS_MANAGE: "Add, edit and delete users, reset passwords; see the audit log",
    Capability.ROLES_MANAGE: "Edit roles and their capabilities",
    Capability.INBOXES_MANAGE: "Edit inboxes, their members and device assignments",
    Capability.CONTACTS_MANAGE: "Add contacts",
    Capability.WEBHOOKS_MANAGE: "Register and delete webhooks",
}


def allowed_pages(capabilities: frozenset[str] | set[str]) -> list[PageSpec]:
    return [page for page in PAGES if page.capability is None or page.capability in capabilities]


def pages_for(workspace: Workspace | None) -> list[PageSpec]:
    if workspace is None:
        return []
    return allowed_pages(workspace.capabilities)
