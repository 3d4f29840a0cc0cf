"""Names for ids: agents, devices and inboxes the credential may list, for tables, drill-downs and
captions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from ceox_api.errors import CeoxError
from dashboard.analytics import Cycles, Labels
from dashboard.capabilities import Capability
from dashboard.capabilities import label as capability_label
from dashboard.connection import Workspace


@dataclass(frozen=True)
class Names:
    """Inbox and agent names as this credential may read them (ids otherwise)."""

    inboxes: dict[int, str] = field(default_factory=dict)
    agents: dict[int, str] = field(default_factory=dict)
    statuses: dict[int, str] = field(default_factory=dict)  # user id → online / idle / offline
    agent_inboxes: dict[int, list[int]] = field(default_factory=dict)
    people_from: str = ""  # "users", "inbox members" or "" (names unreadable)

    def inbox(self, inbox_id: Any) -> str:
        if inbox_id is None or pd.isna(inbox_id):
            return "no inbox"
        return self.inboxes.get(int(inbox_id)) or f"inbox #{int(inbox_id)}"

    def labels(self) -> Labels:
        """Names to put beside ids in exports."""
        return Labels(agents=self.agents, inboxes=self.inboxes)

    def agent(self, agent_id: Any) -> str:
        if agent_id is None or pd.isna(agent_id):
            return "no agent (automated or no reply)"  # an automated sender, or (for cycles) no human reply
        return self.agents.get(int(agent_id)) or f"agent #{int(agent_id)}"


def _load_names(workspace: Workspace, can_list_users: bool) -> Names:
    inboxes: dict[int, str] = {}
    people: dict[int, Any] = {}
    source = ""
    with workspace.client() as client:
        try:
            listed = client.inboxes.list()
            inboxes = {i.id: i.name for i in listed}
        except CeoxError:
            listed = []
        if can_list_users:
            try:
                people = {u.id: u for u in client.users.list()}
                source = "users"
            except CeoxError:
                people = {}
        if not source:
            # Without users.manage, the members of the inboxes this credential sees still have names.
            for inbox in listed:
                try:
                    people.update({u.id: u for u in client.inboxes.members(inbox.id)})
                except CeoxError:
                    continue
            source = "inbox members" if people else ""
    return Names(inboxes, {i: u.name for i, u in people.items() if u.name},
                 {i: u.status for i, u in people.items() if u.status},
                 {i: list(u.inbox_ids) for i, u in people.items()}, source)


@st.cache_data(ttl=300, show_spinner=False, max_entries=100)
def _names(identity: str, can_list_users: bool, _workspace: Workspace) -> Names:
    return _load_names(_workspace, can_list_users)


@st.cache_data(ttl=15, show_spinner=False, max_entries=100)
def _live_names(identity: str, can_list_users: bool, _workspace: Workspace) -> Names:
    return _load_names(_workspace, can_list_users)


def names(workspace: Workspace, *, live: bool = False) -> Names:
    """Inbox and agent names (and agents' statuses): from the users list when this credential may read
    it, else from the members of the inboxes it sees. `live`: at most 15 s old, for the live board."""
    return (_live_names if live else _names)(workspace.identity, workspace.can(Capability.USERS_MANAGE), workspace)


def people_caption(who: Names) -> str:
    if who.people_from == "users":
        return "Agent names and statuses from the users list."
    if who.people_from == "inbox members":
        return ("Agent names and statuses from the members of your inboxes (the full users list needs the "
                f"“{capability_label(Capability.USERS_MANAGE)}” capability); others show as agent #id.")
    return "Agents show as agent #id: this credential cannot read user names."


def device_names(data: Cycles) -> dict[int, str]:
    conversations = data.conversations.dropna(subset=["device_id"]).drop_duplicates("device_id", keep="last")
    return {int(d): (str(n) if pd.notna(n) else f"device #{int(d)}")
            for d, n in zip(conversations["device_id"], conversations["device_name"], strict=True)}
