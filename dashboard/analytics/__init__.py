"""Conversation analytics (docs/metrics.md): pure pandas/numpy, no streamlit.

    settings        AnalyticsSettings (timezone, BusinessHours, Targets, session gap), JSON-able
    business_hours  BusinessClock: vectorised business seconds between instants
    cycles          build_cycles(conversations, messages, settings, available) -> Cycles
    metrics         Filters, headline cards, trends/volume, heatmap, FRT distribution, breakdowns,
                    agent activity, automated replies, waiting now and its backlog figures,
                    drill_down; Missing when an input is absent
    export          per-cycle rows, the per-period series and their rules, as CSV or one .xlsx

Typical use: `data = build_cycles(conversations, messages, settings.resolved(browser_tz), available)`
once per sync/settings change, then any metric function on `data` with `Filters` and `business`.
"""

from dashboard.analytics.cycles import INPUTS, Cycles, build_cycles, conversations_frame, messages_frame
from dashboard.analytics.export import (
    Labels,
    cycle_rows,
    cycles_csv,
    file_stem,
    rules,
    rules_csv,
    series_csv,
    series_rows,
    workbook,
)
from dashboard.analytics.metrics import (
    CARD_KEYS,
    FRT_BUCKETS,
    NO_FILTERS,
    Backlog,
    Card,
    Filters,
    Missing,
    Summary,
    Table,
    agent_activity,
    automated_summary,
    backlog,
    breakdown,
    drill_down,
    frt_distribution,
    frt_summary,
    headline,
    heatmap,
    reply_summary,
    resolution_summary,
    trends,
    volume,
    waiting_now,
)
from dashboard.analytics.settings import AnalyticsSettings, BusinessHours, Interval, Targets

__all__ = [
    "CARD_KEYS", "FRT_BUCKETS", "INPUTS", "NO_FILTERS", "AnalyticsSettings", "Backlog", "BusinessHours", "Card",
    "Cycles", "Filters", "Interval", "Labels", "Missing", "Summary", "Table", "Targets", "agent_activity",
    "automated_summary", "backlog", "breakdown", "build_cycles", "conversations_frame", "cycle_rows", "cycles_csv",
    "drill_down", "file_stem", "frt_distribution", "frt_summary", "headline", "heatmap", "messages_frame",
    "reply_summary", "resolution_summary", "rules", "rules_csv", "series_csv", "series_rows", "trends", "volume",
    "waiting_now", "workbook",
]
