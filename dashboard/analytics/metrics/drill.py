"""The drill-down behind every number: the cycles a card, bar, heatmap cell, table row or FRT bucket counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from dashboard.analytics.cycles import Cycles
from dashboard.analytics.metrics.model import (
    DRILL_METRICS,
    DURATION_COLUMN,
    FRT_BUCKETS,
    NO_FILTERS,
    RESPONSE_METRICS,
    Breakdown,
    Filters,
    Missing,
)
from dashboard.analytics.metrics.selection import (
    cycle_arrays,
    cycle_mask,
    filter_problem,
    frt_column,
    isin,
    key_column,
    messages_out,
    replies_table,
    reply_mask,
    with_names,
)
from dashboard.analytics.metrics.volume import cells_in_range


def drill_down(data: Cycles, metric: str, filters: Filters = NO_FILTERS, business: bool = False, *,
               day: date | None = None, week: date | None = None, cell: tuple[int, int] | None = None,
               group: tuple[Breakdown, int | None] | None = None, bucket: str | None = None) -> pd.DataFrame | Missing:
    """The cycles behind a number, with conversation ids, names and two extra columns:
    `contribution` (what the cycle adds to a count or sum: 1 per cycle, its messages, its counted
    replies, its inbound messages in the heatmap cell, the agent's messages) and `value` (its duration
    for frt, frt_within and resolution, in the chosen mode).

    `metric` is a card key (`CARD_KEYS`) or "inbound_messages" (heatmap). Selectors narrow it to a
    bar (`day`, or `week` = its Monday), a heatmap cell (`cell` = (weekday, hour): the cell of the
    inbound messages for "inbound_messages", of the cycle start otherwise), a table row
    (`group` = ("device" | "inbox" | "agent", id or None)) or an FRT bucket (`bucket`, a label of
    `frt_distribution`; "unanswered" with metric "unanswered").
    """
    if metric not in DRILL_METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if problem := filter_problem(data, filters):
        return problem
    if metric in ("solved", "resolution") and "solved_at" not in data.available:
        return Missing("solved_at", metric)
    by, key = group if group else (None, None)
    if metric in ("automated", "automated_share") and "sender_user_id" not in data.available:
        return Missing("sender_user_id", "automated replies")
    if by == "agent" and "sender_user_id" not in data.available:
        return Missing("sender_user_id", "per-agent table")
    if by == "inbox" and "inbox_id" not in data.available:
        return Missing("inbox_id", "per-inbox table")
    cycles = data.cycles
    response = metric in RESPONSE_METRICS
    # Replies and outgoing messages are credited to their own sender, not to the cycle's agent.
    by_sender = metric in ("reply", "messages_out")
    heat_cell = metric == "inbound_messages" and cell is not None
    # Heatmap cells count messages by their own day: the range applies to them, not to cycle starts.
    keep = cycle_mask(data, replace(filters, start=None, end=None) if heat_cell else filters,
                      response=response, agent=not by_sender)
    if day is not None:
        keep &= cycles["day"].to_numpy() == np.datetime64(day, "ns")
    if week is not None:
        keep &= cycles["week"].to_numpy() == np.datetime64(week, "ns")
    if cell is not None and metric != "inbound_messages":
        keep &= (cycles["weekday"].to_numpy() == cell[0]) & (cycles["hour"].to_numpy() == cell[1])
    if by is not None and not (by == "agent" and by_sender):
        keep &= isin(cycles[key_column(by, filters)], {key})
    contribution = np.ones(len(cycles), dtype=np.int64)
    value = np.full(len(cycles), np.nan)
    inbound = (cycles["initiator"] == "inbound").to_numpy()
    if metric == "inbound_cycles":
        keep &= inbound
    elif metric == "outbound_cycles":
        keep &= ~inbound
    elif metric == "messages_in" or (metric == "inbound_messages" and cell is None):
        contribution = cycles["messages_in"].to_numpy()
    elif metric == "inbound_messages":
        cells = data.inbound_cells
        hit = (cells["weekday"].to_numpy() == cell[0]) & (cells["hour"].to_numpy() == cell[1])
        hit &= cells_in_range(data, filters)
        contribution = np.bincount(cells["cycle_id"].to_numpy()[hit], weights=cells["messages"].to_numpy()[hit],
                                   minlength=len(cycles)).astype(np.int64)
    elif metric == "messages_out":
        agents = filters.agent_ids
        if by == "agent":
            agents = frozenset({key}) if agents is None else agents & {key}
        contribution = messages_out(data, replace(filters, agent_ids=agents))
    elif metric == "solved":
        keep &= cycles["contains_solve"].to_numpy()
    elif metric in ("frt", "frt_within"):
        value = cycles[frt_column(business, filters)].to_numpy()
        keep &= ~np.isnan(value)
        if bucket is not None:
            keep &= _in_bucket(value, bucket)
        if metric == "frt_within":
            contribution = (value <= data.settings.targets.frt).astype(np.int64)
    elif metric == "unanswered":
        keep &= cycle_arrays(data).unanswered[filters.suffix]
    elif metric in ("automated", "automated_share"):
        value = cycles["auto_business_s" if business else "auto_s"].to_numpy()
        keep &= ~np.isnan(value)
    elif metric == "reply":
        replies = replies_table(data, filters.suffix)
        counted = reply_mask(data, filters) & ~np.isnan(replies[DURATION_COLUMN["reply", business]].to_numpy())
        if by == "agent":
            counted &= isin(replies["agent_id"], {key})
        contribution = np.bincount(replies["cycle_id"].to_numpy()[counted], minlength=len(cycles))
    elif metric == "resolution":
        value = cycles[DURATION_COLUMN["resolution", business]].to_numpy()
        keep &= ~np.isnan(value)
    if metric in ("messages_in", "messages_out", "inbound_messages", "reply"):
        keep &= contribution > 0
    rows = cycles[keep]
    frame = with_names(data, rows)
    frame["contribution"] = contribution[keep]
    frame["value"] = value[keep]
    return frame.reset_index(drop=True)


def _in_bucket(values: np.ndarray, bucket: str) -> np.ndarray:
    labels = [label for label, _ in FRT_BUCKETS]
    if bucket not in labels:
        raise ValueError(f"unknown FRT bucket {bucket!r}")
    i = labels.index(bucket)
    lower = FRT_BUCKETS[i - 1][1] if i else -np.inf
    return (values > lower) & (values <= FRT_BUCKETS[i][1])
