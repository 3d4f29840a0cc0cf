"""Per device, inbox and agent tables, agent activity, and the live board's waiting list, open-by-inbox and
agents online.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.analytics import Cycles, Filters, Missing
from dashboard.connection import Workspace
from dashboard.sync import Cache, background_sync
from ui import conversation_links
from ui.analytics.charts import selected_rows
from ui.analytics.drill import Drill, local_times
from ui.analytics.formatting import COUNT, duration, durations
from ui.analytics.names import Names, device_names

KEY_COLUMNS = {"device": "device_id", "inbox": "inbox_id", "agent": "agent_id"}


def group_name(by: str, key: Any, who: Names, data: Cycles) -> str:
    if by == "inbox":
        return who.inbox(key)
    if by == "agent":
        return who.agent(key)
    if key is None or pd.isna(key):
        return "no device"
    return device_names(data).get(int(key), f"device #{int(key)}")


def group_drill(by: str, frame: pd.DataFrame, row: int, key_column: str, who: Names, data: Cycles) -> dict:
    key = frame[key_column].iloc[row]
    key = None if pd.isna(key) else int(key)
    what = {"device": "device", "inbox": "inbox", "agent": "first responder"}[by]
    return {"metric": "cycles", "group": [by, key],
            "label": f"Cycles started, {what}: {group_name(by, key, who, data)}"}


def take_row_drill(drill: Drill, by: str, table: Callable[[], Any], who: Names, data: Cycles,
                   table_key: str) -> None:
    """Open the drill-down of the row selected in a breakdown table; `table()` gives the `breakdown`
    shown (its rows in the same order), computed only when the selection changed."""

    def make(rows: list[int]) -> dict | None:
        shown = table()
        if isinstance(shown, Missing) or rows[0] >= len(shown.frame):
            return None
        return group_drill(by, shown.frame, rows[0], KEY_COLUMNS[by], who, data)

    drill.take(by, selected_rows(st.session_state.get(table_key)), make)


def breakdown_display(by: str, table: Any, who: Names, business: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A `breakdown` table for the page: names, counts, durations as text (rows in the table's order)."""
    frame = table.frame
    key = frame[KEY_COLUMNS[by]]
    if by == "device":
        name = frame["device_name"].fillna(key.map(lambda k: "no device" if pd.isna(k) else f"device #{int(k)}"))
    else:
        name = key.map(who.inbox if by == "inbox" else who.agent)
    shown = pd.DataFrame({
        "name": name.astype("string"), "cycles": frame["cycles"], "inbound_cycles": frame["inbound_cycles"],
        "outbound_cycles": frame["outbound_cycles"], "messages_in": frame["messages_in"],
        "messages_out": frame["messages_out"], "unanswered": frame["unanswered"], "frt_count": frame["frt_count"],
        "frt_median": durations(frame["frt_median"]), "frt_mean": durations(frame["frt_mean"]),
        "frt_p90": durations(frame["frt_p90"]), "frt_within": frame["frt_within"] * 100,
        "reply_count": frame["reply_count"], "reply_median": durations(frame["reply_median"]),
        "reply_mean": durations(frame["reply_mean"]),
    })
    if "resolution_median" in frame:
        shown["resolution_median"] = durations(frame["resolution_median"])
        shown["resolution_mean"] = durations(frame["resolution_mean"])
    mode = " (business)" if business else ""
    text = st.column_config.TextColumn
    columns = {
        "name": text({"device": "Device", "inbox": "Inbox", "agent": "Agent"}[by]),
        "cycles": COUNT("Cycles"), "inbound_cycles": COUNT("Customer-initiated"),
        "outbound_cycles": COUNT("Business-initiated"), "messages_in": COUNT("Messages in"),
        "messages_out": COUNT("Messages out"), "unanswered": COUNT("Unanswered"),
        "frt_count": COUNT("Answered"), "frt_median": text(f"FRT median{mode}"),
        "frt_mean": text("FRT mean"), "frt_p90": text("FRT p90"),
        "frt_within": st.column_config.NumberColumn("FRT within target, %", format="%.0f"),
        "reply_count": COUNT("Replies"), "reply_median": text(f"Reply median{mode}"), "reply_mean": text("Reply mean"),
        "resolution_median": text(f"Resolution median{mode}"), "resolution_mean": text("Resolution mean"),
    }
    return shown, columns


def agent_display(activity: pd.DataFrame, who: Names, business: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`agent_activity` for the page: names and statuses, durations as text (and in seconds for the
    chart), a text key per agent; fastest median first response first."""
    activity = activity.sort_values(["frt_median", "agent_id"], na_position="last", kind="stable")
    ids = activity["agent_id"]
    table = pd.DataFrame({
        "agent": ids.map(who.agent).astype("string"),
        "status": ids.map(lambda i: who.statuses.get(int(i), "")).astype("string"),
        "outgoing_messages": activity["outgoing_messages"], "first_replies": activity["first_replies"],
        "frt_median": durations(activity["frt_median"]), "frt_mean": durations(activity["frt_mean"]),
        "replies": activity["replies"], "reply_median": durations(activity["reply_median"]),
        "reply_mean": durations(activity["reply_mean"]),
        "frt_median_s": activity["frt_median"], "frt_mean_s": activity["frt_mean"],
        "agent_key": ids.map(lambda i: str(int(i))).astype(str),
    })
    mode = " (business)" if business else ""
    text = st.column_config.TextColumn
    columns = {
        "agent": text("Agent"), "status": text("Status"),
        "outgoing_messages": COUNT("Outgoing messages"), "first_replies": COUNT("First replies"),
        "frt_median": text(f"FRT median{mode}"), "frt_mean": text("FRT mean"), "replies": COUNT("Replies"),
        "reply_median": text(f"Reply median{mode}"), "reply_mean": text("Reply mean"),
    }
    return table.reset_index(drop=True), columns


def quiet_refresh(workspace: Workspace, cache: Cache, wait_s: float = 5.0) -> str | None:
    """Have the shared background sync refresh (the live board's, every few seconds) and wait up to
    `wait_s` for it (a warm refresh takes about a second); a sentence when its last refresh failed."""
    runner = background_sync(cache)
    runner.keep_fresh(workspace.client)
    state = runner.state()
    # A refresh running now may have read the list before the newest message: wait for the next one.
    wanted = state.ended + 1 + state.running
    runner.request()
    deadline = time.monotonic() + wait_s
    while (state := runner.state()).ended < wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return state.problem


def waiting_display(waiting: pd.DataFrame, data: Cycles, who: Names) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`waiting_now` for the page: a link per conversation, names, local times, how long each waits."""
    table = pd.DataFrame({
        "conversation": conversation_links.numbers(waiting["conversation_id"]),
        "contact": waiting["contact_name"].fillna(""), "phone": waiting["contact_phone"].fillna(""),
        "device": waiting["device_name"].fillna(""),
        "inbox": waiting["inbox_id"].map(who.inbox) if "inbox_id" in data.available else "",
        "since": local_times(waiting["waiting_since"], data),
        "waiting": waiting["waiting_s"].map(duration), "waiting_business": waiting["waiting_business_s"].map(duration),
        "unread": waiting["unread"], "breach": waiting["breach"],
    }).reset_index(drop=True)
    columns = {
        "conversation": conversation_links.column(), "contact": st.column_config.TextColumn("Contact"),
        "phone": st.column_config.TextColumn("Phone"), "device": st.column_config.TextColumn("Device"),
        "inbox": st.column_config.TextColumn("Inbox"),
        "since": st.column_config.DatetimeColumn(f"Waiting since ({data.timezone})", format="YYYY-MM-DD HH:mm"),
        "waiting": st.column_config.TextColumn("Waiting"),
        "waiting_business": st.column_config.TextColumn("In business hours"),
        "unread": COUNT("Unread"),
        "breach": st.column_config.CheckboxColumn("Over target"),
    }
    return table, columns


def open_by_inbox(data: Cycles, waiting: pd.DataFrame, filters: Filters, who: Names) -> pd.DataFrame:
    """Open conversations, active and stale waits and SLA breaches per inbox (under the device/inbox/group
    filters)."""
    conversations = data.conversations
    keep = (conversations["status"] == "open").fillna(False).to_numpy(bool)
    if filters.device_ids is not None:
        keep &= conversations["device_id"].isin([d for d in filters.device_ids if d is not None]).to_numpy(bool)
    if filters.inbox_ids is not None:
        inbox = pd.array(conversations["inbox_id"], dtype="Int64")
        wanted = inbox.isin([i for i in filters.inbox_ids if i is not None]).to_numpy(bool, na_value=False)
        keep &= wanted | (inbox.isna().to_numpy() & (None in filters.inbox_ids))
    if not filters.include_groups:
        keep &= ~conversations["is_group"].fillna(False).to_numpy(bool)
    open_rows = conversations[keep]
    key = "inbox_id" if "inbox_id" in data.available else None
    groups = (open_rows[key] if key else pd.Series(pd.NA, index=open_rows.index, dtype="Int64")).astype("Int64")
    waits = (waiting["inbox_id"] if key else pd.Series(pd.NA, index=waiting.index, dtype="Int64")).astype("Int64")
    stale = waiting["stale"].to_numpy(bool)
    table = pd.DataFrame({"open": groups.value_counts(dropna=False)})
    table["waiting"] = waits[~stale].value_counts(dropna=False)
    table["breaches"] = waits[waiting["breach"].to_numpy(bool)].value_counts(dropna=False)
    table["stale"] = waits[stale].value_counts(dropna=False)
    table = table.fillna(0).astype("int64").sort_values("open", ascending=False)
    table.insert(0, "inbox", [who.inbox(i) if key else "all" for i in table.index])
    return table.reset_index(drop=True)


def agents_online(who: Names) -> pd.DataFrame:
    order = {"online": 0, "idle": 1, "offline": 2}
    rows = [{"agent": who.agent(user_id), "status": status,
             # Only inboxes this credential lists: an agent's others are not for a scoped reader to see.
             "inboxes": ", ".join(who.inbox(i) for i in who.agent_inboxes.get(user_id, []) if i in who.inboxes)}
            for user_id, status in who.statuses.items()]
    frame = pd.DataFrame(rows, columns=["agent", "status", "inboxes"])
    return frame.sort_values(["status", "agent"], key=lambda c: c.map(order).fillna(3) if c.name == "status" else c,
                             kind="stable").reset_index(drop=True)
