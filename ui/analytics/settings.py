"""The analytics settings form: timezone, business hours, holidays, targets and session gap, validated then
saved per tenant.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import preferences
from dashboard.analytics import AnalyticsSettings
from dashboard.connection import Workspace
from ui.plain_text import plain

SETTINGS_ERRORS = "analytics_settings_errors"


SETTINGS_KEYS = {name: f"analytics_settings_{name}" for name in
                 ("timezone", "hours", "holidays", "frt", "reply", "resolution", "gap")}


_LABEL_DAYS = {label: key for key, label in preferences.DAY_LABELS.items()}


def _hours_frame(settings: AnalyticsSettings) -> pd.DataFrame:
    rows = preferences.hours_rows(settings.business_hours)
    return pd.DataFrame({"weekday": [preferences.DAY_LABELS[r.weekday] for r in rows],
                         "start": [r.start for r in rows], "end": [r.end for r in rows]},
                        columns=["weekday", "start", "end"]).astype("string")


def edited_rows(original: pd.DataFrame, state: Any) -> list[preferences.HoursRow]:
    """The editor's rows after its edits (`edited_rows` / `added_rows` / `deleted_rows` by position)."""
    state = state if isinstance(state, dict) else {}
    rows = [dict(r) for r in original.to_dict("records")]
    for position, change in (state.get("edited_rows") or {}).items():
        rows[int(position)].update(change)
    deleted = {int(p) for p in state.get("deleted_rows") or ()}
    rows = [r for i, r in enumerate(rows) if i not in deleted] + list(state.get("added_rows") or ())

    def text(value: Any) -> str | None:
        return None if value is None or pd.isna(value) or not str(value).strip() else str(value).strip()

    return [preferences.HoursRow(_LABEL_DAYS.get(text(r.get("weekday")) or "", text(r.get("weekday"))),
                                 text(r.get("start")), text(r.get("end"))) for r in rows]


def _save_settings(workspace: Workspace, original: pd.DataFrame) -> None:
    state = st.session_state
    settings, problems = preferences.settings_from_form(
        timezone=state.get(SETTINGS_KEYS["timezone"]) or "",
        hours=edited_rows(original, state.get(SETTINGS_KEYS["hours"])),
        holidays=state.get(SETTINGS_KEYS["holidays"]) or "",
        frt_minutes=state.get(SETTINGS_KEYS["frt"]), reply_minutes=state.get(SETTINGS_KEYS["reply"]),
        resolution_hours=state.get(SETTINGS_KEYS["resolution"]), session_gap_hours=state.get(SETTINGS_KEYS["gap"]))
    if problems:
        state[SETTINGS_ERRORS] = problems
        return
    preferences.save_analytics_settings(workspace.workspace_id, settings)
    _reload_form()
    st.toast("Analytics settings saved for this workspace.", icon=":material/check:")


def _reset_settings(workspace: Workspace) -> None:
    preferences.save_analytics_settings(workspace.workspace_id, None)
    _reload_form()
    st.toast("Analytics settings are back to the defaults.", icon=":material/restart_alt:")


def _reload_form() -> None:
    for key in [*SETTINGS_KEYS.values(), SETTINGS_ERRORS]:
        st.session_state.pop(key, None)


def settings_panel(workspace: Workspace) -> None:
    """Timezone, business hours (several intervals a day, overnight, holidays), targets and session gap,
    saved for the workspace; problems are listed and nothing is saved until they are fixed."""
    saved = preferences.analytics_settings(workspace.workspace_id)
    problems = st.session_state.get(SETTINGS_ERRORS)
    with st.expander("Settings: timezone, business hours, targets", icon=":material/tune:", expanded=bool(problems)):
        if problems:
            st.error("The settings were not saved:\n" + "\n".join(f"- {plain(p)}" for p in problems),
                     icon=":material/error:")
        original = _hours_frame(saved)
        with st.form("analytics_settings_form", border=False):
            browser = st.context.timezone or "UTC"
            st.text_input("Timezone", value=saved.timezone or "", key=SETTINGS_KEYS["timezone"],
                          placeholder=f"your browser's ({browser})",
                          help="An IANA name such as Asia/Jakarta; empty: your browser's timezone.")
            st.markdown("**Business hours**: one row per open interval, several per day allowed. An end before "
                        "the start runs overnight (22:00–06:00). No rows: open around the clock.")
            st.data_editor(original, key=SETTINGS_KEYS["hours"], num_rows="dynamic", hide_index=True,
                           width="stretch", column_config={
                               "weekday": st.column_config.SelectboxColumn(
                                   "Weekday", options=list(preferences.DAY_LABELS.values()), required=True),
                               "start": st.column_config.TextColumn("Opens (HH:MM)", max_chars=5),
                               "end": st.column_config.TextColumn("Closes (HH:MM)", max_chars=5)})
            st.text_area("Holidays (closed all day), one date per line as YYYY-MM-DD",
                         value="\n".join(sorted(d.isoformat() for d in saved.business_hours.holidays)),
                         key=SETTINGS_KEYS["holidays"], height=90)
            left, middle, right, gap = st.columns(4)
            left.number_input("First response target, min", value=saved.targets.frt / 60, min_value=0.0,
                              step=1.0, key=SETTINGS_KEYS["frt"])
            middle.number_input("Reply target, min", value=saved.targets.reply / 60, min_value=0.0, step=1.0,
                                key=SETTINGS_KEYS["reply"])
            right.number_input("Resolution target, hours", value=saved.targets.resolution / 3600, min_value=0.0,
                               step=1.0, key=SETTINGS_KEYS["resolution"])
            gap.number_input("Session gap, hours", value=saved.session_gap / 3600, min_value=0.0, step=1.0,
                             key=SETTINGS_KEYS["gap"], help="A silence longer than this starts a new cycle "
                             "(24 h: WhatsApp's customer-service window).")
            save, reset = st.columns([1, 4])
            save.form_submit_button("Save settings", type="primary", on_click=_save_settings,
                                    args=(workspace, original))
            reset.form_submit_button("Back to defaults", on_click=_reset_settings, args=(workspace,))
