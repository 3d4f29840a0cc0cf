"""Audit log: every change made through this dashboard to this workspace, filterable and exportable."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import audit, csv_safe
from ui import session

workspace = session.require()
st.title("Audit log")
st.caption("Recorded by this dashboard, on this machine, for the connected workspace. Secrets are never recorded.")

frame = pd.DataFrame(audit.entries(workspace),
                     columns=["time", "workspace", "actor", "action", "target", "outcome", "detail"])
text_col, action_col, outcome_col = st.columns([2, 1, 1])
query = text_col.text_input("Search", placeholder="target, actor or detail", max_chars=200).strip().lower()
actions = action_col.multiselect("Action", sorted(frame["action"].unique()))
outcome = outcome_col.selectbox("Outcome", ["all", "ok", "failed"])
if query:
    haystack = (frame["target"] + " " + frame["actor"] + " " + frame["detail"]).str.lower()
    frame = frame[haystack.str.contains(query, regex=False)]
if actions:
    frame = frame[frame["action"].isin(actions)]
if outcome != "all":
    frame = frame[(frame["outcome"] == "ok") == (outcome == "ok")]

st.caption(f"{len(frame):,} entries")
st.dataframe(frame, hide_index=True, width="stretch")
st.download_button("Export CSV", csv_safe.to_csv(frame), file_name="ceox-audit-log.csv",
                   mime="text/csv", icon=":material/download:")
