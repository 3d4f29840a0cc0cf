"""Live board: who is waiting right now, SLA breaches, open conversations by inbox, agents online;
refreshes itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.analytics import Filters, Missing, backlog, waiting_now
from dashboard.capabilities import Capability
from dashboard.capabilities import label as capability_label
from ui import analytics as ui
from ui import bulk_solve, conversation_links, reads, session
from ui.plain_text import plain

REFRESH_SECONDS = 20

workspace = session.require()
st.title("Live board")

cache = ui.cache_for(workspace)
info = ui.ensure_synced(workspace, cache)
settings = ui.settings_for(workspace)
who = ui.names(workspace, live=True)
view = ui.filter_bar(ui.cycles(cache, info, settings), who, "live", dates=False, agents=False, period=False)
st.caption("Waiting: open conversations whose customer waits for a reply, since the first message after the last "
           "reply (an automated message does not end a wait unless automated replies count). Active waits began "
           f"within the last {ui.duration(settings.session_gap)}; older ones are stale (abandoned chats) and listed "
           f"apart. Over target: an active wait longer than the first-response target "
           f"({ui.duration(settings.targets.frt)}, set on the Analytics page).")


@st.fragment(run_every=f"{REFRESH_SECONDS}s")
def board(filters: Filters, business: bool) -> None:
    problem = ui.quiet_refresh(workspace, cache)
    now = datetime.now(UTC)
    data = ui.cycles(cache, cache.info(), settings)
    live = ui.names(workspace, live=True)
    waiting = waiting_now(data, pd.Timestamp(now), filters, business)
    if isinstance(waiting, Missing):
        st.info(f"Not available: the service does not return {waiting.input}.")
        return
    ui.backlog_cards(backlog(waiting, business), settings, business)
    by_inbox = ui.open_by_inbox(data, waiting, filters, live)
    online = ui.agents_online(live)
    cards = st.columns(5)
    cards[0].metric("Open conversations", f"{int(by_inbox['open'].sum()):,}", border=True)
    if live.people_from:
        cards[1].metric("Agents online", f"{int((online['status'] == 'online').sum()):,}", border=True)
    else:
        cards[1].metric("Agents online", "—", border=True,
                        help=f"Reading users' status needs the “{capability_label(Capability.USERS_MANAGE)}” "
                             "capability.")

    stale = waiting[waiting["stale"].to_numpy(bool)]
    waiting = waiting[~waiting["stale"].to_numpy(bool)]
    st.subheader("Waiting now")
    if waiting.empty:
        st.success("Nobody is waiting for a reply.", icon=":material/check_circle:")
    else:
        links = st.columns(3)
        for column, conversation_id in zip(links, waiting["conversation_id"].head(3), strict=False):
            conversation_links.link(int(conversation_id), column)
        table, columns = ui.waiting_display(waiting, data, live)
        ids = waiting["conversation_id"].tolist()
        picked = st.dataframe(table, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(table)),
                              column_config=columns, key=conversation_links.table_key("live_waiting", ids),
                              on_select="rerun", selection_mode="single-row")
        conversation_links.open_selected(picked, ids)
        st.caption(f"All {len(waiting):,} active waits, longest first.")
    if not stale.empty:
        with st.expander(f"Stale: {len(stale):,} conversations waiting since more than "
                         f"{ui.duration(settings.session_gap)}", icon=":material/history:"):
            table, columns = ui.waiting_display(stale, data, live)
            ids = stale["conversation_id"].tolist()
            picked = st.dataframe(table, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(table)),
                                  column_config=columns, column_order=[c for c in columns if c != "breach"],
                                  key=conversation_links.table_key("live_stale", ids),
                                  on_select="rerun", selection_mode="single-row")
            conversation_links.open_selected(picked, ids)
            st.caption("Abandoned chats, outside the WhatsApp window: left out of the waiting figures above.")
            if workspace.can(Capability.CHATS_SEND):
                bulk_solve.offer([bulk_solve.Row(int(i), str(name)) for i, name in
                                  zip(stale["conversation_id"], table["contact"], strict=True)])
            else:
                st.caption(f"Solving them needs the “{capability_label(Capability.CHATS_SEND)}” capability.")

    left, right = st.columns(2)
    with left:
        st.subheader("Open by inbox")
        st.dataframe(by_inbox, hide_index=True, width="stretch", column_config={
            "inbox": st.column_config.TextColumn("Inbox"), "open": ui.COUNT("Open"),
            "waiting": ui.COUNT("Waiting"), "breaches": ui.COUNT("Over target"), "stale": ui.COUNT("Stale")})
    with right:
        st.subheader("Agents")
        if live.people_from:
            st.dataframe(online, hide_index=True, width="stretch", column_config={
                "agent": st.column_config.TextColumn("Agent"), "status": st.column_config.TextColumn("Status"),
                "inboxes": st.column_config.TextColumn("Inboxes")})
        st.caption(ui.people_caption(live))
    local = now.astimezone(data.settings.zone)
    st.caption(f"Updated {local:%H:%M:%S} ({data.timezone}); refreshes every {REFRESH_SECONDS} seconds.")
    if problem:
        st.warning(f"The last refresh failed, so this may be out of date: {plain(problem)}",
                   icon=":material/sync_problem:")


board(view.filters, view.business)


def solved(conversation_ids: list[int]) -> None:
    cache.mark_changed(conversation_ids)  # the board's next refresh re-reads them
    reads.invalidate()


bulk_solve.show(ui.duration(settings.session_gap), solved)
