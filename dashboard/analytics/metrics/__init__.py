"""Metrics over the cycle tables (docs/metrics.md), with filters, and the drill-down behind each number.

Every function takes a `Cycles` (from `build_cycles`), `Filters` and, for durations, `business`
(False: wall-clock values, True: business-hours values). A cycle belongs to the local day/week in
which it started (cohort), in the display timezone of the settings it was built with.

Two subsets of the filtered cycles are used:
- **activity** (volume, heatmap, message counts): every cycle, group chats included;
- **response** (FRT, reply time, resolution time, unanswered, waiting now, FRT distribution):
  group chats only when `Filters.include_groups`; outbound-initiated cycles never have an FRT or
  reply times.

Response metrics count human replies (outbound messages with a sender) unless
`Filters.count_automated`; then every outbound message answers, and a cycle first answered by an
automated message has no agent. Automated replies have their own cards ("automated": median time to
the first one; "automated_share": share of customer-initiated cycles that got one).

Waiting now is split into active waits (began within the session gap) and stale ones; SLA figures
cover active waits only. The heatmap places each inbound message by its own local time, counting
the messages inside the date range. Solved counts have no change against the previous period: only
the latest solve of a conversation is known, which favours recent periods.

A metric whose input the service did not return is a `Missing` instead of a number; so is every
metric when a filter needs a missing input (agent filter without `sender_user_id`, inbox filter
without `inbox_id`).

The modules, lowest first: model, stats, selection, summaries, volume, breakdowns, waiting, drill.
"""

from dashboard.analytics.metrics.breakdowns import agent_activity, breakdown
from dashboard.analytics.metrics.drill import drill_down
from dashboard.analytics.metrics.model import (
    CARD_KEYS,
    DRILL_METRICS,
    DURATION_COLUMN,
    FRT_BUCKETS,
    KEY_COLUMN,
    METRICS,
    NO_CHANGE_CARDS,
    NO_FILTERS,
    RESPONSE_METRICS,
    UNANSWERED,
    Breakdown,
    Card,
    Filters,
    Metric,
    MetricSpec,
    Missing,
    Period,
    Summary,
    Table,
)
from dashboard.analytics.metrics.selection import (
    conversation_positions,
    cycle_mask,
    filter_problem,
    messages_out,
    reply_mask,
)
from dashboard.analytics.metrics.stats import grouped_stats, sorted_group_stats, summarise
from dashboard.analytics.metrics.summaries import (
    automated_summary,
    frt_summary,
    headline,
    reply_summary,
    resolution_summary,
)
from dashboard.analytics.metrics.volume import frt_distribution, heatmap, trends, volume
from dashboard.analytics.metrics.waiting import Backlog, backlog, waiting_now

__all__ = [
    "METRICS", "Metric", "MetricSpec", "Backlog", "Breakdown", "CARD_KEYS", "Card", "DRILL_METRICS",
    "DURATION_COLUMN", "FRT_BUCKETS", "Filters", "KEY_COLUMN", "Missing", "NO_CHANGE_CARDS", "NO_FILTERS",
    "Period", "RESPONSE_METRICS", "Summary", "Table", "UNANSWERED", "agent_activity", "automated_summary",
    "backlog", "breakdown", "conversation_positions", "cycle_mask", "drill_down", "filter_problem",
    "frt_distribution", "frt_summary", "grouped_stats", "headline", "heatmap", "messages_out", "reply_mask",
    "reply_summary", "resolution_summary", "sorted_group_stats", "summarise", "trends", "volume", "waiting_now",
]
