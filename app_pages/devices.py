"""Devices: each WhatsApp number's live connection state, refreshed on its own, and its recorded history."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from ceox_api.errors import CeoxError
from dashboard import device_history
from dashboard.feedback import explain_error
from ui import reads, session
from ui.clock import clock_for, zone_caption
from ui.plain_text import plain
from ui.tables import table_height

REFRESH = "20s"
STATE_COLOURS = alt.Scale(domain=["connected", "disconnected"], range=["#16a34a", "#dc2626"])

workspace = session.require()
clock = clock_for(workspace)
TIMELINE_MIN = pd.Timedelta(hours=1)  # a shorter span would put seconds (".500") on the axis


def coloured(frame: pd.DataFrame, state_column: str) -> Styler:
    """`frame` with its state dot green or red, and the rows of disconnected devices tinted red."""

    def row_style(row: pd.Series) -> list[str]:
        tint = "" if row["connected"] else "background-color: rgba(220, 38, 38, 0.12);"
        dot = f"color: {'#15803d' if row['connected'] else '#b91c1c'}; font-weight: 600;"
        return [tint + (dot if column == state_column else "") for column in row.index]

    return frame.style.apply(row_style, axis=1)


def show_history(frame: pd.DataFrame, now: datetime) -> None:
    st.subheader("Status history")
    # A user reads the history of the devices it can list now, even when its tenant holds others' too.
    visible = None if workspace.kind == "api_key" else {int(i) for i in frame["id"]}
    rows = device_history.history(workspace.workspace_id, device_ids=visible)
    st.caption("Recorded by this dashboard while it runs (on this page and by the sidebar's health check): "
               "a row each time a device is first seen or its state changes.")
    names = dict(zip(frame["id"].astype(int), frame["name"], strict=True))
    for row in rows:
        names.setdefault(row["device_id"], row["name"])
    if not names:
        return
    chosen = st.selectbox("Device", list(names), key="device_history_choice",
                          format_func=lambda device_id: names[device_id] or f"device {device_id}")
    mine = [row for row in rows if row["device_id"] == chosen]
    if mine:
        recorded = pd.DataFrame({"time": [clock.time(r["time"]) for r in mine],
                                 "status": [device_history.status_label(r["status"]) for r in mine],
                                 "connected": [r["status"] == "connected" for r in mine]})
        st.dataframe(coloured(recorded, "status"), hide_index=True, width="stretch", column_order=["time", "status"],
                     column_config={"time": "Time", "status": "State"}, height=table_height(len(recorded)))
    else:
        st.info("Nothing recorded for this device yet.")
    spans = device_history.timeline(rows, now)
    if spans.empty:
        return
    spans = spans.assign(start=clock.column(spans["start"]), end=clock.column(spans["end"]))
    right = spans["end"].max()
    left = min(spans["start"].min(), right - TIMELINE_MIN)
    chart = alt.Chart(spans).mark_bar(height=14).encode(
        x=alt.X("start:T", title=f"time ({clock.zone.key})",
                scale=alt.Scale(domain=[left.isoformat(), right.isoformat()]),
                axis=alt.Axis(format="%d %b %H:%M", labelOverlap=True, tickCount=6)),
        x2="end:T",
        y=alt.Y("device:N", title=None),
        color=alt.Color("status:N", scale=STATE_COLOURS, title="state"),
        tooltip=[alt.Tooltip("device:N"), alt.Tooltip("status:N"),
                 alt.Tooltip("start:T", format="%Y-%m-%d %H:%M"), alt.Tooltip("end:T", format="%Y-%m-%d %H:%M")])
    st.altair_chart(chart, width="stretch")


@st.fragment(run_every=REFRESH)
def live() -> None:
    now = datetime.now(UTC)
    try:
        # Read afresh on every refresh (not through the 30 s cache): this page exists to show the live state.
        with workspace.client() as client:
            statuses = client.wa.status()
        devices, inboxes = reads.DEVICES.fetch(), reads.INBOXES.fetch()
    except CeoxError as exc:
        st.error(plain(explain_error(exc)), icon=":material/error:")
        return
    device_history.record(workspace.workspace_id, statuses, now)
    frame = device_history.status_frame(statuses, devices, inboxes, now, clock)
    down = frame[~frame["connected"].astype(bool)]
    if frame.empty:
        st.info("This workspace has no devices (WhatsApp numbers) yet.")
    elif down.empty:
        st.success("The device is connected." if len(frame) == 1 else f"All {len(frame):,} devices are connected.",
                   icon=":material/check_circle:")
    else:
        verb = "is" if len(down) == 1 else "are"
        st.warning(f"{len(down):,} of {len(frame):,} devices {verb} disconnected: messages to and from them are not "
                   "flowing until they are reconnected on the phone.", icon=":material/signal_disconnected:")
        st.dataframe(down, hide_index=True, width="stretch", column_order=["name", "phone", "inbox", "last_seen"],
                     column_config={"name": "Disconnected device", "phone": "Phone", "inbox": "Inbox",
                                    "last_seen": "Last seen"})
    if not frame.empty:
        st.dataframe(coloured(frame, "state"), hide_index=True, width="stretch",
                     column_order=["state", "name", "phone", "inbox", "last_seen", "last_seen_at"],
                     column_config={"state": "State", "name": "Device", "phone": "Phone", "inbox": "Inbox",
                                    "last_seen": "Last seen", "last_seen_at": "Last seen at"})
    st.caption(f"Updated {clock.time(now)}; refreshes every 20 seconds.")
    show_history(frame, now)


st.title("Devices")
zone_caption(clock)
live()
