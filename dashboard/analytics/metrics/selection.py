"""Which cycles and replies a metric counts: filter masks, the cached per-cycle arrays, outgoing messages
by sender, rows with names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from dashboard.analytics.cycles import Cycles
from dashboard.analytics.metrics.model import DURATION_COLUMN, KEY_COLUMN, Breakdown, Filters, Missing
from dashboard.analytics.metrics.stats import NA_KEY, key_ints, sorted_group_stats


def filter_problem(data: Cycles, filters: Filters) -> Missing | None:
    """The missing input a filter needs, if any."""
    if filters.agent_ids is not None and "sender_user_id" not in data.available:
        return Missing("sender_user_id", "agent filter")
    if filters.inbox_ids is not None and "inbox_id" not in data.available:
        return Missing("inbox_id", "inbox filter")
    return None


class CycleArrays:
    """Numpy views of the cycle tables that most metrics need, computed once per `Cycles`."""

    def __init__(self, data: Cycles) -> None:
        cycles, sent = data.cycles, data.agent_messages
        epoch = np.datetime64(0, "ns")
        self.day = (cycles["day"].to_numpy() - epoch) // np.timedelta64(1, "D")  # local days since 1970-01-01
        self.week = (cycles["week"].to_numpy() - epoch) // np.timedelta64(1, "D")
        self.inbound = cycles["initiator"].cat.codes.to_numpy() == 0
        # By suffix ("": human replies only, "_any": every outbound message counts).
        self.unanswered = {suffix: cycles[f"state{suffix}"].cat.codes.to_numpy() >= 1 for suffix in _SUFFIXES}
        self.is_group = cycles["is_group"].to_numpy(bool)
        self.keys = {column: key_ints(cycles[column])
                     for column in ("device_id", "inbox_id", "agent_id", "agent_id_any")}
        self.contact = key_ints(cycles["contact_id"])
        self.messages_in = cycles["messages_in"].to_numpy()
        self.messages_out = cycles["messages_out"].to_numpy()
        self.contains_solve = cycles["contains_solve"].to_numpy()
        self.open_last = cycles["is_last"].to_numpy() & (cycles["status"] == "open").fillna(False).to_numpy(bool)
        self.reply_cycle = {suffix: replies_table(data, suffix)["cycle_id"].to_numpy() for suffix in _SUFFIXES}
        self.reply_agent = {suffix: key_ints(replies_table(data, suffix)["agent_id"]) for suffix in _SUFFIXES}
        self.sent_cycle = sent["cycle_id"].to_numpy()
        self.sent_agent = key_ints(sent["agent_id"])
        self.sent_messages = sent["messages"].to_numpy()


_SUFFIXES = ("", "_any")


def replies_table(data: Cycles, suffix: str) -> pd.DataFrame:
    return data.replies_any if suffix else data.replies


def key_column(by: Breakdown, filters: Filters) -> str:
    return KEY_COLUMN[by] + (filters.suffix if by == "agent" else "")


def frt_column(business: bool, filters: Filters) -> str:
    return DURATION_COLUMN["frt", business] + filters.suffix


def cycle_arrays(data: Cycles) -> CycleArrays:
    if "arrays" not in data.cache:
        data.cache["arrays"] = CycleArrays(data)
    return data.cache["arrays"]


def day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def cycle_mask(data: Cycles, filters: Filters, *, response: bool = False, agent: bool = True) -> np.ndarray:
    """Which cycles pass the filters (the response subset drops group chats unless included)."""
    arrays = cycle_arrays(data)
    keep = np.ones(arrays.day.size, dtype=bool)
    if filters.start is not None:
        keep &= arrays.day >= day_number(filters.start)
    if filters.end is not None:
        keep &= arrays.day <= day_number(filters.end)
    if filters.device_ids is not None:
        keep &= isin(arrays.keys["device_id"], filters.device_ids)
    if filters.inbox_ids is not None:
        keep &= isin(arrays.keys["inbox_id"], filters.inbox_ids)
    if agent and filters.agent_ids is not None:
        keep &= isin(arrays.keys[key_column("agent", filters)], filters.agent_ids)
    if response and not filters.include_groups:
        keep &= ~arrays.is_group
    return keep


def reply_mask(data: Cycles, filters: Filters) -> np.ndarray:
    """Which reply runs pass: their cycle passes the response filters; the agent is the reply's."""
    arrays = cycle_arrays(data)
    keep = cycle_mask(data, filters, response=True, agent=False)[arrays.reply_cycle[filters.suffix]]
    if filters.agent_ids is not None:
        keep &= isin(arrays.reply_agent[filters.suffix], filters.agent_ids)
    return keep


def isin(keys: np.ndarray | pd.Series, wanted: Iterable[int | None]) -> np.ndarray:
    """Membership of ids (int64 with NA as `NA_KEY`, or an Int64 column); None in `wanted` means NA."""
    if isinstance(keys, pd.Series):
        keys = key_ints(keys)
    wanted = set(wanted)
    ids = np.array([NA_KEY if k is None else k for k in wanted], dtype=np.int64)
    return np.isin(keys, ids)


def replies_name(filters: Filters) -> Literal["replies", "replies_any"]:
    return "replies_any" if filters.count_automated else "replies"


def column_stats(data: Cycles, table: Literal["cycles", "replies", "replies_any"], column: str, keep: np.ndarray,
                  codes: np.ndarray | None, groups: int, target: float) -> dict[str, np.ndarray]:
    """`grouped_stats` of a duration column over the rows in `keep`, grouped by `codes` (per row)."""
    values = getattr(data, table)[column].to_numpy()
    cache_key = ("ascending", table, column)
    if cache_key not in data.cache:
        order = np.argsort(values, kind="stable")
        data.cache[cache_key] = order[~np.isnan(values[order])]
    rows = data.cache[cache_key]
    rows = rows[keep[rows]]
    group = np.zeros(rows.size, dtype=np.int64) if codes is None else codes[rows]
    return sorted_group_stats(group, values[rows], groups, target)


def messages_out(data: Cycles, filters: Filters) -> np.ndarray:
    """Outgoing messages per cycle counted under the filters (0 for cycles outside them).

    Without an agent filter: every outgoing message of the filtered cycles. With one, messages count
    by their sender (None in the filter: messages without a sender), in cycles passing the other
    filters: the messages the selected agents sent.
    """
    arrays = cycle_arrays(data)
    base = cycle_mask(data, filters, agent=False)
    total = arrays.messages_out
    if filters.agent_ids is None:
        return np.where(base, total, 0)
    cycle_ids, counts = arrays.sent_cycle, arrays.sent_messages
    mine = isin(arrays.sent_agent, filters.agent_ids - {None})
    result = np.bincount(cycle_ids[mine], weights=counts[mine], minlength=total.size).astype(np.int64)
    if None in filters.agent_ids:
        result += total - np.bincount(cycle_ids, weights=counts, minlength=total.size).astype(np.int64)
    return np.where(base, result, 0).astype(np.int64)


def messages_out_by_sender(data: Cycles, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
    """(sender ids with NA as `NA_KEY`, outgoing messages) in the cycles passing the non-agent filters."""
    arrays = cycle_arrays(data)
    keep = cycle_mask(data, filters, agent=False)[arrays.sent_cycle]
    if filters.agent_ids is not None:
        keep &= isin(arrays.sent_agent, filters.agent_ids)
    keys = arrays.sent_agent[keep]
    counts = arrays.sent_messages[keep]
    if filters.agent_ids is None or None in filters.agent_ids:
        without = int(messages_out(data, replace(filters, agent_ids=frozenset({None}))).sum())
        if without:
            keys, counts = np.append(keys, NA_KEY), np.append(counts, without)
    return keys, counts


def conversation_positions(data: Cycles, conversation_ids: np.ndarray) -> np.ndarray:
    """The rows of `data.conversations` holding these conversation ids (the index is built once)."""
    if "conversation_index" not in data.cache:
        data.cache["conversation_index"] = pd.Index(data.conversations["id"].to_numpy(np.int64))
    return data.cache["conversation_index"].get_indexer(conversation_ids)


def with_names(data: Cycles, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` with the conversation's contact name, phone and device name."""
    conversations = data.conversations
    position = conversation_positions(data, rows["conversation_id"].to_numpy())
    frame = rows.copy()
    at = frame.columns.get_loc("contact_id") + 1
    for offset, column in enumerate(("contact_name", "contact_phone")):
        frame.insert(at + offset, column, conversations[column].astype("string").array.take(position))
    frame.insert(frame.columns.get_loc("device_id") + 1, "device_name",
                 conversations["device_name"].astype("string").array.take(position))
    return frame
