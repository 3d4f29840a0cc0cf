"""The Connect page's connection check: run the doctor on demand, show its summary, table and report."""

from __future__ import annotations

import streamlit as st

from dashboard.connection import Workspace
from dashboard.doctor import DoctorReport, check
from ui.plain_text import plain

RUN_BUTTON = "doctor_run"


def _state_key(workspace: Workspace) -> str:
    return f"doctor_report:{workspace.identity}:{workspace.base_url}"


def render(workspace: Workspace) -> None:
    key = _state_key(workspace)
    report: DoctorReport | None = st.session_state.get(key)
    with st.expander("Check this connection", icon=":material/stethoscope:", expanded=report is not None):
        st.write("Reads once every list this credential may see and says whether each page will have what it "
                 "needs. It only reads: nothing in the workspace changes.")
        if st.button("Run the check", key=RUN_BUTTON, icon=":material/play_arrow:"):
            with st.spinner("Checking each part of the service…"):
                report = st.session_state[key] = check(workspace)
        if report is None:
            return
        if report.healthy:
            st.success(plain(report.summary[0]), icon=":material/check_circle:")
        else:
            st.warning("\n".join(f"- {plain(line)}" for line in report.summary), icon=":material/warning:")
        seconds = report.diagnosis.seconds
        st.caption(f"Checked {len(report.diagnosis.probes):,} parts of the service in {seconds:,.1f} seconds.")
        st.dataframe(report.rows(), hide_index=True, column_config={
            "what": "Part of the service", "answered": "Answered", "status": "Status", "time": "Time",
            "read": "Read", "complete": "Whole list", "note": "Note",
            "items": st.column_config.NumberColumn("Items", format="localized")})
        headers = report.diagnosis.rate_limit_headers
        st.caption("The service announces rate limits." if headers else "The service announced no rate limits.")
        st.write("The report below leaves out every name, phone number, email, message and secret: attach it to a "
                 "support ticket as it is.")
        left, right = st.columns(2)
        left.download_button("Download the report (Markdown)", report.to_markdown(), "ceox-connection-check.md",
                             mime="text/markdown", icon=":material/download:")
        right.download_button("Download the report (JSON)", report.to_json(), "ceox-connection-check.json",
                              mime="application/json", icon=":material/download:")
        if st.toggle("Show technical details", key="doctor_details"):
            st.code(report.diagnosis.to_markdown(), language="markdown")
