"""Per device, inbox and agent tables, and agent activity (people only: automated senders never rank as agents)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analytics.cycles import Cycles
from dashboard.analytics.metrics.model import (
    DURATION_COLUMN,
    KEY_COLUMN,
    NO_FILTERS,
    Breakdown,
    Filters,
    Missing,
    Table,
)
from dashboard.analytics.metrics.selection import (
    column_stats,
    cycle_arrays,
    cycle_mask,
    filter_problem,
    frt_column,
    key_column,
    messages_out,
    messages_out_by_sender,
    replies_name,
    reply_mask,
)
from dashboard.analytics.metrics.stats import NA_KEY, STATS, dense_codes


def breakdown(data: Cycles, by: Breakdown, filters: Filters = NO_FILTERS, business: bool = False) -> Table | Missing:
    """One row per device, inbox or agent (NA row: no inbox / no agent), so that each column's total
    equals the card: cycles, inbound/outbound-initiated, messages in/out, unanswered, and count,
    median, p90, mean, within (share) of frt, reply and resolution.

    By agent: cycles and FRT are credited to the cycle's first responder (a person: its NA row holds
    cycles without a human first reply, or first answered by an automated message when those count),
    reply times to the agent of the answering message, messages_out to each message's sender (NA
    row: automated messages).
    """
    if by not in KEY_COLUMN:
        raise ValueError(f"breakdown by one of {', '.join(KEY_COLUMN)}, not {by!r}")
    if by == "agent" and "sender_user_id" not in data.available:
        return Missing("sender_user_id", "per-agent table")
    if by == "inbox" and "inbox_id" not in data.available:
        return Missing("inbox_id", "per-inbox table")
    if problem := filter_problem(data, filters):
        return problem
    arrays = cycle_arrays(data)
    key = key_column(by, filters)
    activity = cycle_mask(data, filters)
    response = cycle_mask(data, filters, response=True)
    keys = arrays.keys[key]
    sent = messages_out(data, filters)
    if by == "agent":
        sent_keys, sent_counts = messages_out_by_sender(data, filters)
    else:
        sent_keys, sent_counts = keys[sent > 0], sent[sent > 0]
    reply_keep = reply_mask(data, filters)
    reply_keys = arrays.reply_agent[filters.suffix] if by == "agent" else keys[arrays.reply_cycle[filters.suffix]]
    universe, (codes, reply_codes, sent_codes) = dense_codes(
        [keys, reply_keys, sent_keys], [activity | response, reply_keep, np.ones(sent_keys.size, bool)])
    size = universe.size

    def count(keep: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(codes[keep], weights=None if weights is None else weights[keep],
                           minlength=size).astype(np.int64)

    columns: dict[str, object] = {KEY_COLUMN[by]: pd.arrays.IntegerArray(np.where(universe == NA_KEY, 0, universe),
                                                               universe == NA_KEY)}
    columns["cycles"] = count(activity)
    columns["inbound_cycles"] = count(activity & arrays.inbound)
    columns["outbound_cycles"] = columns["cycles"] - columns["inbound_cycles"]
    columns["messages_in"] = count(activity, arrays.messages_in)
    columns["messages_out"] = np.bincount(sent_codes, weights=sent_counts, minlength=size).astype(np.int64)
    columns["unanswered"] = count(response & arrays.unanswered[filters.suffix])
    targets = data.settings.targets
    durations = [("frt", "cycles", codes, response, targets.frt),
                 ("reply", replies_name(filters), reply_codes, reply_keep, targets.reply)]
    missing = {}
    if "solved_at" in data.available:
        durations.append(("resolution", "cycles", codes, response, targets.resolution))
    else:
        missing.update({f"resolution_{s}": Missing("solved_at", "resolution time") for s in STATS})
    for prefix, table, group_codes, keep, target in durations:
        column = frt_column(business, filters) if prefix == "frt" else DURATION_COLUMN[prefix, business]
        stats = column_stats(data, table, column, keep, group_codes, size, target)
        for stat, column in stats.items():
            columns[f"{prefix}_{stat}"] = column
    table = pd.DataFrame(columns)
    if by == "device":
        names = data.conversations.drop_duplicates("device_id", keep="last").set_index("device_id")["device_name"]
        table.insert(1, "device_name", table[KEY_COLUMN[by]].map(names).astype("string"))
    return Table(table, missing)


def agent_activity(data: Cycles, filters: Filters = NO_FILTERS, business: bool = False) -> pd.DataFrame | Missing:
    """Per agent (people only: automated senders and unanswered cycles never rank as an agent):
    outgoing messages, first replies, replies, and median and mean FRT and reply time (from
    `breakdown(..., "agent")`)."""
    table = breakdown(data, "agent", filters, business)
    if isinstance(table, Missing):
        return table
    frame = table.frame[table.frame["agent_id"].notna().to_numpy(bool)].reset_index(drop=True)
    return pd.DataFrame({
        "agent_id": frame["agent_id"], "outgoing_messages": frame["messages_out"],
        "first_replies": frame["frt_count"], "frt_median": frame["frt_median"], "frt_mean": frame["frt_mean"],
        "replies": frame["reply_count"], "reply_median": frame["reply_median"], "reply_mean": frame["reply_mean"],
    })
