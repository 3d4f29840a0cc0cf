"""Overview, the home page: what a supervisor checks first, each figure linking to its page.

Live figures (open conversations, devices, webhooks) come from the service; figures that need every
thread (waiting now, first response) come from the analytics cache, which the shared background sync
keeps fresh, and say how fresh they are. Nothing here waits for a sync or a button.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from ceox_api.errors import CeoxError
from dashboard import device_history, navigation, overview, webhooks
from dashboard.analytics import Filters, Missing, backlog, waiting_now
from dashboard.capabilities import Capability
from dashboard.capabilities import label as capability_label
from dashboard.feedback import explain_error
from dashboard.sync import background_sync
from ui import analytics as ui
from ui import conversation_links, reads, session
from ui.plain_text import plain

workspace = session.require()
st.title("Overview")
if workspace.demo:
    st.info("This is the seeded **demo workspace** on the local sandbox: change anything, nothing is real. "
            "Connect your own workspace on the Connect page.", icon=":material/science:")
settings = ui.settings_for(workspace)
conversations = reads.CONVERSATIONS(status="all")
open_count = sum(c.status == "open" for c in conversations)


@st.fragment(run_every="30s")
def waiting_section() -> None:
    """Who waits now and how fast first replies are today, from the analytics cache."""
    if not workspace.can(Capability.ANALYTICS_VIEW):
        st.caption("Waiting and first-response figures need the "
                   f"“{capability_label(Capability.ANALYTICS_VIEW)}” capability.")
        return
    now = datetime.now(UTC)  # this fragment's own run: waits grow, and cross into stale, between page runs
    cache = ui.cache_for(workspace)
    runner = background_sync(cache)
    runner.keep_fresh(workspace.client)  # never waits: the figures use what the cache holds now
    info = cache.info()
    if not info.conversations:
        state = runner.state()
        progress = f" ({state.done:,} of {state.total:,} conversations fetched)" if state.total else ""
        st.info(f"Waiting and first-response figures appear once the first sync of this workspace is in{progress}. "
                "It runs in the background; this page needs no reload.", icon=":material/cloud_sync:")
        return
    data = ui.cycles(cache, info, settings)
    waiting = waiting_now(data, pd.Timestamp(now), Filters())
    if info.last_synced_at is None:
        st.warning(f"The first sync is still loading ({runner.coverage().history_share:.0%} of the history): the "
                   "figures below count only what is in so far.", icon=":material/hourglass_top:")
        synced = "first sync still loading"
    else:
        synced = f"synced {device_history.relative_time(info.last_synced_at, now)}"
    st.subheader("Waiting now")
    if isinstance(waiting, Missing):
        st.info(f"Not available: the service does not return {waiting.input}.")
        return
    figures = backlog(waiting)
    cards = st.columns(4)
    cards[0].metric("Waiting now", f"{figures.active:,}", border=True,
                    help="Open conversations (group chats left out) whose customer waits for a reply, the wait having "
                         f"begun within the last {ui.duration(settings.session_gap)}: as on the Live board.")
    cards[1].metric("Oldest wait", ui.duration(figures.longest_s), border=True)
    cards[2].metric("Over target", f"{figures.over_target:,}", border=True,
                    help=f"Active waits longer than the first-response target ({ui.duration(settings.targets.frt)}).")
    cards[3].metric("Stale", f"{figures.stale:,}", border=True,
                    help="Waits older than that: abandoned chats, outside the WhatsApp window, counted apart.")
    active = waiting[~waiting["stale"].to_numpy(bool)].head(5)
    if active.empty:
        st.success("Nobody is waiting for a reply.", icon=":material/check_circle:")
    else:
        table, columns = ui.waiting_display(active, data, ui.names(workspace))
        ids = active["conversation_id"].tolist()
        picked = st.dataframe(table, hide_index=True, width="stretch", column_config=columns,
                              column_order=["conversation", "contact", "inbox", "waiting", "unread", "breach"],
                              key=conversation_links.table_key("overview_waiting", ids),
                              on_select="rerun", selection_mode="single-row")
        conversation_links.open_selected(picked, ids)
    st.page_link(navigation.LIVE_BOARD.path, label="Live board: every wait, by inbox", icon=":material/speed:")

    st.subheader("Today")
    weekday = ui.WEEKDAY_NAMES[now.astimezone(settings.zone).weekday()]
    left, right = st.columns(2)
    new = overview.new_conversations(conversations, settings.zone, now)
    if new is None:
        left.metric("New conversations today", "—", border=True, help="The service gives no creation times.")
    else:
        left.metric("New conversations today", f"{new.value:,.0f}", border=True, delta_color="off",
                    delta=f"usual {weekday}: {new.usual:,.0f}",
                    help=f"Conversations created today, against the median of the last {overview.WEEKS} {weekday}s. "
                         "A returning customer's new episode is not a new conversation here (Analytics counts it as "
                         "a cycle).")
    frt = overview.first_response(data, now)
    if isinstance(frt, Missing):
        right.metric("First response today (median)", "—", border=True,
                     help=f"Not available: the service does not return {frt.input}.")
    else:
        right.metric("First response today (median)", ui.duration(frt.value), border=True, delta_color="off",
                     delta=f"usual {weekday}: {ui.duration(frt.usual)}",
                     help=f"Human first replies of the cycles started today, against the median of the last "
                          f"{overview.WEEKS} {weekday}s' medians (business hours not applied).")
    st.page_link(navigation.ANALYTICS.path, label="Analytics: trends, agents, inboxes", icon=":material/monitoring:")
    st.caption(f"Waiting and first-response figures: this dashboard's copy of the conversations, {synced}; it "
               "refreshes by itself while a page is open. Times in "
               f"{settings.zone.key}.")


def webhooks_failing() -> int | None:
    """Registered webhooks whose recent attempts all failed; None when this credential cannot list them."""
    if not workspace.can(Capability.WEBHOOKS_MANAGE):
        return None
    hooks = reads.WEBHOOKS.fetch()
    try:
        deliveries = reads.DELIVERIES.fetch()  # the sandbox's delivery log; a real service has none
    except CeoxError:
        deliveries = []
    return sum(webhooks.health(webhooks.attempts_from_tests(webhooks.recent_tests(workspace.workspace_id, hook.id))
                               + webhooks.attempts_from_deliveries(deliveries, hook.id)).state == "failing"
               for hook in hooks)


waiting_section()

st.subheader("Workspace")
cards = st.columns(3)
cards[0].metric("Open conversations", f"{open_count:,}", border=True,
                help="Every open conversation you may see, group chats included, as the service lists it now. The "
                     "Live board's count comes from the analytics copy (as of its last sync) and leaves group chats "
                     "out unless you include them, so it can be lower.")
cards[0].page_link(navigation.CONVERSATIONS.path, label="Conversations", icon=":material/chat:")
try:
    statuses = reads.DEVICE_STATUSES.fetch()
    disconnected = sum(not device_history.is_connected(s) for s in statuses)
    cards[1].metric("Devices disconnected", f"{disconnected:,}", border=True,
                    delta=f"of {len(statuses):,}", delta_color="off")
except CeoxError as exc:
    cards[1].metric("Devices disconnected", "—", border=True, help=plain(explain_error(exc)))
cards[1].page_link(navigation.DEVICES.path, label="Devices", icon=":material/smartphone:")
try:
    failing = webhooks_failing()
except CeoxError as exc:
    cards[2].metric("Webhooks failing", "—", border=True, help=plain(explain_error(exc)))
else:
    if failing is None:
        cards[2].metric("Webhooks failing", "—", border=True,
                        help=f"Listing webhooks needs the “{capability_label(Capability.WEBHOOKS_MANAGE)}” capability.")
    else:
        cards[2].metric("Webhooks failing", f"{failing:,}", border=True,
                        help="Webhooks whose last attempts (tests and deliveries) all failed.")
        cards[2].page_link(navigation.WEBHOOKS.path, label="Webhooks", icon=":material/webhook:")
reads.say_if_partial(conversations, "conversations")
