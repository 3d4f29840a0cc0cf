"""The Streamlit side of the analytics pages: sync with progress, the cached cycles, filters, cards,
charts, drill-down and exports.

Every number comes from `dashboard.analytics`, computed on one `Cycles` per (cache file, cache
generation, settings): the cards, charts, tables and CSV files of a page are the same rule applied
to the same rows. Data always comes from the cache of the session's own credential, so a scoped
user sees only its inboxes. Contact, device and agent names are only ever shown through
`st.dataframe`, `st.text` or chart data, never as Markdown.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from ceox_api.errors import CeoxError
from dashboard import preferences
from dashboard.analytics import (
    FRT_BUCKETS,
    AnalyticsSettings,
    Backlog,
    Card,
    Cycles,
    Filters,
    Labels,
    Missing,
    build_cycles,
    cycles_csv,
    drill_down,
    file_stem,
    headline,
    rules_csv,
    series_csv,
    workbook,
)
from dashboard.analytics.metrics import cycle_mask
from dashboard.connection import Workspace
from dashboard.device_history import relative_time
from dashboard.sync import BackgroundSync, Cache, CacheInfo, Window, background_sync
from ui import conversation_links
from ui.plain_text import plain

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UNANSWERED = "unanswered"


def COUNT(label: str, **kwargs: Any) -> Any:  # noqa: N802 (reads like the column types it stands beside)
    """A count column with thousands separators (in the browser's locale)."""
    return st.column_config.NumberColumn(label, format="localized", **kwargs)


# --- formatting -----------------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    """"42s", "6m 41s", "3h 05m", "2d 4h"; "—" for no value."""
    if seconds is None or not np.isfinite(seconds):
        return "—"
    seconds = round(float(seconds))
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds}s"
    if seconds < 3600:
        return f"{sign}{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{sign}{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{sign}{seconds // 86400}d {seconds % 86400 // 3600}h"


def durations(values: Any) -> pd.Series:
    """A column of seconds as duration text, the one style of cards, tables, charts and drill-downs."""
    return pd.Series(values).map(duration).astype("string")


def minutes(values: Any) -> Any:
    """Seconds to minutes, for chart axes (their tooltips show `duration` text)."""
    return values / 60


# --- the cache and the cycles ------------------------------------------------------------------------


def cache_for(workspace: Workspace) -> Cache:
    return Cache.for_workspace(workspace)


def settings_for(workspace: Workspace) -> AnalyticsSettings:
    """The workspace's saved settings, with the browser's timezone unless one is set."""
    return preferences.analytics_settings(workspace.workspace_id).resolved(st.context.timezone)


def _flag(name: str, workspace: Workspace) -> str:
    return f"analytics_{name}_{workspace.identity}"


# How often an open page looks at the background sync (its progress, and new data to show).
STATUS_EVERY_S = 2.0
# The period a page without a date filter of its own asks the sync for first: the default date range.
DEFAULT_DAYS = 30


def period_window(start: date, end: date, zone: Any) -> Window:
    """The conversations behind a period's figures and their comparison with the period before it: any
    with a message from the previous period's first day on, created before the period's end."""
    first = datetime.combine(start - (end - start + timedelta(days=1)), datetime.min.time(), zone)
    after = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    return Window(first, None if after > datetime.now(UTC) else after)


def _wanted(workspace: Workspace, settings: AnalyticsSettings) -> Window:
    """The window this session last showed, else the default date range."""
    dates = st.session_state.get(_flag("period", workspace))
    if dates is None:
        last = datetime.now(settings.zone).date()
        dates = (last - timedelta(days=DEFAULT_DAYS - 1), last)
    return period_window(*dates, settings.zone)


def ensure_synced(workspace: Workspace, cache: Cache) -> CacheInfo:
    """Keep the shared background sync going; on a first open, wait (with progress) until the figures of
    the period on screen are final, not for the whole history.

    After "Clear cache" nothing starts by itself: a button does. Stops the page when there is no data.
    """
    runner = background_sync(cache)
    window = _wanted(workspace, settings_for(workspace))
    runner.keep_fresh(workspace.client, window)
    if runner.state().paused:
        st.info("The analytics cache of this workspace was cleared.", icon=":material/cloud_sync:")
        if st.button("Sync now", icon=":material/sync:", key="analytics_sync_now"):
            runner.request()
            st.rerun()
    elif not runner.coverage(window).window_final:
        _wait_for_window(runner, workspace, window)
    info = cache.info()
    if not info.conversations:
        if runner.coverage().listed is not None:
            st.info("This workspace has no conversations you may see yet.", icon=":material/forum:")
        st.stop()
    return info


def _wait_for_window(runner: BackgroundSync, workspace: Workspace, window: Window) -> None:
    """Progress of the background sync until `window` is final or the sync fails. Leaving the page
    stops only this wait: the sync goes on, and the next visit shows where it is."""
    with st.status("Fetching the conversations of the period on screen first…", expanded=True) as status:
        bar = st.progress(0.0, text="Listing conversations…")
        most = 0
        while True:
            runner.keep_fresh(workspace.client, window)
            coverage, state = runner.coverage(window), runner.state()
            if coverage.window_final:
                status.update(label=f"Figures for the period are complete; history {coverage.history_share:.0%} "
                                    "loaded, the rest loads in the background.", state="complete", expanded=False)
                return
            if state.problem is not None and not state.running:
                status.update(label="Sync incomplete", state="error", expanded=True)
                st.warning(f"{plain(state.problem)} Figures below use what was fetched.",
                           icon=":material/sync_problem:")
                if st.button("Try again", icon=":material/sync:", key="analytics_sync_retry"):
                    runner.request()
                    st.rerun()
                return
            if coverage.listed is not None:
                most = max(most, coverage.pending_in_window)
                left = coverage.pending_in_window
                bar.progress((most - left) / most if most else 0.0,
                             text=f"{left:,} conversations of the period left to fetch · history "
                                  f"{coverage.history_share:.0%} loaded")
            time.sleep(STATUS_EVERY_S / 8)


def sync_bar(workspace: Workspace, cache: Cache, info: CacheInfo) -> CacheInfo:
    """"Synced N min ago", with Refresh (warm: only what changed, in the background) and Clear cache."""
    runner = background_sync(cache)
    text, refresh, clear = st.columns([6, 1, 1], vertical_alignment="center")
    if info.last_synced_at is not None:
        synced = f"Synced {relative_time(info.last_synced_at, datetime.now(UTC))}"
    else:
        synced = "First sync in progress"
    text.caption(f"{synced} · {info.conversations:,} conversations · {info.messages:,} messages "
                 "(metadata only, no message text) in this dashboard's cache for your credential. It refreshes "
                 "by itself while a page is open.")
    if refresh.button("Refresh", icon=":material/sync:", key="analytics_refresh",
                      help="Fetch the conversations that changed since the last sync, in the background."):
        runner.request()
        st.toast("Refreshing in the background: the page updates when the changes are in.", icon=":material/sync:")
    if clear.button("Clear cache", icon=":material/delete_sweep:", key="analytics_clear",
                    help="Delete this dashboard's copy of the conversations; the next sync fetches everything."):
        runner.clear()
        st.rerun()
    return info


def sync_status(workspace: Workspace, cache: Cache, info: CacheInfo, filters: Filters, zone: Any) -> None:
    """Which figures are final and how much history is loaded, updated while the page is open; the
    period on screen is what the background sync fetches first. The page reruns when new data is in."""
    if filters.start is None or filters.end is None:
        return
    st.session_state[_flag("period", workspace)] = (filters.start, filters.end)
    window = period_window(filters.start, filters.end, zone)
    runner = background_sync(cache)
    runner.keep_fresh(workspace.client, window)
    _live_status(runner, workspace, window, _period_words(filters, datetime.now(zone).date()), info.generation,
                 runner.coverage(window).window_final)


def _period_words(filters: Filters, today: date) -> str:
    if filters.end != today or filters.start is None:
        return _range_text(filters)
    days = (today - filters.start).days + 1
    return "today" if days == 1 else f"the last {days:,} days"


@st.fragment(run_every=STATUS_EVERY_S)
def _live_status(runner: BackgroundSync, workspace: Workspace, window: Window, period: str, shown_generation: int,
                 shown_final: bool) -> None:
    runner.keep_fresh(workspace.client, window)  # the page is still open
    coverage, state = runner.coverage(window), runner.state()
    history = f"history {coverage.history_share:.0%} loaded"
    if coverage.window_final:
        text = f"Figures for {period} are complete; {history}."
        if coverage.history_share < 1:
            text += " Waiting now counts only the conversations loaded so far."
        st.caption(text)
    else:
        st.warning(f"Figures for {period} are still loading ({coverage.pending_in_window:,} conversations to "
                   f"fetch; {history}): they are incomplete until then.", icon=":material/hourglass_top:")
    if state.problem is not None and not state.running:
        st.caption(f"The last sync did not complete: {plain(state.problem)}")
    # New data is shown when it makes a difference: the period became final, or a refresh ended.
    if runner.cache.info().generation != shown_generation and (
            coverage.window_final != shown_final or not state.running):
        st.rerun(scope="app")


@st.cache_resource(max_entries=6, show_spinner="Computing cycles…")
def _cycles(path: str, generation: int, synced: str, available: tuple[str, ...], settings_json: str,
            _cache: Cache) -> Cycles:
    conversations, messages, available_now = _cache.frames()
    return build_cycles(conversations, messages, AnalyticsSettings.from_dict(json.loads(settings_json)),
                        available_now)


def cycles(cache: Cache, info: CacheInfo, settings: AnalyticsSettings) -> Cycles:
    """The cycles of the cached conversations, built once per cache generation and settings.

    Keyed by the cache file (workspace and credential identity), so two credentials never share them.
    """
    return _cycles(str(cache.path), info.generation, str(info.last_synced_at), tuple(sorted(info.available)),
                   json.dumps(settings.to_dict(), sort_keys=True), cache)


# --- names -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Inbox and agent names as this credential may read them (ids otherwise)."""

    inboxes: dict[int, str] = field(default_factory=dict)
    agents: dict[int, str] = field(default_factory=dict)
    statuses: dict[int, str] = field(default_factory=dict)  # user id → online / idle / offline
    agent_inboxes: dict[int, list[int]] = field(default_factory=dict)
    people_from: str = ""  # "users", "inbox members" or "" (names unreadable)

    def inbox(self, inbox_id: Any) -> str:
        if inbox_id is None or pd.isna(inbox_id):
            return "no inbox"
        return self.inboxes.get(int(inbox_id)) or f"inbox #{int(inbox_id)}"

    def labels(self) -> Labels:
        """Names to put beside ids in exports."""
        return Labels(agents=self.agents, inboxes=self.inboxes)

    def agent(self, agent_id: Any) -> str:
        if agent_id is None or pd.isna(agent_id):
            return "no agent (automated or no reply)"  # an automated sender, or (for cycles) no human reply
        return self.agents.get(int(agent_id)) or f"agent #{int(agent_id)}"


def _load_names(workspace: Workspace, can_list_users: bool) -> Names:
    inboxes: dict[int, str] = {}
    people: dict[int, Any] = {}
    source = ""
    with workspace.client() as client:
        try:
            listed = client.inboxes.list()
            inboxes = {i.id: i.name for i in listed}
        except CeoxError:
            listed = []
        if can_list_users:
            try:
                people = {u.id: u for u in client.users.list()}
                source = "users"
            except CeoxError:
                people = {}
        if not source:
            # Without users.manage, the members of the inboxes this credential sees still have names.
            for inbox in listed:
                try:
                    people.update({u.id: u for u in client.inboxes.members(inbox.id)})
                except CeoxError:
                    continue
            source = "inbox members" if people else ""
    return Names(inboxes, {i: u.name for i, u in people.items() if u.name},
                 {i: u.status for i, u in people.items() if u.status},
                 {i: list(u.inbox_ids) for i, u in people.items()}, source)


@st.cache_data(ttl=300, show_spinner=False, max_entries=100)
def _names(identity: str, can_list_users: bool, _workspace: Workspace) -> Names:
    return _load_names(_workspace, can_list_users)


@st.cache_data(ttl=15, show_spinner=False, max_entries=100)
def _live_names(identity: str, can_list_users: bool, _workspace: Workspace) -> Names:
    return _load_names(_workspace, can_list_users)


def names(workspace: Workspace, *, live: bool = False) -> Names:
    """Inbox and agent names (and agents' statuses): from the users list when this credential may read
    it, else from the members of the inboxes it sees. `live`: at most 15 s old, for the live board."""
    return (_live_names if live else _names)(workspace.identity, workspace.can("users.manage"), workspace)


def people_caption(who: Names) -> str:
    if who.people_from == "users":
        return "Agent names and statuses from the users list."
    if who.people_from == "inbox members":
        return ("Agent names and statuses from the members of your inboxes (the full users list needs "
                "users.manage); others show as agent #id.")
    return "Agents show as agent #id: this credential cannot read user names."


def device_names(data: Cycles) -> dict[int, str]:
    conversations = data.conversations.dropna(subset=["device_id"]).drop_duplicates("device_id", keep="last")
    return {int(d): (str(n) if pd.notna(n) else f"device #{int(d)}")
            for d, n in zip(conversations["device_id"], conversations["device_name"], strict=True)}


# --- filters ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    filters: Filters
    business: bool
    period: str  # "day" or "week"


def today(data: Cycles) -> date:
    return datetime.now(data.settings.zone).date()


def filter_bar(data: Cycles, who: Names, prefix: str, *, dates: bool = True, devices: bool = True,
               agents: bool = True, period: bool = True) -> View:
    """Date range (default: the last 30 days), device, inbox and agent, group chats, wall clock or
    business hours, and day or week; empty selections mean "all"."""
    cycles = data.cycles
    first_row = st.columns([2] * (1 + dates + devices + agents))
    column = 0
    start = end = None
    if dates:
        last = today(data)
        first_day = cycles["day"].min().date() if len(cycles) else last
        # A day of margin: the local date moves when the timezone setting changes.
        latest = max(last, cycles["day"].max().date() if len(cycles) else last) + timedelta(days=1)
        picked = first_row[0].date_input(
            "Cycles started", value=(last - timedelta(days=29), last),
            min_value=min(first_day, last - timedelta(days=29)), max_value=latest, key=f"{prefix}_dates",
            help=f"Local dates in {data.timezone}, both days included.")
        start, end = _date_range(picked, last)
        column = 1
    device_ids = None
    if devices:
        device_label = device_names(data)
        chosen = first_row[column].multiselect("Devices", sorted(device_label), key=f"{prefix}_devices",
                                               format_func=lambda d: device_label.get(d, f"device #{d}"),
                                               placeholder="All devices")
        device_ids = frozenset(chosen) if chosen else None
        column += 1
    inbox_ids = None
    has_inbox = "inbox_id" in data.available
    inbox_options = _options(cycles["inbox_id"]) if has_inbox else []
    chosen = first_row[column].multiselect(
        "Inboxes", inbox_options, key=f"{prefix}_inboxes", format_func=who.inbox, disabled=not has_inbox,
        placeholder="All inboxes" if has_inbox else "Not available",
        help=None if has_inbox else "The service does not return inbox_id.")
    inbox_ids = frozenset(chosen) if chosen else None
    column += 1
    agent_ids = None
    count_automated = bool(st.session_state.get(f"{prefix}_automated"))
    if agents:
        has_agent = "sender_user_id" in data.available
        agent_column = "agent_id_any" if count_automated else "agent_id"
        chosen = first_row[column].multiselect(
            "Agents", _options(cycles[agent_column]) if has_agent else [], key=f"{prefix}_agents",
            format_func=who.agent,
            disabled=not has_agent, placeholder="All agents" if has_agent else "Not available",
            help="The first responder of each cycle; replies and messages count for their own sender."
            if has_agent else "The service does not return sender_user_id.")
        agent_ids = frozenset(chosen) if chosen else None
    toggles = st.columns([2, 2, 3, 2, 2] if period else [2, 2, 3, 4])
    include_groups = toggles[0].toggle("Include group chats", key=f"{prefix}_groups",
                                       help="Response metrics leave group chats out unless this is on; "
                                            "volume and the heatmap always count them.")
    business = toggles[1].toggle("Business hours", key=f"{prefix}_business",
                                 help="Count only the time inside the business hours of the settings.")
    has_senders = "sender_user_id" in data.available
    count_automated = toggles[2].toggle(
        "Count automated replies", key=f"{prefix}_automated", disabled=not has_senders,
        help="By default only replies written by a person count as responses; automated messages (away "
             "messages, auto-replies, messages sent through the API) have their own card. On: they count too."
        if has_senders else "The service does not say who sent each message, so every reply counts.")
    chosen_period = "day"
    if period:
        chosen_period = toggles[3].segmented_control("Trend by", ["day", "week"], default="day",
                                                     key=f"{prefix}_period", required=True) or "day"
    filters = Filters(start=start, end=end, device_ids=device_ids, inbox_ids=inbox_ids, agent_ids=agent_ids,
                      include_groups=include_groups, count_automated=count_automated and has_senders)
    return View(filters, business, chosen_period)


def _date_range(picked: Any, fallback: date) -> tuple[date, date]:
    """A (start, end) pair from the date input, which holds one date while a range is being picked."""
    if isinstance(picked, date):
        return picked, picked
    values = [d for d in (picked or ()) if d is not None]
    if not values:
        return fallback - timedelta(days=29), fallback
    return min(values), max(values)


def _options(column: pd.Series) -> list[int | None]:
    values = pd.array(column, dtype="Int64")
    ids = sorted({int(v) for v in values[~values.isna()]})
    return ids + ([None] if values.isna().any() else [])


def timezone_source(workspace: Workspace) -> str:
    if preferences.analytics_settings(workspace.workspace_id).timezone:
        return "set in the settings"
    return "your browser's" if st.context.timezone else "your browser did not say which is its own"


def rule_caption(data: Cycles, view: View, source: str, *, changes: bool = True) -> None:
    """The timezone, the cohort rule and the duration mode (and what changes compare), stated on the page."""
    settings = data.settings
    mode = "business hours" if view.business else "wall clock"
    if view.business and settings.business_hours.always_open:
        mode += " (no business hours are set, so equal to wall clock)"
    filters = view.filters
    against = ""
    if changes and filters.start is not None and filters.end is not None:
        against = f"Changes are against the previous {(filters.end - filters.start).days + 1} days. "
    if "sender_user_id" not in data.available:
        replies = "Every reply counts as a response: the service does not say who sent each message. "
    elif filters.count_automated:
        replies = "Automated replies count as responses. "
    else:
        replies = "Only replies written by a person count as responses. "
    st.caption(f"Times in **{data.timezone}** ({source}). Bucketed by cycle start in {data.timezone}: a "
               f"cycle counts in the day, week and hour in which it started. Durations: {mode}. {replies}{against}"
               f"Targets: first response {duration(settings.targets.frt)}, reply {duration(settings.targets.reply)}, "
               f"resolution {duration(settings.targets.resolution)}; a new cycle after "
               f"{duration(settings.session_gap)} of silence or after the conversation was solved.")


# --- cards -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardSpec:
    key: str
    label: str
    kind: str  # "count", "duration" or "share"
    help: str
    lower_is_better: bool = False


CYCLE_HELP = ("A cycle is one episode of a conversation (other tools call it a conversation segment): it starts "
              "with the conversation's first message, after a silence longer than the session gap, or after the "
              "conversation was solved. A conversation can have several cycles, so there are more cycles than the "
              "Overview's conversations.")
SOLVED_CAVEAT = ("The service keeps only the latest solve of each conversation: earlier solves are unknown, so "
                 "recent periods show more; no comparison with the previous period is made.")

CARDS = (
    CardSpec("cycles", "Cycles", "count", "Conversation cycles that started in the range (group chats included). "
             + CYCLE_HELP),
    CardSpec("messages_in", "Messages in", "count", "Customer messages in the cycles that started in the range."),
    CardSpec("messages_out", "Messages out", "count", "Messages sent in those cycles (by agents and automated)."),
    CardSpec("contacts", "Contacts", "count", "Distinct contacts with a cycle in the range."),
    CardSpec("solved", "Solved", "count", "Cycles that contain their conversation's solve. " + SOLVED_CAVEAT),
    CardSpec("frt", "First response", "duration", "From the first customer message of a cycle to the first reply "
             "written by a person (or any reply, when automated replies count); customer-initiated cycles only.",
             lower_is_better=True),
    CardSpec("frt_within", "Within FRT target", "share", "Share of answered cycles whose first "
             "response came within the target."),
    CardSpec("automated", "First automated reply", "duration", "From the first customer message of a cycle to the "
             "first automated message in it (away message, auto-reply, API send), for the cycles that got one."),
    CardSpec("unanswered", "Unanswered", "count", "Customer-initiated cycles without a reply: still "
             "waiting, or missed.", lower_is_better=True),
    CardSpec("reply", "Reply time", "duration", "After the first reply: from each run of customer "
             "messages to the next reply.", lower_is_better=True),
    CardSpec("resolution", "Resolution", "duration", "From the start of the cycle to the conversation's "
             "solve.", lower_is_better=True),
)
CARD_LABELS = {spec.key: spec.label for spec in CARDS} | {
    "inbound_cycles": "Customer-initiated cycles", "outbound_cycles": "Business-initiated cycles",
    "inbound_messages": "Inbound messages"}


def _delta(spec: CardSpec, card: Card) -> str | None:
    change = card.change
    if change is None:
        return None
    if spec.kind == "duration":
        return f"{'+' if change >= 0 else '-'}{duration(abs(change))}"
    if spec.kind == "share":
        return f"{change * 100:+.1f} pp"
    ratio = card.change_ratio
    return f"{change:+,.0f}" + (f" ({ratio:+.0%})" if ratio is not None else "")


def _value(spec: CardSpec, value: float | None) -> str:
    if value is None:
        return "—"
    if spec.kind == "duration":
        return duration(value)
    if spec.kind == "share":
        return f"{value:.0%}"
    return f"{value:,.0f}"


def _detail(spec: CardSpec, card: Card, cards: dict[str, Card | Missing], conversations: int) -> str:
    summary = card.summary
    if spec.key == "cycles":
        inbound, outbound = cards.get("inbound_cycles"), cards.get("outbound_cycles")
        if isinstance(inbound, Card) and isinstance(outbound, Card):
            return (f"in {conversations:,} conversations · {inbound.value:,.0f} customer- · "
                    f"{outbound.value:,.0f} business-initiated")
    if spec.key == "solved":
        return "latest solves only · no comparison"
    if spec.key == "automated" and summary is not None:
        share = cards.get("automated_share")
        if isinstance(share, Card) and share.value is not None:
            return f"{summary.count:,} cycles got one: {share.value:.0%} of customer-initiated cycles"
    if summary is None:
        return ""
    if not summary.count:
        return "no values in this range"
    if spec.kind == "share":
        return f"of {summary.count:,} answered cycles · target {duration(summary.target)}"
    within = "—" if summary.within_target is None else f"{summary.within_target:.0%}"
    return (f"median · mean {duration(summary.mean)} · p90 {duration(summary.p90)} · n {summary.count:,} · "
            f"{within} within {duration(summary.target)}")


def show_cards(data: Cycles, view: View, *, on_drill: Callable[[dict], None], per_row: int = 6) -> dict:
    """The headline cards with the change against the previous period of equal length (not for solved
    counts), each with a button listing the cycles behind it. Returns the cards (Card or Missing by key)."""
    cards = headline(data, view.filters, view.business)
    conversations = int(data.cycles["conversation_id"][cycle_mask(data, view.filters)].nunique())
    for row_start in range(0, len(CARDS), per_row):
        columns = st.columns(per_row)
        for column, spec in zip(columns, CARDS[row_start:row_start + per_row], strict=False):
            card = cards[spec.key]
            with column.container(border=True):
                if isinstance(card, Missing):
                    st.metric(spec.label, "—", help=spec.help)
                    st.caption(f"Not available: the service does not return {card.input}.")
                    continue
                st.metric(spec.label, _value(spec, card.value), delta=_delta(spec, card),
                          delta_color="inverse" if spec.lower_is_better else "normal", help=spec.help)
                st.caption(_detail(spec, card, cards, conversations) or " ")
                st.button("Conversations", key=f"drill_card_{spec.key}", icon=":material/list:", type="tertiary",
                          help=f"List the cycles behind “{spec.label}”.", on_click=on_drill,
                          args=({"metric": spec.key, "source": "cards", "label": spec.label},))
    return cards


def backlog_cards(figures: Backlog, settings: AnalyticsSettings, business: bool) -> None:
    """Waiting now: SLA figures over the active waits, and the stale ones counted apart."""
    gap = duration(settings.session_gap)
    mode = " of business hours" if business else ""
    cards = st.columns(5)
    cards[0].metric("Waiting now", f"{figures.active:,}", border=True,
                    help=f"Open conversations whose customer waits for a reply, the wait having begun within the "
                         f"last {gap} (the WhatsApp window); longer waits are counted as stale.")
    cards[1].metric("Over the FRT target", f"{figures.over_target:,}", border=True,
                    help=f"Active waits longer than {duration(settings.targets.frt)}{mode}.")
    cards[2].metric("Longest wait", duration(figures.longest_s), border=True, help="Among the active waits.")
    cards[3].metric("Median wait", duration(figures.median_s), border=True, help="Among the active waits.")
    cards[4].metric("Stale", f"{figures.stale:,}", border=True,
                    help=f"Waiting since more than {gap}: abandoned chats, outside the SLA figures.")


def _range_text(filters: Filters) -> str:
    if filters.start is None or filters.end is None:
        return "all dates"
    return f"{filters.start:%Y-%m-%d} to {filters.end:%Y-%m-%d}"


# --- drill-down ----------------------------------------------------------------------------------------


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
                       f"cycles started {_range_text(view.filters)}")
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


# --- charts --------------------------------------------------------------------------------------------


def period_keys(values: pd.Series) -> pd.Series:
    """Local dates as "YYYY-MM-DD" text: charts select them exactly, with no timezone guesswork."""
    return pd.DatetimeIndex(values).strftime("%Y-%m-%d").astype(str)


def selected(state: Any, name: str) -> list[dict]:
    """The points of a chart's named selection, from `st.altair_chart(..., on_select="rerun")`."""
    try:
        points = state["selection"][name]
    except (KeyError, TypeError):
        return []
    return points if isinstance(points, list) else []


def selected_day(value: Any) -> str | None:
    """A selected period as "YYYY-MM-DD" (text from the chart data, or epoch milliseconds)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, UTC).date().isoformat()
    return None


def volume_chart(frame: pd.DataFrame, period: str) -> alt.Chart:
    """Cycles started per period, customer- and business-initiated stacked; a click selects a bar part."""
    long = pd.DataFrame({
        "period": np.tile(period_keys(frame[period]), 2),
        "initiator": np.repeat(["customer", "business"], len(frame)),
        "cycles": np.concatenate([frame["inbound_cycles"].to_numpy(), frame["outbound_cycles"].to_numpy()]),
    })
    pick = alt.selection_point(name="pick", fields=["period", "initiator"])
    return alt.Chart(long, title=f"Cycles started per {period}").mark_bar().encode(
        x=_period_axis(period),
        y=alt.Y("cycles:Q", title="cycles", stack="zero"),
        color=alt.Color("initiator:N", title="started by", scale=alt.Scale(domain=["customer", "business"])),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("period:N", title=period), "initiator:N", "cycles:Q"],
    ).add_params(pick).properties(height=260)


def frt_chart(frame: pd.DataFrame, period: str, business: bool) -> alt.Chart:
    """Median first response per period as bars, mean as ticks beside them; a click selects a period."""
    data = pd.DataFrame({
        "period": period_keys(frame[period]),
        "median_min": minutes(frame["frt_median"]).round(2),
        "median": durations(frame["frt_median"]).astype(str),
        "mean": durations(frame["frt_mean"]).astype(str),
        "p90": durations(frame["frt_p90"]).astype(str),
        "answered": frame["frt_count"],
        "within": (frame["frt_within"] * 100).round(1),
    })
    pick = alt.selection_point(name="pick", fields=["period"])
    mode = ", business hours" if business else ""
    # Means sit in the tooltip: a few long waits make them many times the median, which would flatten the bars.
    tooltip = [alt.Tooltip("period:N", title=period), alt.Tooltip("median:N", title="median"),
               alt.Tooltip("mean:N", title="mean"), alt.Tooltip("p90:N", title="p90"),
               alt.Tooltip("answered:Q", title="answered cycles", format=",d"),
               alt.Tooltip("within:Q", title="% within target")]
    return alt.Chart(data, title=f"Median first response per {period}{mode} (hover for mean and p90)").mark_bar(
    ).encode(
        x=_period_axis(period), y=alt.Y("median_min:Q", title="minutes"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)), tooltip=tooltip,
    ).add_params(pick).properties(height=260)


def _period_axis(period: str) -> alt.X:
    return alt.X("period:O", title=f"{period} (local)" if period == "day" else "week (Monday, local)",
                 axis=alt.Axis(labelExpr="slice(datum.value, 5)", labelAngle=-45, labelOverlap="greedy"))


def distribution_chart(frame: pd.DataFrame) -> alt.Chart:
    order = [label for label, _ in FRT_BUCKETS] + [UNANSWERED]
    pick = alt.selection_point(name="pick", fields=["bucket"])
    return alt.Chart(frame[["bucket", "cycles"]], title="First response time, answered cycles per bucket").mark_bar(
    ).encode(
        x=alt.X("bucket:N", sort=order, title="first response", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cycles:Q", title="cycles"),
        color=alt.condition(alt.datum.bucket == UNANSWERED, alt.value("#9ca3af"), alt.value("#2563eb")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=["bucket:N", "cycles:Q"],
    ).add_params(pick).properties(height=260)


def heatmap_chart(frame: pd.DataFrame, timezone: str) -> alt.Chart:
    pick = alt.selection_point(name="pick", fields=["weekday", "hour"])
    names = json.dumps(list(DAY_NAMES))
    return alt.Chart(frame, title=f"Inbound messages by weekday and hour ({timezone})").mark_rect().encode(
        x=alt.X("hour:O", title="hour", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("weekday:O", title=None, axis=alt.Axis(labelExpr=f"{names}[datum.value]", labelOverlap=False)),
        color=alt.Color("inbound_messages:Q", title="messages", scale=alt.Scale(scheme="blues")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        tooltip=[alt.Tooltip("weekday:O"), "hour:O", alt.Tooltip("inbound_messages:Q", title="inbound messages"),
                 alt.Tooltip("cycles_started:Q", title="cycles started")],
    ).add_params(pick).properties(height=alt.Step(30))


def agent_frt_chart(frame: pd.DataFrame, business: bool) -> alt.Chart:
    """Median first response per agent (people only); `frame` is `agent_display`'s table."""
    data = pd.DataFrame({"agent": frame["agent"], "agent_key": frame["agent_key"],
                         "median_min": minutes(frame["frt_median_s"]).round(2), "median": frame["frt_median"],
                         "mean": frame["frt_mean"], "first_replies": frame["first_replies"]})
    pick = alt.selection_point(name="pick", fields=["agent_key"])
    mode = ", business hours" if business else ""
    tooltip = ["agent:N", alt.Tooltip("median:N", title="median"), alt.Tooltip("mean:N", title="mean"),
               alt.Tooltip("first_replies:Q", title="first replies", format=",d")]
    return alt.Chart(data, title=f"Median first response by agent{mode} (hover for the mean)").mark_bar().encode(
        y=alt.Y("agent:N", sort=alt.EncodingSortField("median_min", order="ascending"), title=None,
                axis=alt.Axis(labelOverlap=False, labelLimit=220)),
        x=alt.X("median_min:Q", title="minutes"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)), tooltip=tooltip, detail="agent_key:N",
    ).add_params(pick).properties(height=alt.Step(26))


def chart_png(chart: alt.TopLevelMixin) -> bytes:
    """The chart as a PNG image (vl-convert renders it; loaded only when someone downloads one)."""
    buffer = io.BytesIO()
    chart.save(buffer, format="png", scale_factor=2)
    return buffer.getvalue()


def png_button(chart: alt.TopLevelMixin, file_name: str, key: str) -> None:
    st.download_button("PNG", data=lambda: chart_png(chart), file_name=file_name, mime="image/png",
                       key=key, icon=":material/image:", type="tertiary", on_click="ignore",
                       help="Download this chart as a PNG image")


def download_button(label: str, make: Callable[[], bytes | Missing], file_name: str, key: str, mime: str) -> None:
    """A download made when clicked; a table whose input is missing is not offered."""
    def data() -> bytes:
        made = make()
        return b"" if isinstance(made, Missing) else made

    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key,
                       icon=":material/download:", on_click="ignore")


def export_buttons(data: Cycles, view: View, who: Names, prefix: str) -> None:
    """Per-cycle rows and the series as CSV, their rules as a CSV of their own, and all in one workbook.
    The file names carry the timezone, which replies count and the duration mode."""
    filters, period, business = view.filters, view.period, view.business
    stem = file_stem(data, filters, business)
    labels = who.labels()
    columns = st.columns(4)
    with columns[0]:
        download_button("Per-cycle rows (CSV)", lambda: cycles_csv(data, filters, labels), f"{stem}_cycles.csv",
                        f"{prefix}_cycles_csv", "text/csv")
    with columns[1]:
        download_button(f"{period.capitalize()} series (CSV)", lambda: series_csv(data, filters, period, business),
                        f"{stem}_{period}-series.csv", f"{prefix}_series_csv", "text/csv")
    with columns[2]:
        download_button("Read me: the rules (CSV)", lambda: rules_csv(data, filters, period, business),
                        f"{stem}_read-me.csv", f"{prefix}_rules_csv", "text/csv")
    with columns[3]:
        download_button("All in one workbook (Excel)", lambda: workbook(data, filters, period, business, labels),
                        f"{stem}.xlsx", f"{prefix}_xlsx",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def selected_rows(state: Any) -> list[int]:
    """The selected row positions of an `st.dataframe(..., on_select="rerun")`."""
    try:
        rows = state["selection"]["rows"]
    except (KeyError, TypeError):
        return []
    return [int(r) for r in rows] if isinstance(rows, list) else []


def period_drill(metric: str, period: str, day: str | None, what: str) -> dict | None:
    if day is None:
        return None
    when = f"on {day}" if period == "day" else f"in the week of {day}"
    return {"metric": metric, period: day, "label": f"{what} {when}"}


# --- settings ------------------------------------------------------------------------------------------

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


# --- per device / inbox / agent tables --------------------------------------------------------------------

KEY_COLUMNS = {"device": "device_id", "inbox": "inbox_id", "agent": "agent_id"}


def group_name(by: str, key: Any, who: Names, data: Cycles) -> str:
    if by == "inbox":
        return who.inbox(key)
    if by == "agent":
        return who.agent(key)
    if key is None or pd.isna(key):
        return "no device"
    return device_names(data).get(int(key), f"device #{int(key)}")


def group_drill(by: str, frame: pd.DataFrame, row: int, key_column: str, who: Names, data: Cycles) -> dict:
    key = frame[key_column].iloc[row]
    key = None if pd.isna(key) else int(key)
    what = {"device": "device", "inbox": "inbox", "agent": "first responder"}[by]
    return {"metric": "cycles", "group": [by, key],
            "label": f"Cycles started, {what}: {group_name(by, key, who, data)}"}


def take_row_drill(drill: Drill, by: str, table: Callable[[], Any], who: Names, data: Cycles,
                   table_key: str) -> None:
    """Open the drill-down of the row selected in a breakdown table; `table()` gives the `breakdown`
    shown (its rows in the same order), computed only when the selection changed."""

    def make(rows: list[int]) -> dict | None:
        shown = table()
        if isinstance(shown, Missing) or rows[0] >= len(shown.frame):
            return None
        return group_drill(by, shown.frame, rows[0], KEY_COLUMNS[by], who, data)

    drill.take(by, selected_rows(st.session_state.get(table_key)), make)


def breakdown_display(by: str, table: Any, who: Names, business: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A `breakdown` table for the page: names, counts, durations as text (rows in the table's order)."""
    frame = table.frame
    key = frame[KEY_COLUMNS[by]]
    if by == "device":
        name = frame["device_name"].fillna(key.map(lambda k: "no device" if pd.isna(k) else f"device #{int(k)}"))
    else:
        name = key.map(who.inbox if by == "inbox" else who.agent)
    shown = pd.DataFrame({
        "name": name.astype("string"), "cycles": frame["cycles"], "inbound_cycles": frame["inbound_cycles"],
        "outbound_cycles": frame["outbound_cycles"], "messages_in": frame["messages_in"],
        "messages_out": frame["messages_out"], "unanswered": frame["unanswered"], "frt_count": frame["frt_count"],
        "frt_median": durations(frame["frt_median"]), "frt_mean": durations(frame["frt_mean"]),
        "frt_p90": durations(frame["frt_p90"]), "frt_within": frame["frt_within"] * 100,
        "reply_count": frame["reply_count"], "reply_median": durations(frame["reply_median"]),
        "reply_mean": durations(frame["reply_mean"]),
    })
    if "resolution_median" in frame:
        shown["resolution_median"] = durations(frame["resolution_median"])
        shown["resolution_mean"] = durations(frame["resolution_mean"])
    mode = " (business)" if business else ""
    text = st.column_config.TextColumn
    columns = {
        "name": text({"device": "Device", "inbox": "Inbox", "agent": "Agent"}[by]),
        "cycles": COUNT("Cycles"), "inbound_cycles": COUNT("Customer-initiated"),
        "outbound_cycles": COUNT("Business-initiated"), "messages_in": COUNT("Messages in"),
        "messages_out": COUNT("Messages out"), "unanswered": COUNT("Unanswered"),
        "frt_count": COUNT("Answered"), "frt_median": text(f"FRT median{mode}"),
        "frt_mean": text("FRT mean"), "frt_p90": text("FRT p90"),
        "frt_within": st.column_config.NumberColumn("FRT within target, %", format="%.0f"),
        "reply_count": COUNT("Replies"), "reply_median": text(f"Reply median{mode}"), "reply_mean": text("Reply mean"),
        "resolution_median": text(f"Resolution median{mode}"), "resolution_mean": text("Resolution mean"),
    }
    return shown, columns


# --- agents --------------------------------------------------------------------------------------------


def agent_display(activity: pd.DataFrame, who: Names, business: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`agent_activity` for the page: names and statuses, durations as text (and in seconds for the
    chart), a text key per agent; fastest median first response first."""
    activity = activity.sort_values(["frt_median", "agent_id"], na_position="last", kind="stable")
    ids = activity["agent_id"]
    table = pd.DataFrame({
        "agent": ids.map(who.agent).astype("string"),
        "status": ids.map(lambda i: who.statuses.get(int(i), "")).astype("string"),
        "outgoing_messages": activity["outgoing_messages"], "first_replies": activity["first_replies"],
        "frt_median": durations(activity["frt_median"]), "frt_mean": durations(activity["frt_mean"]),
        "replies": activity["replies"], "reply_median": durations(activity["reply_median"]),
        "reply_mean": durations(activity["reply_mean"]),
        "frt_median_s": activity["frt_median"], "frt_mean_s": activity["frt_mean"],
        "agent_key": ids.map(lambda i: str(int(i))).astype(str),
    })
    mode = " (business)" if business else ""
    text = st.column_config.TextColumn
    columns = {
        "agent": text("Agent"), "status": text("Status"),
        "outgoing_messages": COUNT("Outgoing messages"), "first_replies": COUNT("First replies"),
        "frt_median": text(f"FRT median{mode}"), "frt_mean": text("FRT mean"), "replies": COUNT("Replies"),
        "reply_median": text(f"Reply median{mode}"), "reply_mean": text("Reply mean"),
    }
    return table.reset_index(drop=True), columns


# --- live board ------------------------------------------------------------------------------------------


def quiet_refresh(workspace: Workspace, cache: Cache, wait_s: float = 5.0) -> str | None:
    """Have the shared background sync refresh (the live board's, every few seconds) and wait up to
    `wait_s` for it (a warm refresh takes about a second); a sentence when its last refresh failed."""
    runner = background_sync(cache)
    runner.keep_fresh(workspace.client)
    state = runner.state()
    # A refresh running now may have read the list before the newest message: wait for the next one.
    wanted = state.ended + 1 + state.running
    runner.request()
    deadline = time.monotonic() + wait_s
    while (state := runner.state()).ended < wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return state.problem


def waiting_display(waiting: pd.DataFrame, data: Cycles, who: Names) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`waiting_now` for the page: a link per conversation, names, local times, how long each waits."""
    table = pd.DataFrame({
        "conversation": conversation_links.numbers(waiting["conversation_id"]),
        "contact": waiting["contact_name"].fillna(""), "phone": waiting["contact_phone"].fillna(""),
        "device": waiting["device_name"].fillna(""),
        "inbox": waiting["inbox_id"].map(who.inbox) if "inbox_id" in data.available else "",
        "since": local_times(waiting["waiting_since"], data),
        "waiting": waiting["waiting_s"].map(duration), "waiting_business": waiting["waiting_business_s"].map(duration),
        "unread": waiting["unread"], "breach": waiting["breach"],
    }).reset_index(drop=True)
    columns = {
        "conversation": conversation_links.column(), "contact": st.column_config.TextColumn("Contact"),
        "phone": st.column_config.TextColumn("Phone"), "device": st.column_config.TextColumn("Device"),
        "inbox": st.column_config.TextColumn("Inbox"),
        "since": st.column_config.DatetimeColumn(f"Waiting since ({data.timezone})", format="YYYY-MM-DD HH:mm"),
        "waiting": st.column_config.TextColumn("Waiting"),
        "waiting_business": st.column_config.TextColumn("In business hours"),
        "unread": COUNT("Unread"),
        "breach": st.column_config.CheckboxColumn("Over target"),
    }
    return table, columns


def open_by_inbox(data: Cycles, waiting: pd.DataFrame, filters: Filters, who: Names) -> pd.DataFrame:
    """Open conversations, active and stale waits and SLA breaches per inbox (under the device/inbox/group
    filters)."""
    conversations = data.conversations
    keep = (conversations["status"] == "open").fillna(False).to_numpy(bool)
    if filters.device_ids is not None:
        keep &= conversations["device_id"].isin([d for d in filters.device_ids if d is not None]).to_numpy(bool)
    if filters.inbox_ids is not None:
        inbox = pd.array(conversations["inbox_id"], dtype="Int64")
        wanted = inbox.isin([i for i in filters.inbox_ids if i is not None]).to_numpy(bool, na_value=False)
        keep &= wanted | (inbox.isna().to_numpy() & (None in filters.inbox_ids))
    if not filters.include_groups:
        keep &= ~conversations["is_group"].fillna(False).to_numpy(bool)
    open_rows = conversations[keep]
    key = "inbox_id" if "inbox_id" in data.available else None
    groups = (open_rows[key] if key else pd.Series(pd.NA, index=open_rows.index, dtype="Int64")).astype("Int64")
    waits = (waiting["inbox_id"] if key else pd.Series(pd.NA, index=waiting.index, dtype="Int64")).astype("Int64")
    stale = waiting["stale"].to_numpy(bool)
    table = pd.DataFrame({"open": groups.value_counts(dropna=False)})
    table["waiting"] = waits[~stale].value_counts(dropna=False)
    table["breaches"] = waits[waiting["breach"].to_numpy(bool)].value_counts(dropna=False)
    table["stale"] = waits[stale].value_counts(dropna=False)
    table = table.fillna(0).astype("int64").sort_values("open", ascending=False)
    table.insert(0, "inbox", [who.inbox(i) if key else "all" for i in table.index])
    return table.reset_index(drop=True)


def agents_online(who: Names) -> pd.DataFrame:
    order = {"online": 0, "idle": 1, "offline": 2}
    rows = [{"agent": who.agent(user_id), "status": status,
             # Only inboxes this credential lists: an agent's others are not for a scoped reader to see.
             "inboxes": ", ".join(who.inbox(i) for i in who.agent_inboxes.get(user_id, []) if i in who.inboxes)}
            for user_id, status in who.statuses.items()]
    frame = pd.DataFrame(rows, columns=["agent", "status", "inboxes"])
    return frame.sort_values(["status", "agent"], key=lambda c: c.map(order).fillna(3) if c.name == "status" else c,
                             kind="stable").reset_index(drop=True)
