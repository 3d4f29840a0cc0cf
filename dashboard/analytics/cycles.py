"""Cycles: the single table every analytics card, chart, table and CSV is computed from.

`build_cycles` splits each conversation's messages into cycles (ANALYTICS.md, "Cycle"): a new cycle
at the conversation's first message, after a silence longer than the session gap, and at the first
message after the conversation's `solved_at`. Each cycle carries its first response time, state,
resolution time and message counts, with wall-clock and business-hours values; reply times go to a
separate `replies` table (one row per run of inbound messages after the first reply).

Everything is vectorised over the sorted messages: segment reductions (`np.*.reduceat`) per cycle,
shifted comparisons for boundaries and runs. Messages are ordered by (conversation, timestamp, id),
so the result does not depend on the order rows arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.business_hours import NAT, NS_PER_DAY, BusinessClock, local_ns, wall_seconds
from dashboard.analytics.settings import AnalyticsSettings

# The inputs the service may leave out; `available` names those it actually returned.
INPUTS = frozenset({"sender_user_id", "solved_at", "inbox_id"})
INITIATORS = ("inbound", "outbound")
STATES = ("answered", "missed", "waiting")  # inbound-initiated cycles only; NA for outbound-initiated
NS_PER_HOUR = 3600 * 10**9

CONVERSATION_DTYPES = {
    "id": "int64", "contact_id": "Int64", "contact_name": "string", "contact_phone": "string",
    "is_group": "boolean", "device_id": "Int64", "device_name": "string", "inbox_id": "Int64",
    "status": "string", "created_at": "datetime64[ns, UTC]", "solved_at": "datetime64[ns, UTC]",
    "last_message_at": "datetime64[ns, UTC]", "unread": "Int64",
}
MESSAGE_DTYPES = {
    "conversation_id": "int64", "id": "int64", "from_me": "bool", "timestamp": "datetime64[ns, UTC]",
    "sender_user_id": "Int64", "media_type": "string",
}


def conversations_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The `conversations` input frame from plain dicts (missing keys become NA)."""
    return _frame(rows, CONVERSATION_DTYPES)


def messages_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The `messages` input frame from plain dicts (missing keys become NA)."""
    return _frame(rows, MESSAGE_DTYPES)


def _frame(rows: Iterable[Mapping[str, Any]], dtypes: Mapping[str, str]) -> pd.DataFrame:
    rows = list(rows)
    columns = {}
    for name, dtype in dtypes.items():
        values = [row.get(name) for row in rows]
        if dtype.startswith("datetime64"):
            columns[name] = pd.Series(pd.to_datetime(values, utc=True, format="ISO8601"), dtype=dtype)
        else:
            columns[name] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(columns)


@dataclass(frozen=True, eq=False)
class Cycles:
    """The cycle tables of one workspace for one set of settings.

    - `cycles`: one row per cycle; `cycle_id` equals the row position. Columns: cycle_id,
      conversation_id, seq (1-based within the conversation), is_last, contact_id, device_id,
      inbox_id, is_group, status (the conversation's), start, end (last message), day and week
      (local date / Monday of the cycle start, naive datetime64), weekday (0 = Monday) and hour of
      the start, initiator ("inbound"/"outbound"), state ("answered"/"missed"/"waiting", NA when
      outbound-initiated), first_inbound_at, first_reply_at, frt_s, frt_business_s, agent_id
      (sender of the cycle's first outbound message: the first responder of an inbound-initiated
      cycle; NA for API sends and unanswered cycles), unanswered_since (first message of the final
      inbound run when the cycle ends with inbound messages), messages_in, messages_out, solved_at,
      contains_solve, resolution_s, resolution_business_s. Times are UTC; durations in seconds.
    - `replies`: one row per run of inbound messages after the first reply of an inbound-initiated
      cycle: reply_id, cycle_id, conversation_id, run_start, replied_at (NaT while unanswered),
      wait_s, wait_business_s, agent_id (sender of the answering message).
    - `inbound_cells`: inbound messages per (cycle_id, weekday, hour) in the display timezone.
    - `agent_messages`: outgoing messages per (cycle_id, agent_id) for messages with a sender.
    - `conversations`: the input conversations (names and phones for listings).

    Treat it as read-only: `cache` keeps arrays derived from these tables (metrics fill it lazily).
    """

    cycles: pd.DataFrame
    replies: pd.DataFrame
    inbound_cells: pd.DataFrame
    agent_messages: pd.DataFrame
    conversations: pd.DataFrame
    settings: AnalyticsSettings
    available: frozenset[str]
    cache: dict[object, Any] = field(default_factory=dict, repr=False)  # derived arrays, see metrics

    @property
    def timezone(self) -> str:
        return self.settings.timezone_name


def build_cycles(conversations: pd.DataFrame, messages: pd.DataFrame, settings: AnalyticsSettings,
                 available: Iterable[str] = INPUTS) -> Cycles:
    """Split messages into cycles and compute every per-cycle and per-reply value.

    Messages of conversations missing from `conversations` are ignored. Inputs not in `available`
    are treated as absent: without `solved_at` cycles split only by the gap and there is no
    resolution; without `sender_user_id` there are no agents; without `inbox_id` no inboxes.
    """
    available = frozenset(available) & INPUTS
    zone = settings.zone
    conv_ids = conversations["id"].to_numpy(np.int64)
    conv_solved = _ns(conversations["solved_at"]) if "solved_at" in available else np.full(conv_ids.size, NAT)

    row = pd.Index(conv_ids).get_indexer(messages["conversation_id"].to_numpy(np.int64))
    ts = _ns(messages["timestamp"])
    mid = messages["id"].to_numpy(np.int64)
    out = messages["from_me"].to_numpy(bool)
    if "sender_user_id" in available:
        sender, no_sender = _int_parts(messages["sender_user_id"])
    else:
        sender, no_sender = np.zeros(ts.size, np.int64), np.ones(ts.size, bool)
    known = (row >= 0) & (ts != NAT)
    if not known.all():
        row, ts, mid, out, sender, no_sender = (a[known] for a in (row, ts, mid, out, sender, no_sender))
    order = _message_order(row, ts, mid)
    row, ts, out, sender, no_sender = row[order], ts[order], out[order], sender[order], no_sender[order]
    n = ts.size

    # Cycle boundaries.
    solved = conv_solved[row]
    new = np.ones(n, dtype=bool)
    if n > 1:
        gap_ns = round(settings.session_gap * 1e9)
        after_solve = (solved[1:] != NAT) & (ts[:-1] <= solved[1:]) & (ts[1:] > solved[1:])
        new[1:] = (row[1:] != row[:-1]) | (ts[1:] - ts[:-1] > gap_ns) | after_solve
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)[:starts.size] - 1
    cycle = np.cumsum(new) - 1
    count = starts.size

    # Per-cycle reductions over the sorted messages.
    pos = np.arange(n)
    first_out = np.minimum.reduceat(np.where(out, pos, n), starts) if n else np.empty(0, np.int64)
    last_out = np.maximum.reduceat(np.where(out, pos, -1), starts) if n else np.empty(0, np.int64)
    first_in = np.minimum.reduceat(np.where(out, n, pos), starts) if n else np.empty(0, np.int64)
    messages_out = np.add.reduceat(out.astype(np.int64), starts) if n else np.empty(0, np.int64)
    messages_in = (ends - starts + 1) - messages_out
    start_ns = ts[starts]
    inbound = ~out[starts]
    has_out = first_out < n
    reply_pos = np.minimum(first_out, max(n - 1, 0))
    answered = inbound & has_out
    first_reply = np.where(answered, ts[reply_pos], NAT)
    agent = sender[reply_pos]
    no_agent = ~has_out | no_sender[reply_pos]
    first_inbound = np.where(first_in < n, ts[np.minimum(first_in, max(n - 1, 0))], NAT)
    ends_inbound = ~out[ends]
    pending_pos = np.where(last_out >= starts, last_out + 1, starts)
    unanswered_since = np.where(ends_inbound, ts[np.minimum(pending_pos, max(n - 1, 0))], NAT)

    conv_row = row[starts]
    conv_first = np.ones(count, dtype=bool)
    conv_first[1:] = conv_row[1:] != conv_row[:-1]
    is_last = np.append(conv_first[1:], True)[:count]
    seq = np.arange(count) - np.maximum.accumulate(np.where(conv_first, np.arange(count), 0)) + 1
    is_open = (conversations["status"].to_numpy(dtype=object, na_value="") == "open")[conv_row]
    state = np.where(~inbound, -1, np.where(has_out, 0, np.where(is_last & is_open, 2, 1)))

    solved_c = solved[starts]
    next_start = np.append(start_ns[1:], np.iinfo(np.int64).max)[:count]
    contains_solve = (solved_c != NAT) & (start_ns <= solved_c) & (is_last | (next_start > solved_c))
    resolved_at = np.where(contains_solve, solved_c, NAT)

    # Reply runs: an inbound message right after an outbound one in an inbound-initiated cycle.
    run = np.zeros(n, dtype=bool)
    if n > 1:
        run[1:] = ~out[1:] & out[:-1] & (cycle[1:] == cycle[:-1])
    run &= inbound[cycle]
    run_pos = np.flatnonzero(run)
    next_out = np.minimum.accumulate(np.where(out, pos, n)[::-1])[::-1]
    reply_at_pos = np.minimum(next_out[run_pos], max(n - 1, 0))
    run_answered = (next_out[run_pos] < n) & (cycle[reply_at_pos] == cycle[run_pos])
    run_start = ts[run_pos]
    replied_at = np.where(run_answered, ts[reply_at_pos], NAT)

    # Business-hours values: one clock covering every instant involved.
    clock = BusinessClock.covering(settings.business_hours, zone, ts, resolved_at)
    local = local_ns(ts, zone)
    start_local = local[starts]
    day = np.floor_divide(start_local, NS_PER_DAY)
    weekday = (day + 3) % 7

    cycles = pd.DataFrame({
        "cycle_id": np.arange(count, dtype=np.int64),
        "conversation_id": conv_ids[conv_row],
        "seq": seq.astype(np.int64),
        "is_last": is_last,
        "contact_id": _take(conversations["contact_id"], conv_row),
        "device_id": _take(conversations["device_id"], conv_row),
        "inbox_id": _take(conversations["inbox_id"], conv_row) if "inbox_id" in available
        else pd.arrays.IntegerArray(np.zeros(count, np.int64), np.ones(count, bool)),
        "is_group": conversations["is_group"].fillna(False).to_numpy(bool)[conv_row],
        "status": _take(conversations["status"], conv_row, "string"),
        "start": _utc(start_ns),
        "end": _utc(ts[ends]),
        "day": (day * NS_PER_DAY).view("datetime64[ns]"),
        "week": ((day - weekday) * NS_PER_DAY).view("datetime64[ns]"),
        "weekday": weekday.astype(np.int8),
        "hour": ((start_local - day * NS_PER_DAY) // NS_PER_HOUR).astype(np.int8),
        "initiator": pd.Categorical.from_codes(np.where(inbound, 0, 1), categories=INITIATORS),
        "state": pd.Categorical.from_codes(state, categories=STATES),
        "first_inbound_at": _utc(first_inbound),
        "first_reply_at": _utc(first_reply),
        "frt_s": wall_seconds(start_ns, first_reply),
        "frt_business_s": clock.seconds(start_ns, first_reply),
        "agent_id": pd.arrays.IntegerArray(np.where(no_agent, 0, agent), no_agent),
        "unanswered_since": _utc(unanswered_since),
        "messages_in": messages_in.astype(np.int64),
        "messages_out": messages_out.astype(np.int64),
        "solved_at": _utc(solved_c),
        "contains_solve": contains_solve,
        "resolution_s": wall_seconds(start_ns, resolved_at),
        "resolution_business_s": clock.seconds(start_ns, resolved_at),
    })
    no_run_agent = ~run_answered | no_sender[reply_at_pos]
    replies = pd.DataFrame({
        "reply_id": np.arange(run_pos.size, dtype=np.int64),
        "cycle_id": cycle[run_pos].astype(np.int64),
        "conversation_id": conv_ids[row[run_pos]],
        "run_start": _utc(run_start),
        "replied_at": _utc(replied_at),
        "wait_s": wall_seconds(run_start, replied_at),
        "wait_business_s": clock.seconds(run_start, replied_at),
        "agent_id": pd.arrays.IntegerArray(np.where(no_run_agent, 0, sender[reply_at_pos]), no_run_agent),
    })
    return Cycles(cycles=cycles, replies=replies,
                  inbound_cells=_inbound_cells(cycle, out, local),
                  agent_messages=_agent_messages(cycle, out, sender, no_sender),
                  conversations=conversations, settings=settings, available=available)


def _message_order(row: np.ndarray, ts: np.ndarray, mid: np.ndarray) -> np.ndarray:
    """The permutation sorting messages by (conversation, timestamp, id).

    Same result as `np.lexsort((mid, ts, row))`, about 3× faster on a million rows: one argsort of
    a packed (conversation, coarse timestamp) key, then a lexsort of only the runs of equal keys.
    """
    if ts.size < 2:
        return np.arange(ts.size)
    row_bits = max(int(row.max()), 1).bit_length()
    origin = int(ts.min())
    span = int(ts.max()) - origin
    shift = max(span.bit_length() - (62 - row_bits), 0)
    key = (row.astype(np.int64) << (62 - row_bits)) | ((ts - origin) >> shift)
    order = np.argsort(key)
    packed = key[order]
    tied = np.zeros(ts.size, dtype=bool)
    same = packed[1:] == packed[:-1]
    tied[1:] |= same
    tied[:-1] |= same
    if tied.any():
        at = np.flatnonzero(tied)
        group = order[at]
        order[at] = group[np.lexsort((mid[group], ts[group], packed[at]))]
    return order


def _inbound_cells(cycle: np.ndarray, out: np.ndarray, local: np.ndarray) -> pd.DataFrame:
    """Inbound messages per (cycle, local weekday, local hour)."""
    local_in = local[~out]
    day = np.floor_divide(local_in, NS_PER_DAY)
    cell = ((day + 3) % 7) * 24 + (local_in - day * NS_PER_DAY) // NS_PER_HOUR
    keys, counts = np.unique(cycle[~out] * 168 + cell, return_counts=True)
    return pd.DataFrame({"cycle_id": keys // 168, "weekday": (keys % 168 // 24).astype(np.int8),
                         "hour": (keys % 24).astype(np.int8), "messages": counts.astype(np.int64)})


def _agent_messages(cycle: np.ndarray, out: np.ndarray, sender: np.ndarray, no_sender: np.ndarray) -> pd.DataFrame:
    """Outgoing messages per (cycle, agent), for messages whose sender is known."""
    sent = out & ~no_sender
    agents, code = np.unique(sender[sent], return_inverse=True)
    width = max(agents.size, 1)
    keys, counts = np.unique(cycle[sent] * width + code, return_counts=True)
    return pd.DataFrame({"cycle_id": keys // width,
                         "agent_id": pd.array(agents[keys % width] if agents.size else np.empty(0, np.int64),
                                              dtype="Int64"),
                         "messages": counts.astype(np.int64)})


def _ns(series: pd.Series) -> np.ndarray:
    """UTC nanoseconds of a datetime column (NaT as pandas' NaT integer)."""
    values = pd.DatetimeIndex(series)
    if values.tz is None:
        values = values.tz_localize("UTC")
    return values.tz_convert("UTC").as_unit("ns").asi8


def _int_parts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values with NA as 0, NA mask) of an integer column."""
    values = pd.array(series, dtype="Int64")
    return values.to_numpy(np.int64, na_value=0), values.isna()


def _take(series: pd.Series, positions: np.ndarray, dtype: str = "Int64") -> Any:
    return pd.array(series, dtype=dtype).take(positions)


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]")).tz_localize("UTC")
