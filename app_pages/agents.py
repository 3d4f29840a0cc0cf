"""Agents: outgoing messages, first replies, and first-response and reply times per agent."""

from __future__ import annotations

import streamlit as st

from dashboard.analytics import Missing, agent_activity
from ui import analytics as ui
from ui import session

DRILL_METRICS = {"frt": "First responses", "reply": "Reply times", "messages_out": "Outgoing messages"}

workspace = session.require()
st.title("Agents")

cache = ui.cache_for(workspace)
info = ui.ensure_synced(workspace, cache)
info = ui.sync_bar(workspace, cache, info)
data = ui.cycles(cache, info, ui.settings_for(workspace))
who = ui.names(workspace)
view = ui.filter_bar(data, who, "agents", agents=False, period=False)
ui.sync_status(workspace, cache, info, view.filters, data.settings.zone, changes=False)
ui.rule_caption(data, view, ui.timezone_source(workspace), changes=False)
st.caption("Timezone, business hours and targets are set on the Analytics page. Only people rank here: automated "
           "messages (away messages, auto-replies, API sends) have their own card on the Analytics page. "
           + ui.people_caption(who))

activity = agent_activity(data, view.filters, view.business)
if isinstance(activity, Missing):
    st.info(f"Agent metrics are not available: the service does not return {activity.input}, so replies "
            "cannot be credited to agents.", icon=":material/person_off:")
    st.stop()

table, columns = ui.agent_display(activity, who, view.business)
drill = ui.Drill("agents_drill", workspace)


def agent_drill(agent_key: str) -> dict | None:
    if not agent_key.isdigit():
        return None
    agent_id = int(agent_key)
    return {"metric": "frt", "group": ["agent", agent_id], "label": who.agent(agent_id)}


drill.take("chart", ui.selected(st.session_state.get("agents_frt_chart"), "pick"),
           lambda points: agent_drill(str(points[0].get("agent_key"))))
drill.take("table", ui.selected_rows(st.session_state.get("agents_table")),
           lambda rows: agent_drill(table["agent_key"].iloc[rows[0]]) if rows[0] < len(table) else None)

answered = table[table["first_replies"] > 0]
if answered.empty:
    st.info("No first replies in this range.", icon=":material/hourglass_empty:")
else:
    ui.pick_chart(ui.agent_frt_chart, answered, view.business, key="agents_frt_chart",
                  file_name="first-response-by-agent.png")
    st.caption("Click a bar, or select a row below, to list that agent's cycles.")

current = drill.current
if current:
    metric = st.segmented_control("List the agent's", list(DRILL_METRICS), format_func=DRILL_METRICS.get,
                                  default=current["metric"], key="agents_drill_metric", required=True)
    if metric and metric != current["metric"]:
        drill.set(current | {"metric": metric})
drill.show("chart", data, view, who)

st.subheader("Activity per agent")
st.dataframe(table, hide_index=True, width="stretch", key="agents_table", on_select="rerun",
             selection_mode="single-row", column_config=columns, column_order=list(columns))
drill.show("table", data, view, who)
