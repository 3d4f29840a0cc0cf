"""Audit log: who changed what (before → after), when, with what outcome; filterable and exportable."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import audit, csv_safe
from dashboard.clock import COLUMN_FORMAT
from ui import session
from ui.clock import clock_for, zone_caption
from ui.tables import show_paged

workspace = session.require()
clock = clock_for(workspace)
st.title("Audit log")
st.caption("Every change made through this dashboard to the connected workspace, recorded on this machine: who "
           "made it (the user, or the API key by its name), what changed from what to what, and whether it "
           "worked. Secrets and passwords are never recorded.")
zone_caption(clock)

frame = pd.DataFrame(audit.entries(workspace),
                     columns=["time", "workspace", "actor", "action", "target", "outcome", "detail"])
frame["time"] = clock.column(frame["time"])
actor_col, action_col, target_col = st.columns(3)
actors = actor_col.multiselect("Who", sorted(frame["actor"].unique()))
actions = action_col.multiselect("Action", sorted(frame["action"].unique()))
target = target_col.text_input("Target or change", placeholder="a user, role, inbox or value",
                               max_chars=200).strip().lower()
days_col, outcome_col = st.columns(2)
since = days_col.selectbox("When", ["any time", "last 24 hours", "last 7 days", "last 30 days"])
outcome = outcome_col.selectbox("Outcome", ["all", "saved", "failed"])
if actors:
    frame = frame[frame["actor"].isin(actors)]
if actions:
    frame = frame[frame["action"].isin(actions)]
if target:
    frame = frame[(frame["target"] + " " + frame["detail"]).str.lower().str.contains(target, regex=False)]
if since != "any time":
    days = {"last 24 hours": 1, "last 7 days": 7, "last 30 days": 30}[since]
    newest = pd.Timestamp.now(tz=clock.zone).tz_localize(None)
    frame = frame[frame["time"] >= newest - timedelta(days=days)]
if outcome != "all":
    frame = frame[(frame["outcome"] == "ok") == (outcome == "saved")]

shown = frame.assign(outcome=frame["outcome"].where(frame["outcome"] != "ok", "saved"))
show_paged(shown, "audit_page", ("entry", "entries"),
           column_order=["time", "actor", "action", "target", "detail", "outcome"],
           column_config={"time": st.column_config.DatetimeColumn("Time", format=COLUMN_FORMAT),
                          "actor": "Who", "action": "Action", "target": "Target",
                          "detail": st.column_config.TextColumn("Change (before → after)", width="large"),
                          "outcome": "Outcome"})
export = frame.assign(time=frame["time"].dt.strftime("%Y-%m-%d %H:%M:%S"))
st.download_button("Export CSV", csv_safe.to_csv(export.rename(columns={"time": f"time ({clock.zone.key})"})),
                   file_name="ceox-audit-log.csv", mime="text/csv", icon=":material/download:")
