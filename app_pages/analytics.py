"""Analytics: how fast conversations are answered, the load, and where it is slow; every number can
list the conversations behind it and be exported."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.analytics import Missing, backlog, breakdown, frt_distribution, heatmap, trends, waiting_now
from ui import analytics as ui
from ui import session

workspace = session.require()
st.title("Analytics")

cache = ui.cache_for(workspace)
info = ui.ensure_synced(workspace, cache)
info = ui.sync_bar(workspace, cache, info)
ui.settings_panel(workspace)
data = ui.cycles(cache, info, ui.settings_for(workspace))
who = ui.names(workspace)
view = ui.filter_bar(data, who, "analytics")
ui.rule_caption(data, view, ui.timezone_source(workspace))
compared = ui.sync_status(workspace, cache, info, view.filters, data.settings.zone)
filters, business, period = view.filters, view.business, view.period

BREAKDOWNS = {"device": "By device", "inbox": "By inbox", "agent": "By agent (first responder)"}
TABS = ["Trends", "First response", "Heatmap", "By device, inbox, agent", "Export"]

# Selections are read from session state before anything is drawn, so a new one replaces the open
# drill-down in the same run.
drill = ui.Drill("analytics_drill", workspace)
state = st.session_state
drill.take("volume", ui.selected(state.get("analytics_volume_chart"), "pick"), lambda points: ui.period_drill(
    "inbound_cycles" if points[0].get("initiator") == "customer" else "outbound_cycles", period,
    ui.selected_day(points[0].get("period")),
    "Customer-initiated cycles started" if points[0].get("initiator") == "customer"
    else "Business-initiated cycles started"))
drill.take("frt_trend", ui.selected(state.get("analytics_frt_chart"), "pick"), lambda points: ui.period_drill(
    "frt", period, ui.selected_day(points[0].get("period")), "First responses of the cycles started"))
drill.take("distribution", ui.selected(state.get("analytics_distribution_chart"), "pick"), lambda points: (
    {"metric": "unanswered", "label": "Unanswered cycles"} if points[0].get("bucket") == ui.UNANSWERED else
    {"metric": "frt", "bucket": points[0].get("bucket"),
     "label": f"Cycles answered in {points[0].get('bucket')}"}))
drill.take("heatmap", ui.selected(state.get("analytics_heatmap_chart"), "pick"), lambda points: {
    "metric": "inbound_messages", "cell": [int(points[0]["weekday"]), int(points[0]["hour"])],
    "label": f"Inbound messages on {ui.WEEKDAY_NAMES[int(points[0]['weekday'])]}s, "
             f"{int(points[0]['hour']):02d}:00–{int(points[0]['hour']):02d}:59 ({data.timezone})"})
for by in BREAKDOWNS:
    ui.take_row_drill(drill, by, lambda by=by: breakdown(data, by, filters, business), who, data,
                      f"analytics_{by}_table")

ui.show_cards(data, view, on_drill=drill.set, compared=compared)
drill.show("cards", data, view, who)

st.subheader("Waiting now", help="Right now, whatever the date range; device, inbox and group filters apply.")
waiting = waiting_now(data, pd.Timestamp(datetime.now(UTC)), filters, business)
if isinstance(waiting, Missing):
    st.info(f"Not available: the service does not return {waiting.input}.")
else:
    ui.backlog_cards(backlog(waiting, business), data.settings, business)
    st.caption("The Live board lists the waiting conversations, the stale ones apart.")

# Only the open tab runs (on_change="rerun"), and it stays open across reruns.
trend_tab, response_tab, heatmap_tab, tables_tab, export_tab = st.tabs(TABS, key="analytics_tab", on_change="rerun")

if trend_tab.open:
    with trend_tab:
        series = trends(data, filters, period, business)
        if isinstance(series, Missing):
            st.info(f"Not available: the service does not return {series.input}.")
        else:
            ui.pick_chart(ui.volume_chart, series.frame, period, key="analytics_volume_chart",
                          file_name=f"cycles-per-{period}.png")
            drill.show("volume", data, view, who)
            ui.pick_chart(ui.frt_chart, series.frame, period, business, key="analytics_frt_chart",
                          file_name=f"first-response-per-{period}.png")
            drill.show("frt_trend", data, view, who)
            st.caption("Click a bar to list its cycles.")

if response_tab.open:
    with response_tab:
        distribution = frt_distribution(data, filters, business)
        if isinstance(distribution, Missing):
            st.info(f"Not available: the service does not return {distribution.input}.")
        else:
            ui.pick_chart(ui.distribution_chart, distribution, key="analytics_distribution_chart",
                          file_name="first-response-distribution.png")
            st.caption("Bucket upper bounds are inclusive (“1–5m” is over 1 and at most 5 minutes). "
                       "Click a bar to list its cycles.")
            drill.show("distribution", data, view, who)

if heatmap_tab.open:
    with heatmap_tab:
        cells = heatmap(data, filters)
        if isinstance(cells, Missing):
            st.info(f"Not available: the service does not return {cells.input}.")
        else:
            ui.pick_chart(ui.heatmap_chart, cells, data.timezone, key="analytics_heatmap_chart",
                          file_name="traffic-heatmap.png")
            st.caption(f"Each inbound message counts in its own weekday and hour ({data.timezone}), for the "
                       "messages sent on the dates chosen, whenever their cycle started. Click a cell to list the "
                       "cycles with messages in it.")
            drill.show("heatmap", data, view, who)

if tables_tab.open:
    with tables_tab:
        st.caption("Each column's total equals its card. Select a row to list its cycles.")
        for by, title in BREAKDOWNS.items():
            st.subheader(title)
            table = breakdown(data, by, filters, business)
            if isinstance(table, Missing):
                st.info(f"Not available: the service does not return {table.input}.")
                continue
            shown, columns = ui.breakdown_display(by, table, who, business)
            st.dataframe(shown, hide_index=True, width="stretch", key=f"analytics_{by}_table", on_select="rerun",
                         selection_mode="single-row", column_config=columns)
            if table.missing:
                inputs = sorted({m.input for m in table.missing.values()})
                st.caption(f"Resolution columns not available: the service does not return {', '.join(inputs)}.")
            drill.show(by, data, view, who)

if export_tab.open:
    with export_tab:
        st.markdown("Files a spreadsheet opens as they are: the column names on the first row, durations in whole "
                    "seconds with minutes beside them, names beside ids. The rules behind the numbers (timezone, "
                    "cohort, which replies count, business hours) are in the read-me file, the workbook's first "
                    "sheet and, in short, the file names.")
        ui.export_buttons(data, view, who, "analytics")
        st.caption("Charts download as PNG from the button under each chart.")
