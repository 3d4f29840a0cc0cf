"""The filter bar (dates, devices, inboxes, agents, group chats, business hours, automated replies) and the
rules caption.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import preferences
from dashboard.analytics import Cycles, Filters
from dashboard.connection import Workspace
from ui.analytics.formatting import duration
from ui.analytics.names import Names, device_names

# The date range a page opens on: this week, the question managers ask most, and the quickest to load
# on a first visit (its conversations are fetched first).
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class View:
    filters: Filters
    business: bool
    period: str  # "day" or "week"


def today(data: Cycles) -> date:
    return datetime.now(data.settings.zone).date()


def filter_bar(data: Cycles, who: Names, prefix: str, *, dates: bool = True, devices: bool = True,
               agents: bool = True, period: bool = True) -> View:
    """Date range (default: the last `DEFAULT_DAYS` days), device, inbox and agent, group chats, wall clock or
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
            "Cycles started", value=(last - timedelta(days=DEFAULT_DAYS - 1), last),
            min_value=min(first_day, last - timedelta(days=DEFAULT_DAYS - 1)), max_value=latest, key=f"{prefix}_dates",
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
        return fallback - timedelta(days=DEFAULT_DAYS - 1), fallback
    return min(values), max(values)


def _options(column: pd.Series) -> list[int | None]:
    values = pd.array(column, dtype="Int64")
    ids = sorted(int(v) for v in pd.unique(values[~values.isna()]))  # unique first: one cycle per row
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
