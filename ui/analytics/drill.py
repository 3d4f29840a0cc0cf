"""Drill-down state (which number was clicked) and the table of cycles behind it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.analytics import Cycles, Missing, drill_down
from dashboard.connection import Workspace
from ui import conversation_links
from ui.analytics.cards import range_text
from ui.analytics.filters import View
from ui.analytics.formatting import COUNT, durations
from ui.analytics.names import Names


class Drill:
    """Which number's cycles are listed, kept in session state as a plain dict: metric, source (where
    the list shows), label and the selectors of `drill_down`.

    Keyed by the credential's identity, so that a drill-down never crosses to another user signing in
    in the same browser session. Chart and table selections left from before are taken as already
    seen by a new identity: they open nothing until changed.
    """

    def __init__(self, key: str, workspace: Workspace) -> None:
        self.key = f"{key}_{workspace.identity}"
        self.seen_key = f"{self.key}_seen"
        self.adopting = self.seen_key not in st.session_state

    def set(self, drill: dict) -> None:
        st.session_state[self.key] = drill

    def clear(self) -> None:
        st.session_state.pop(self.key, None)

    @property
    def current(self) -> dict | None:
        return st.session_state.get(self.key)

    def take(self, source: str, selection: Any, make: Callable[[Any], dict | None]) -> None:
        """Open a drill-down from a chart or table selection when that selection changed."""
        marker = json.dumps(selection, sort_keys=True, default=str)
        seen = st.session_state.setdefault(self.seen_key, {})
        if seen.get(source) == marker:
            return
        seen[source] = marker
        if selection and not self.adopting:
            drill = make(selection)
            if drill is not None:
                self.set(drill | {"source": source})

    def show(self, source: str, data: Cycles, view: View, who: Names) -> None:
        """The cycles behind the selected number, if it was picked in `source`."""
        drill = self.current
        if not drill or drill.get("source") != source:
            return
        with st.container(border=True):
            head, close = st.columns([8, 1], vertical_alignment="center")
            head.markdown("**Conversations behind the number**")
            close.button("Close", key=f"{self.key}_close_{source}", icon=":material/close:", type="tertiary",
                         on_click=self.clear)
            st.text(drill["label"])
            frame = drill_frame(data, view, drill)
            if isinstance(frame, Missing):
                st.info(f"Not available: the service does not return {frame.input}.")
                return
            shown = display_cycles(frame, data, who, view)
            unit = "cycle" if len(frame) == 1 else "cycles"
            total = int(frame["contribution"].sum())
            counted = {"messages_in": "messages", "messages_out": "messages", "inbound_messages": "inbound messages",
                       "reply": "reply times", "frt_within": "within target"}.get(drill["metric"])
            summary = (f"{len(frame):,} {unit} in {frame['conversation_id'].nunique():,} conversations, "
                       f"cycles started {range_text(view.filters)}")
            st.caption(summary + (f"; {total:,} {counted} in all" if counted else "") +
                       ". Each row is a cycle; select one to open its conversation.")
            ids = frame["conversation_id"].tolist()
            table = st.dataframe(shown, hide_index=True, width="stretch",
                                 height=min(420, 38 + 35 * max(len(shown), 1)),
                                 key=conversation_links.table_key(f"{self.key}_table_{source}", ids),
                                 column_config=cycle_columns(data, view.business),
                                 on_select="rerun", selection_mode="single-row")
            conversation_links.open_selected(table, ids)


def drill_frame(data: Cycles, view: View, drill: dict) -> pd.DataFrame | Missing:
    """`drill_down` for a drill dict (selectors as JSON-able values)."""
    group = drill.get("group")
    cell = drill.get("cell")
    return drill_down(data, drill["metric"], view.filters, view.business,
                      day=date.fromisoformat(drill["day"]) if drill.get("day") else None,
                      week=date.fromisoformat(drill["week"]) if drill.get("week") else None,
                      cell=(int(cell[0]), int(cell[1])) if cell else None,
                      group=(group[0], None if group[1] is None else int(group[1])) if group else None,
                      bucket=drill.get("bucket"))


def local_times(times: pd.Series, data: Cycles) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(times).tz_convert(data.settings.zone).tz_localize(None), index=times.index)


def display_cycles(frame: pd.DataFrame, data: Cycles, who: Names, view: View) -> pd.DataFrame:
    """Drill-down rows for a table: one per cycle, names instead of ids, local times, durations as text.
    `frame` comes from `drill_down` with the view's filters; its response columns follow them."""
    suffix = view.filters.suffix
    business = "business_" if view.business else ""
    shown = pd.DataFrame({
        "conversation": conversation_links.numbers(frame["conversation_id"]),
        "contact": frame["contact_name"].fillna(""),
        "phone": frame["contact_phone"].fillna(""),
        "device": frame["device_name"].fillna(""),
        "inbox": frame["inbox_id"].map(who.inbox) if "inbox_id" in data.available else "",
        "agent": frame[f"agent_id{suffix}"].map(who.agent) if "sender_user_id" in data.available else "",
        "start": local_times(frame["start"], data),
        "initiator": frame["initiator"].astype("string").map({"inbound": "customer", "outbound": "business"}),
        "state": frame[f"state{suffix}"].astype("string"),
        "frt": durations(frame[f"frt_{business}s{suffix}"]),
        "automated": durations(frame[f"auto_{business}s"]),
        "messages_in": frame["messages_in"],
        "messages_out": frame["messages_out"],
        "resolution": durations(frame[f"resolution_{business}s"]),
        "counted": frame["contribution"],
        "group": frame["is_group"],
    })
    return shown


def cycle_columns(data: Cycles, business: bool) -> dict[str, Any]:
    mode = " (business)" if business else ""
    return {
        "conversation": conversation_links.column(),
        "contact": st.column_config.TextColumn("Contact"),
        "phone": st.column_config.TextColumn("Phone"),
        "device": st.column_config.TextColumn("Device"),
        "inbox": st.column_config.TextColumn("Inbox"),
        "agent": st.column_config.TextColumn("First responder"),
        "start": st.column_config.DatetimeColumn(f"Cycle start ({data.timezone})", format="YYYY-MM-DD HH:mm"),
        "initiator": st.column_config.TextColumn("Started by"),
        "state": st.column_config.TextColumn("State"),
        "frt": st.column_config.TextColumn(f"First response{mode}"),
        "automated": st.column_config.TextColumn(f"First automated reply{mode}"),
        "messages_in": COUNT("In"),
        "messages_out": COUNT("Out"),
        "resolution": st.column_config.TextColumn(f"Resolution{mode}"),
        "counted": COUNT("Counts", help="What this cycle adds to the number"),
        "group": st.column_config.CheckboxColumn("Group"),
    }
