"""The analytics cache and its shared background sync on the page: first open waits for the period on
screen, a live status, the cycles computed once per cache generation and settings.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import streamlit as st

from dashboard import preferences
from dashboard.analytics import AnalyticsSettings, Cycles, Filters, build_cycles
from dashboard.connection import Workspace
from dashboard.device_history import relative_time
from dashboard.sync import BackgroundSync, Cache, CacheInfo, Window, background_sync
from ui.analytics.cards import range_text
from ui.analytics.filters import DEFAULT_DAYS
from ui.plain_text import plain


def cache_for(workspace: Workspace) -> Cache:
    return Cache.for_workspace(workspace)


def settings_for(workspace: Workspace) -> AnalyticsSettings:
    """The workspace's saved settings, with the browser's timezone unless one is set."""
    return preferences.analytics_settings(workspace.workspace_id).resolved(st.context.timezone)


def _flag(name: str, workspace: Workspace) -> str:
    return f"analytics_{name}_{workspace.identity}"


# How often an open page looks at the background sync (its progress, and new data to show).
STATUS_EVERY_S = 2.0


def period_window(start: date, end: date, zone: Any, *, previous: bool = True) -> Window:
    """The conversations behind a period's figures: any with a message from its first day on (with
    `previous`, from the first day of the period of equal length before it, which the cards compare
    against), created before the period's end."""
    first_day = start - (end - start + timedelta(days=1)) if previous else start
    first = datetime.combine(first_day, datetime.min.time(), zone)
    after = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    return Window(first, None if after > datetime.now(UTC) else after)


def _wanted(workspace: Workspace, settings: AnalyticsSettings) -> tuple[date, date]:
    """The dates this session last showed, else the default date range."""
    dates = st.session_state.get(_flag("period", workspace))
    if dates is None:
        last = datetime.now(settings.zone).date()
        dates = (last - timedelta(days=DEFAULT_DAYS - 1), last)
    return dates


def ensure_synced(workspace: Workspace, cache: Cache) -> CacheInfo:
    """Keep the shared background sync going; on a first open, wait (with progress) until the figures of
    the period on screen are final, not for the whole history.

    After "Clear cache" nothing starts by itself: a button does. Stops the page when there is no data.
    """
    runner = background_sync(cache)
    settings = settings_for(workspace)
    dates = _wanted(workspace, settings)
    runner.keep_fresh(workspace.client, period_window(*dates, settings.zone))  # newest first: the period first
    window = period_window(*dates, settings.zone, previous=False)  # its cards; their changes come after
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
        # The most there were left to fetch, kept in the session: coming back mid-sync, the bar goes on from
        # where it was instead of starting again at 0 %.
        most_key = f"{_flag('first_sync_most', workspace)}_{window.start.isoformat()}_{window.end}"
        most = st.session_state.get(most_key, 0)
        bar = st.progress(0.0, text="Listing conversations…")
        while True:
            runner.keep_fresh(workspace.client, window)
            coverage, state = runner.coverage(window), runner.state()
            if state.paused:  # another session cleared the cache meanwhile
                status.update(label="The analytics cache was cleared.", state="error", expanded=False)
                return
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
                most = st.session_state[most_key] = max(most, coverage.pending_in_window)
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


def sync_status(workspace: Workspace, cache: Cache, info: CacheInfo, filters: Filters, zone: Any, *,
                changes: bool = True) -> bool:
    """Which figures are final and how much history is loaded, updated while the page is open; the
    period on screen is what the background sync fetches first. The page reruns when new data is in.

    Whether the period before the one on screen is final too in the data on screen (`info`'s): until
    then the cards show no change. `changes`: the page shows changes against that period."""
    if filters.start is None or filters.end is None:
        return True
    st.session_state[_flag("period", workspace)] = (filters.start, filters.end)
    windows = Windows(period_window(filters.start, filters.end, zone, previous=False),
                      period_window(filters.start, filters.end, zone))
    runner = background_sync(cache)
    runner.keep_fresh(workspace.client, windows.compared)
    shown = windows.final(runner)
    if shown[1] and runner.cache.info().generation != info.generation:
        shown = (shown[0], False)  # final in data newer than what is on screen: the changes wait for the next run
    _live_status(runner, workspace, windows, _period_words(filters, datetime.now(zone).date()), info.generation,
                 shown, changes)
    return shown[1]


@dataclass(frozen=True)
class Windows:
    period: Window  # the period on screen: its figures
    compared: Window  # with the period before it: the changes on the cards

    def final(self, runner: BackgroundSync) -> tuple[bool, bool]:
        return runner.coverage(self.period).window_final, runner.coverage(self.compared).window_final


def _period_words(filters: Filters, today: date) -> str:
    if filters.end != today or filters.start is None:
        return range_text(filters)
    days = (today - filters.start).days + 1
    return "today" if days == 1 else f"the last {days:,} days"


@st.fragment(run_every=STATUS_EVERY_S)
def _live_status(runner: BackgroundSync, workspace: Workspace, windows: Windows, period: str,
                 shown_generation: int, shown_final: tuple[bool, bool], changes: bool) -> None:
    runner.keep_fresh(workspace.client, windows.compared)  # the page is still open
    coverage, state = runner.coverage(windows.period), runner.state()
    final = windows.final(runner)
    history = f"history {coverage.history_share:.0%} loaded"
    if coverage.window_final:
        text = f"Figures for {period} are complete; {history}."
        if changes and not final[1]:
            text += " The changes against the period before show once it is loaded."
        if coverage.history_share < 1:
            text += " Waiting now counts only the conversations loaded so far."
        st.caption(text)
        if coverage.history_share == 1 and runner.catching_up():  # while history loads, the line above says so
            st.caption("New messages are being fetched; the figures update when they are in.")
    else:
        st.warning(f"Figures for {period} are still loading ({coverage.pending_in_window:,} conversations to "
                   f"fetch; {history}): they are incomplete until then.", icon=":material/hourglass_top:")
    if state.problem is not None and not state.running:
        st.caption(f"The last sync did not complete: {plain(state.problem)}")
    # New data is shown when it makes a difference: the period became final, or a refresh ended.
    if runner.cache.info().generation != shown_generation and (final != shown_final or not state.running):
        st.rerun(scope="app")


@st.cache_resource(max_entries=6, show_spinner="Computing cycles…")
def cycles_resource(path: str, generation: int, synced: str, available: tuple[str, ...], settings_json: str,
            _cache: Cache) -> Cycles:
    conversations, messages, available_now = _cache.frames()
    return build_cycles(conversations, messages, AnalyticsSettings.from_dict(json.loads(settings_json)),
                        available_now)


def cycles(cache: Cache, info: CacheInfo, settings: AnalyticsSettings) -> Cycles:
    """The cycles of the cached conversations, built once per cache generation and settings.

    Keyed by the cache file (workspace and credential identity), so two credentials never share them.
    """
    return cycles_resource(str(cache.path), info.generation, str(info.last_synced_at), tuple(sorted(info.available)),
                   json.dumps(settings.to_dict(), sort_keys=True), cache)
