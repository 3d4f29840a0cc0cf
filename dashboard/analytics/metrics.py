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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from dashboard.analytics.business_hours import BusinessClock, wall_seconds
from dashboard.analytics.cycles import Cycles

Breakdown = Literal["device", "inbox", "agent"]
Period = Literal["day", "week"]
KEY_COLUMN = {"device": "device_id", "inbox": "inbox_id", "agent": "agent_id"}
DURATION_COLUMN = {("frt", False): "frt_s", ("frt", True): "frt_business_s",
                   ("resolution", False): "resolution_s", ("resolution", True): "resolution_business_s",
                   ("reply", False): "wait_s", ("reply", True): "wait_business_s"}
# FRT distribution: (label, upper bound in seconds, inclusive); the last bucket is unbounded.
FRT_BUCKETS = (("0–1m", 60), ("1–5m", 300), ("5–15m", 900), ("15–60m", 3600), ("1–4h", 4 * 3600),
               ("4–24h", 24 * 3600), (">24h", np.inf))
UNANSWERED = "unanswered"
CARD_KEYS = ("cycles", "inbound_cycles", "outbound_cycles", "messages_in", "messages_out", "contacts", "solved",
             "frt", "frt_within", "unanswered", "reply", "resolution", "automated", "automated_share")
DRILL_METRICS = CARD_KEYS + ("inbound_messages",)
RESPONSE_METRICS = ("frt", "frt_within", "unanswered", "reply", "resolution", "automated", "automated_share")
# Only the latest solve of a conversation is known: comparing solved counts between periods misleads.
NO_CHANGE_CARDS = frozenset({"solved"})


@dataclass(frozen=True)
class Missing:
    """A metric that cannot be computed because the service did not return `input`."""

    input: str
    metric: str

    def __str__(self) -> str:
        return f"{self.metric}: not available, the service does not return {self.input}"


@dataclass(frozen=True)
class Filters:
    """Combinable filters. Sets of ids may contain None for "none" (unassigned inbox, no agent).

    `start`/`end` are inclusive local dates of the cycle start. `include_groups` only concerns
    response metrics: volume and heatmap always count group chats. `count_automated`: automated
    outbound messages (no sender) count as replies; by default only human ones do.
    """

    start: date | None = None
    end: date | None = None
    device_ids: frozenset[int | None] | None = None
    inbox_ids: frozenset[int | None] | None = None
    agent_ids: frozenset[int | None] | None = None
    include_groups: bool = False
    count_automated: bool = False

    @property
    def suffix(self) -> str:
        """The suffix of the response columns and reply table these filters read ("" or "_any")."""
        return "_any" if self.count_automated else ""

    def __post_init__(self) -> None:
        for name in ("device_ids", "inbox_ids", "agent_ids"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, frozenset(getattr(self, name)))
        if self.start and self.end and self.end < self.start:
            raise ValueError("the date range ends before it starts")

    def previous(self) -> Filters | None:
        """The same filters over the previous period of equal length (None without a full range)."""
        if self.start is None or self.end is None:
            return None
        length = (self.end - self.start).days + 1
        return replace(self, start=self.start - timedelta(days=length), end=self.start - timedelta(days=1))


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Summary:
    """Aggregates of one duration metric, in seconds. `within_target` is a share in [0, 1]."""

    count: int
    median: float | None
    p90: float | None
    mean: float | None
    within_target: float | None
    target: float


@dataclass(frozen=True)
class Card:
    """A headline number and the same number over the previous period of equal length."""

    key: str
    value: float | None
    previous: float | None = None
    summary: Summary | None = None
    previous_summary: Summary | None = None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_ratio(self) -> float | None:
        """Relative change against the previous period (None when that was zero or unknown)."""
        change = self.change
        return None if change is None or not self.previous else change / self.previous


@dataclass(frozen=True)
class Table:
    """A table of metrics; columns whose input is missing are left out and named in `missing`."""

    frame: pd.DataFrame
    missing: dict[str, Missing] = field(default_factory=dict)


def summarise(values: np.ndarray | pd.Series, target: float) -> Summary:
    """Count, median, p90 (linear interpolation), mean and share ≤ target of the non-NaN values."""
    values = np.asarray(values, dtype=float)
    return _to_summary(grouped_stats(np.zeros(values.size, dtype=np.int64), values, 1, target), target)


# --- filtering -----------------------------------------------------------------------------------


def filter_problem(data: Cycles, filters: Filters) -> Missing | None:
    """The missing input a filter needs, if any."""
    if filters.agent_ids is not None and "sender_user_id" not in data.available:
        return Missing("sender_user_id", "agent filter")
    if filters.inbox_ids is not None and "inbox_id" not in data.available:
        return Missing("inbox_id", "inbox filter")
    return None


class _Arrays:
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
        self.keys = {column: _key_ints(cycles[column])
                     for column in ("device_id", "inbox_id", "agent_id", "agent_id_any")}
        self.contact = _key_ints(cycles["contact_id"])
        self.messages_in = cycles["messages_in"].to_numpy()
        self.messages_out = cycles["messages_out"].to_numpy()
        self.contains_solve = cycles["contains_solve"].to_numpy()
        self.open_last = cycles["is_last"].to_numpy() & (cycles["status"] == "open").fillna(False).to_numpy(bool)
        self.reply_cycle = {suffix: _replies(data, suffix)["cycle_id"].to_numpy() for suffix in _SUFFIXES}
        self.reply_agent = {suffix: _key_ints(_replies(data, suffix)["agent_id"]) for suffix in _SUFFIXES}
        self.sent_cycle = sent["cycle_id"].to_numpy()
        self.sent_agent = _key_ints(sent["agent_id"])
        self.sent_messages = sent["messages"].to_numpy()


_SUFFIXES = ("", "_any")


def _replies(data: Cycles, suffix: str) -> pd.DataFrame:
    return data.replies_any if suffix else data.replies


def _key_column(by: Breakdown, filters: Filters) -> str:
    return KEY_COLUMN[by] + (filters.suffix if by == "agent" else "")


def _frt_column(business: bool, filters: Filters) -> str:
    return DURATION_COLUMN["frt", business] + filters.suffix


def _arrays(data: Cycles) -> _Arrays:
    if "arrays" not in data.cache:
        data.cache["arrays"] = _Arrays(data)
    return data.cache["arrays"]


def _day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def cycle_mask(data: Cycles, filters: Filters, *, response: bool = False, agent: bool = True) -> np.ndarray:
    """Which cycles pass the filters (the response subset drops group chats unless included)."""
    arrays = _arrays(data)
    keep = np.ones(arrays.day.size, dtype=bool)
    if filters.start is not None:
        keep &= arrays.day >= _day_number(filters.start)
    if filters.end is not None:
        keep &= arrays.day <= _day_number(filters.end)
    if filters.device_ids is not None:
        keep &= _isin(arrays.keys["device_id"], filters.device_ids)
    if filters.inbox_ids is not None:
        keep &= _isin(arrays.keys["inbox_id"], filters.inbox_ids)
    if agent and filters.agent_ids is not None:
        keep &= _isin(arrays.keys[_key_column("agent", filters)], filters.agent_ids)
    if response and not filters.include_groups:
        keep &= ~arrays.is_group
    return keep


def reply_mask(data: Cycles, filters: Filters) -> np.ndarray:
    """Which reply runs pass: their cycle passes the response filters; the agent is the reply's."""
    arrays = _arrays(data)
    keep = cycle_mask(data, filters, response=True, agent=False)[arrays.reply_cycle[filters.suffix]]
    if filters.agent_ids is not None:
        keep &= _isin(arrays.reply_agent[filters.suffix], filters.agent_ids)
    return keep


def _isin(keys: np.ndarray | pd.Series, wanted: Iterable[int | None]) -> np.ndarray:
    """Membership of ids (int64 with NA as `_NA_KEY`, or an Int64 column); None in `wanted` means NA."""
    if isinstance(keys, pd.Series):
        keys = _key_ints(keys)
    wanted = set(wanted)
    ids = np.array([_NA_KEY if k is None else k for k in wanted], dtype=np.int64)
    return np.isin(keys, ids)


# --- durations -----------------------------------------------------------------------------------


def frt_summary(data: Cycles, filters: Filters = NO_FILTERS, business: bool = False) -> Summary | Missing:
    """First response time of the inbound-initiated, answered cycles (response subset)."""
    if problem := filter_problem(data, filters):
        return problem
    return _summary(data, "cycles", _frt_column(business, filters), cycle_mask(data, filters, response=True),
                    data.settings.targets.frt)


def automated_summary(data: Cycles, filters: Filters = NO_FILTERS, business: bool = False) -> Summary | Missing:
    """Time from the start of an inbound-initiated cycle to its first automated message (response
    subset), against the FRT target. `count` is the number of cycles that got one."""
    if "sender_user_id" not in data.available:
        return Missing("sender_user_id", "automated replies")
    if problem := filter_problem(data, filters):
        return problem
    column = "auto_business_s" if business else "auto_s"
    return _summary(data, "cycles", column, cycle_mask(data, filters, response=True), data.settings.targets.frt)


def reply_summary(data: Cycles, filters: Filters = NO_FILTERS, business: bool = False) -> Summary | Missing:
    """Reply time: one value per answered run of inbound messages after the first reply."""
    if problem := filter_problem(data, filters):
        return problem
    return _summary(data, _replies_name(filters), DURATION_COLUMN["reply", business], reply_mask(data, filters),
                    data.settings.targets.reply)


def _replies_name(filters: Filters) -> Literal["replies", "replies_any"]:
    return "replies_any" if filters.count_automated else "replies"


def resolution_summary(data: Cycles, filters: Filters = NO_FILTERS, business: bool = False) -> Summary | Missing:
    """Resolution time: `solved_at` minus the start of the cycle containing it (response subset)."""
    if "solved_at" not in data.available:
        return Missing("solved_at", "resolution time")
    if problem := filter_problem(data, filters):
        return problem
    return _summary(data, "cycles", DURATION_COLUMN["resolution", business], cycle_mask(data, filters, response=True),
                    data.settings.targets.resolution)


def _summary(data: Cycles, table: Literal["cycles", "replies", "replies_any"], column: str, keep: np.ndarray,
             target: float) -> Summary:
    return _to_summary(_column_stats(data, table, column, keep, None, 1, target), target)


def _to_summary(stats: dict[str, np.ndarray], target: float) -> Summary:
    if not stats["count"][0]:
        return Summary(0, None, None, None, None, target)
    return Summary(int(stats["count"][0]), float(stats["median"][0]), float(stats["p90"][0]),
                   float(stats["mean"][0]), float(stats["within"][0]), target)


# --- headline cards --------------------------------------------------------------------------------


def headline(data: Cycles, filters: Filters = NO_FILTERS, business: bool = False) -> dict[str, Card | Missing]:
    """The headline cards (`CARD_KEYS`), each with its value over the previous period of equal length
    (none for solved, see `NO_CHANGE_CARDS`).

    Counts are cycles started / messages / distinct contacts / solved (cycles containing the
    conversation's `solved_at`) in the activity subset; frt, reply and resolution are medians (their
    `summary` holds count, p90, mean and % within target); frt_within is the share of answered
    cycles within the FRT target; unanswered counts missed and waiting cycles (response subset);
    automated is the median time to the first automated message, automated_share the share of
    customer-initiated cycles (response subset) that got one.
    """
    if problem := filter_problem(data, filters):
        return dict.fromkeys(CARD_KEYS, problem)
    current = _card_values(data, filters, business)
    earlier = filters.previous()
    before = _card_values(data, earlier, business) if earlier else {}
    cards: dict[str, Card | Missing] = {}
    for key, (value, summary) in current.items():
        if isinstance(value, Missing):
            cards[key] = value
            continue
        previous, previous_summary = (None, None) if key in NO_CHANGE_CARDS else before.get(key, (None, None))
        cards[key] = Card(key, value, previous, summary, previous_summary)
    return cards


def _card_values(data: Cycles, filters: Filters, business: bool) -> dict[str, tuple]:
    arrays = _arrays(data)
    activity = cycle_mask(data, filters)
    response = cycle_mask(data, filters, response=True)
    inbound, unanswered = arrays.inbound, arrays.unanswered[filters.suffix]
    frt = frt_summary(data, filters, business)
    automated = automated_summary(data, filters, business)
    customer = int((response & inbound).sum())
    reply = reply_summary(data, filters, business)
    resolution = resolution_summary(data, filters, business)
    contacts = arrays.contact[activity]
    values: dict[str, tuple] = {
        "cycles": (int(activity.sum()), None),
        "inbound_cycles": (int((activity & inbound).sum()), None),
        "outbound_cycles": (int((activity & ~inbound).sum()), None),
        "messages_in": (int(arrays.messages_in[activity].sum()), None),
        "messages_out": (int(messages_out(data, filters).sum()), None),
        "contacts": (int(_distinct(contacts[contacts != _NA_KEY]).size), None),
        "solved": ((int(arrays.contains_solve[activity].sum()), None)
                   if "solved_at" in data.available else (Missing("solved_at", "conversations solved"), None)),
        "frt": (frt.median, frt),
        "frt_within": (frt.within_target, frt),
        "unanswered": (int((response & unanswered).sum()), None),
        "reply": (reply.median, reply),
        "resolution": (resolution, None) if isinstance(resolution, Missing) else (resolution.median, resolution),
        "automated": (automated, None) if isinstance(automated, Missing) else (automated.median, automated),
        "automated_share": (automated, None) if isinstance(automated, Missing)
        else (automated.count / customer if customer else None, automated),
    }
    return values


# --- series, heatmap, distribution -------------------------------------------------------------------


def volume(data: Cycles, filters: Filters = NO_FILTERS, period: Period = "day") -> Table | Missing:
    """Per local day or week (Monday) of cycle start: cycles (inbound/outbound-initiated), messages
    in/out, distinct contacts and conversations solved, over every period of the date range (zeros
    included; without a range, from the first to the last period with data). Weekly rows say how
    many of their days fall inside the range (`days`)."""
    if problem := filter_problem(data, filters):
        return problem
    arrays = _arrays(data)
    keep = cycle_mask(data, filters)
    sent = messages_out(data, filters)
    first, size = _period_span(arrays, cycle_mask(data, filters, agent=False), filters, period)
    code = _period_codes(arrays, period, first, size)
    frame = pd.DataFrame({period: _period_starts(first, size, period)})

    def count(rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(code[rows], weights=None if weights is None else weights[rows],
                           minlength=size).astype(np.int64)

    frame["cycles"] = count(keep)
    frame["inbound_cycles"] = count(keep & arrays.inbound)
    frame["outbound_cycles"] = frame["cycles"] - frame["inbound_cycles"]
    frame["messages_in"] = count(keep, arrays.messages_in)
    frame["messages_out"] = count(sent > 0, sent)
    with_contact = keep & (arrays.contact != _NA_KEY)
    width = int(arrays.contact[with_contact].max(initial=0)) + 1  # distinct (period, contact) pairs
    pairs = _distinct(code[with_contact] * width + arrays.contact[with_contact])
    frame["contacts"] = np.bincount(pairs // width, minlength=size).astype(np.int64)
    missing = {}
    if "solved_at" in data.available:
        frame["solved"] = count(keep & arrays.contains_solve)
    else:
        missing["solved"] = Missing("solved_at", "conversations solved")
    if period == "week":
        frame.insert(1, "days", _days_in_range(frame["week"].to_numpy(), filters))
    return Table(frame, missing)


def trends(data: Cycles, filters: Filters = NO_FILTERS, period: Period = "day",
           business: bool = False) -> Table | Missing:
    """`volume` plus, per period of cycle start, unanswered cycles and count, median, p90, mean and
    within (share) of frt, reply (by the reply's cycle) and resolution (response subset)."""
    table = volume(data, filters, period)
    if isinstance(table, Missing):
        return table
    frame, missing = table.frame.copy(), dict(table.missing)
    arrays = _arrays(data)
    size = len(frame)
    first = _day_number(frame[period].iloc[0].date()) if size else 0
    codes = _period_codes(arrays, period, first, size)
    response = cycle_mask(data, filters, response=True)
    frame["unanswered"] = np.bincount(codes[response & arrays.unanswered[filters.suffix]],
                                      minlength=size).astype(np.int64)
    targets = data.settings.targets
    durations = [("frt", "cycles", codes, response, targets.frt),
                 ("reply", _replies_name(filters), codes[arrays.reply_cycle[filters.suffix]],
                  reply_mask(data, filters), targets.reply)]
    if "solved_at" in data.available:
        durations.append(("resolution", "cycles", codes, response, targets.resolution))
    else:
        missing.update({f"resolution_{s}": Missing("solved_at", "resolution time") for s in _STATS})
    for prefix, table_name, group_codes, keep, target in durations:
        column = _frt_column(business, filters) if prefix == "frt" else DURATION_COLUMN[prefix, business]
        stats = _column_stats(data, table_name, column, keep, group_codes, size, target)
        for stat, column in stats.items():
            frame[f"{prefix}_{stat}"] = column
    return Table(frame, missing)


def _period_span(arrays: _Arrays, rows: np.ndarray, filters: Filters, period: Period) -> tuple[int, int]:
    """(first period as a day number, number of periods): the date range's, else the data's."""
    days = arrays.day[rows]
    first = _day_number(filters.start) if filters.start else (int(days.min()) if days.size else None)
    last = _day_number(filters.end) if filters.end else (int(days.max()) if days.size else None)
    if first is None or last is None:
        return 0, 0
    if period == "week":
        first -= (first + 3) % 7  # back to Monday
        return first, (last - first) // 7 + 1
    return first, last - first + 1


def _period_codes(arrays: _Arrays, period: Period, first: int, size: int) -> np.ndarray:
    """Each cycle's period index (clipped to the span; rows outside it are masked out by callers)."""
    codes = (arrays.week - first) // 7 if period == "week" else arrays.day - first
    return np.clip(codes, 0, max(size - 1, 0))


def _period_starts(first: int, size: int, period: Period) -> np.ndarray:
    step = 7 if period == "week" else 1
    return (np.arange(size, dtype=np.int64) * step + first).astype("datetime64[D]").astype("datetime64[ns]")


def _days_in_range(weeks: np.ndarray, filters: Filters) -> np.ndarray:
    """Days of each week inside the date range (7 without a range)."""
    day = np.timedelta64(1, "D")
    first = np.maximum(weeks, np.datetime64(filters.start, "ns")) if filters.start else weeks
    last = np.minimum(weeks + 6 * day, np.datetime64(filters.end, "ns")) if filters.end else weeks + 6 * day
    return ((last - first) // day + 1).astype(np.int64)


def heatmap(data: Cycles, filters: Filters = NO_FILTERS) -> pd.DataFrame | Missing:
    """Inbound messages by their own local weekday and hour, counting the messages inside the date
    range (whenever their cycle started), and cycles started in the range by the start's weekday and
    hour; device, inbox and agent filters apply through each message's cycle. 168 rows, weekday
    0 = Monday, hour 0–23."""
    if problem := filter_problem(data, filters):
        return problem
    keep = cycle_mask(data, filters)
    cycles = data.cycles
    started = cycles["weekday"].to_numpy(np.int64)[keep] * 24 + cycles["hour"].to_numpy(np.int64)[keep]
    cells = data.inbound_cells
    in_range = _cells_in_range(data, filters)
    cell = cells["weekday"].to_numpy(np.int64)[in_range] * 24 + cells["hour"].to_numpy(np.int64)[in_range]
    grid = np.arange(168)
    return pd.DataFrame({
        "weekday": (grid // 24).astype(np.int8), "hour": (grid % 24).astype(np.int8),
        "inbound_messages": np.bincount(cell, weights=cells["messages"].to_numpy()[in_range],
                                        minlength=168).astype(np.int64),
        "cycles_started": np.bincount(started, minlength=168),
    })


def _cells_in_range(data: Cycles, filters: Filters) -> np.ndarray:
    """Which `inbound_cells` rows count: local day of the messages in the date range, cycle passing
    the other filters."""
    cells = data.inbound_cells
    keep = cycle_mask(data, replace(filters, start=None, end=None))[cells["cycle_id"].to_numpy()]
    day = cells["day"].to_numpy()
    if filters.start is not None:
        keep &= day >= np.datetime64(filters.start, "ns")
    if filters.end is not None:
        keep &= day <= np.datetime64(filters.end, "ns")
    return keep


def frt_distribution(data: Cycles, filters: Filters = NO_FILTERS, business: bool = False) -> pd.DataFrame | Missing:
    """Answered cycles per FRT bucket (upper bounds inclusive, so "1–5m" is (60 s, 300 s]) and the
    unanswered (missed or waiting) inbound-initiated cycles, response subset."""
    if problem := filter_problem(data, filters):
        return problem
    cycles = data.cycles
    keep = cycle_mask(data, filters, response=True)
    values = cycles[_frt_column(business, filters)].to_numpy()[keep]
    values = values[~np.isnan(values)]
    uppers = np.array([upper for _, upper in FRT_BUCKETS])
    counts = np.bincount(np.searchsorted(uppers, values, side="left"), minlength=len(FRT_BUCKETS))
    unanswered = int((keep & _arrays(data).unanswered[filters.suffix]).sum())
    lowers = np.concatenate(([0.0], uppers[:-1]))
    return pd.DataFrame({
        "bucket": [label for label, _ in FRT_BUCKETS] + [UNANSWERED],
        "lower_s": np.append(lowers, np.nan), "upper_s": np.append(uppers, np.nan),
        "cycles": np.append(counts, unanswered).astype(np.int64),
    })


# --- tables per device / inbox / agent -------------------------------------------------------------


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
    arrays = _arrays(data)
    key = _key_column(by, filters)
    activity = cycle_mask(data, filters)
    response = cycle_mask(data, filters, response=True)
    keys = arrays.keys[key]
    sent = messages_out(data, filters)
    if by == "agent":
        sent_keys, sent_counts = _messages_out_by_sender(data, filters)
    else:
        sent_keys, sent_counts = keys[sent > 0], sent[sent > 0]
    reply_keep = reply_mask(data, filters)
    reply_keys = arrays.reply_agent[filters.suffix] if by == "agent" else keys[arrays.reply_cycle[filters.suffix]]
    universe, (codes, reply_codes, sent_codes) = _dense_codes(
        [keys, reply_keys, sent_keys], [activity | response, reply_keep, np.ones(sent_keys.size, bool)])
    size = universe.size

    def count(keep: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(codes[keep], weights=None if weights is None else weights[keep],
                           minlength=size).astype(np.int64)

    columns: dict[str, object] = {KEY_COLUMN[by]: pd.arrays.IntegerArray(np.where(universe == _NA_KEY, 0, universe),
                                                               universe == _NA_KEY)}
    columns["cycles"] = count(activity)
    columns["inbound_cycles"] = count(activity & arrays.inbound)
    columns["outbound_cycles"] = columns["cycles"] - columns["inbound_cycles"]
    columns["messages_in"] = count(activity, arrays.messages_in)
    columns["messages_out"] = np.bincount(sent_codes, weights=sent_counts, minlength=size).astype(np.int64)
    columns["unanswered"] = count(response & arrays.unanswered[filters.suffix])
    targets = data.settings.targets
    durations = [("frt", "cycles", codes, response, targets.frt),
                 ("reply", _replies_name(filters), reply_codes, reply_keep, targets.reply)]
    missing = {}
    if "solved_at" in data.available:
        durations.append(("resolution", "cycles", codes, response, targets.resolution))
    else:
        missing.update({f"resolution_{s}": Missing("solved_at", "resolution time") for s in _STATS})
    for prefix, table, group_codes, keep, target in durations:
        column = _frt_column(business, filters) if prefix == "frt" else DURATION_COLUMN[prefix, business]
        stats = _column_stats(data, table, column, keep, group_codes, size, target)
        for stat, column in stats.items():
            columns[f"{prefix}_{stat}"] = column
    table = pd.DataFrame(columns)
    if by == "device":
        names = data.conversations.drop_duplicates("device_id", keep="last").set_index("device_id")["device_name"]
        table.insert(1, "device_name", table[KEY_COLUMN[by]].map(names).astype("string"))
    return Table(table, missing)


_STATS = ("count", "median", "p90", "mean", "within")
_NA_KEY = np.iinfo(np.int64).max  # NA ids sort last


def _key_ints(column: pd.Series) -> np.ndarray:
    """An id column as int64 with NA as `_NA_KEY`."""
    values = pd.array(column, dtype="Int64")
    return values.to_numpy(np.int64, na_value=_NA_KEY)


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of non-negative ints, sorted (a bitmap when they are small enough)."""
    if values.size and values.min() >= 0 and values.max() < 1 << 26:
        return np.flatnonzero(np.bincount(values))
    return np.unique(values)


def _dense_codes(keys: list[np.ndarray], used: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sorted ids used anywhere (NA as `_NA_KEY`, last) and each key array as indexes into them.

    Rows not `used` get some valid index; callers mask them out.
    """
    present = np.concatenate([k[u] for k, u in zip(keys, used, strict=True)])
    has_na = bool((present == _NA_KEY).any())
    ids = present[present != _NA_KEY]
    if ids.size and (ids.min() < 0 or ids.max() > 1 << 24):
        universe = np.unique(present)
        return universe, [np.minimum(np.searchsorted(universe, k), universe.size - 1) for k in keys]
    top = int(ids.max(initial=0))
    ids = np.flatnonzero(np.bincount(ids, minlength=top + 1))
    universe = np.append(ids, _NA_KEY) if has_na else ids
    lookup = np.zeros(top + 2, dtype=np.int64)
    lookup[ids] = np.arange(ids.size)
    lookup[top + 1] = ids.size if has_na else 0
    return universe, [lookup[np.where((k == _NA_KEY) | (k < 0) | (k > top), top + 1, k)] for k in keys]


def grouped_stats(codes: np.ndarray, values: np.ndarray, groups: int, target: float) -> dict[str, np.ndarray]:
    """count, median, p90, mean and within (share ≤ target) of the non-NaN values per group code.

    Quantiles interpolate linearly between order statistics, as `numpy.quantile`'s default does.
    Groups without values get count 0 and NaN elsewhere.
    """
    order = np.argsort(values, kind="stable")
    order = order[~np.isnan(values[order])]
    return sorted_group_stats(codes[order], values[order], groups, target)


def sorted_group_stats(codes: np.ndarray, values: np.ndarray, groups: int, target: float) -> dict[str, np.ndarray]:
    """`grouped_stats` of values already in ascending order (no NaN)."""
    if groups > 1:
        # A stable sort by group keeps values ascending within each group (radix sort for small codes).
        by_group = np.argsort(codes.astype(np.uint16) if groups <= 65_535 else codes, kind="stable")
        codes, values = codes[by_group], values[by_group]
    count = np.bincount(codes, minlength=groups)
    offset = np.concatenate(([0], np.cumsum(count)[:-1]))
    present = count > 0
    last = max(values.size - 1, 0)

    def quantile(q: float) -> np.ndarray:
        if values.size == 0:
            return np.full(groups, np.nan)
        position = (count - 1) * q
        below = np.floor(position).astype(np.int64)
        fraction = position - below
        lo = values[np.clip(offset + below, 0, last)]
        hi = values[np.clip(offset + np.minimum(below + 1, count - 1), 0, last)]
        # numpy's lerp, so that results equal numpy.quantile's to the last bit
        step = hi - lo
        value = np.where(fraction >= 0.5, hi - step * (1 - fraction), lo + step * fraction)
        return np.where(present, np.where(step == 0, lo, value), np.nan)

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(codes, weights=values, minlength=groups) / count
        within = np.bincount(codes, weights=values <= target, minlength=groups) / count
    return {"count": count.astype(np.int64), "median": quantile(0.5), "p90": quantile(0.9),
            "mean": np.where(present, mean, np.nan), "within": np.where(present, within, np.nan)}


def _column_stats(data: Cycles, table: Literal["cycles", "replies", "replies_any"], column: str, keep: np.ndarray,
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
    arrays = _arrays(data)
    base = cycle_mask(data, filters, agent=False)
    total = arrays.messages_out
    if filters.agent_ids is None:
        return np.where(base, total, 0)
    cycle_ids, counts = arrays.sent_cycle, arrays.sent_messages
    mine = _isin(arrays.sent_agent, filters.agent_ids - {None})
    result = np.bincount(cycle_ids[mine], weights=counts[mine], minlength=total.size).astype(np.int64)
    if None in filters.agent_ids:
        result += total - np.bincount(cycle_ids, weights=counts, minlength=total.size).astype(np.int64)
    return np.where(base, result, 0).astype(np.int64)


def _messages_out_by_sender(data: Cycles, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
    """(sender ids with NA as `_NA_KEY`, outgoing messages) in the cycles passing the non-agent filters."""
    arrays = _arrays(data)
    keep = cycle_mask(data, filters, agent=False)[arrays.sent_cycle]
    if filters.agent_ids is not None:
        keep &= _isin(arrays.sent_agent, filters.agent_ids)
    keys = arrays.sent_agent[keep]
    counts = arrays.sent_messages[keep]
    if filters.agent_ids is None or None in filters.agent_ids:
        without = int(messages_out(data, replace(filters, agent_ids=frozenset({None}))).sum())
        if without:
            keys, counts = np.append(keys, _NA_KEY), np.append(counts, without)
    return keys, counts


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


# --- waiting now ---------------------------------------------------------------------------------------


def waiting_now(data: Cycles, now: pd.Timestamp, filters: Filters = NO_FILTERS,
                business: bool = False) -> pd.DataFrame | Missing:
    """Open conversations waiting for a reply: active waits first, each part longest wait first.

    Waiting since the first inbound message after the last reply of the conversation's last cycle (its
    first message when nobody replied); by default only human replies end a wait, so a conversation
    whose last message is an automated one after the customer's still waits. `stale`: the wait
    began longer ago than the session gap (an abandoned chat, outside the WhatsApp window); `breach`:
    an active wait (wall-clock or business) over the FRT target. The date range does not apply;
    device, inbox, agent (the last cycle's) and group filters do (groups excluded by default).
    """
    if problem := filter_problem(data, filters):
        return problem
    cycles = data.cycles
    undated = replace(filters, start=None, end=None)
    since_column = f"unanswered_since{filters.suffix}"
    keep = cycle_mask(data, undated, response=True) & _arrays(data).open_last
    keep &= cycles[since_column].notna().to_numpy()
    agent_column = _key_column("agent", filters)
    rows = cycles.loc[keep, ["conversation_id", "cycle_id", "contact_id", "device_id", "inbox_id", "is_group",
                             agent_column, "end", since_column]]  # only these: copying every column is slow
    since = rows[since_column].array.asi8
    now_ns = np.full(since.size, pd.Timestamp(now).tz_convert("UTC").as_unit("ns").value)
    clock = BusinessClock.covering(data.settings.business_hours, data.settings.zone, since, now_ns[:1])
    wall = np.maximum(wall_seconds(since, now_ns), 0)  # a message stamped after `now`: not waiting yet
    busy = np.maximum(clock.seconds(since, now_ns), 0)
    frame = _with_names(data, rows)[["conversation_id", "cycle_id", "contact_id", "contact_name", "contact_phone",
                                     "device_id", "device_name", "inbox_id", "is_group"]]
    frame["agent_id"] = rows[agent_column]
    position = conversation_positions(data, rows["conversation_id"].to_numpy())
    frame["unread"] = pd.array(data.conversations["unread"], dtype="Int64").take(position)
    frame["last_message_at"] = rows["end"]
    frame["waiting_since"] = rows[since_column]
    frame["waiting_s"] = wall
    frame["waiting_business_s"] = busy
    frame["stale"] = wall > data.settings.session_gap
    frame["breach"] = ~frame["stale"].to_numpy() & ((busy if business else wall) > data.settings.targets.frt)
    sort = "waiting_business_s" if business else "waiting_s"
    return frame.sort_values(["stale", sort, "waiting_s", "conversation_id"], ascending=[True, False, False, True],
                             kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Backlog:
    """Waiting now in numbers: SLA figures over active waits only, stale ones counted apart."""

    active: int
    over_target: int
    longest_s: float | None
    median_s: float | None
    stale: int


def backlog(waiting: pd.DataFrame, business: bool = False) -> Backlog:
    """The figures of a `waiting_now` frame, durations in the mode it was computed in."""
    active = waiting[~waiting["stale"].to_numpy(bool)]
    values = active["waiting_business_s" if business else "waiting_s"].to_numpy(float)
    return Backlog(len(active), int(active["breach"].sum()), float(values.max()) if values.size else None,
                   float(np.median(values)) if values.size else None, len(waiting) - len(active))


# --- drill-down ---------------------------------------------------------------------------------------


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
        keep &= _isin(cycles[_key_column(by, filters)], {key})
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
        hit &= _cells_in_range(data, filters)
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
        value = cycles[_frt_column(business, filters)].to_numpy()
        keep &= ~np.isnan(value)
        if bucket is not None:
            keep &= _in_bucket(value, bucket)
        if metric == "frt_within":
            contribution = (value <= data.settings.targets.frt).astype(np.int64)
    elif metric == "unanswered":
        keep &= _arrays(data).unanswered[filters.suffix]
    elif metric in ("automated", "automated_share"):
        value = cycles["auto_business_s" if business else "auto_s"].to_numpy()
        keep &= ~np.isnan(value)
    elif metric == "reply":
        replies = _replies(data, filters.suffix)
        counted = reply_mask(data, filters) & ~np.isnan(replies[DURATION_COLUMN["reply", business]].to_numpy())
        if by == "agent":
            counted &= _isin(replies["agent_id"], {key})
        contribution = np.bincount(replies["cycle_id"].to_numpy()[counted], minlength=len(cycles))
    elif metric == "resolution":
        value = cycles[DURATION_COLUMN["resolution", business]].to_numpy()
        keep &= ~np.isnan(value)
    if metric in ("messages_in", "messages_out", "inbound_messages", "reply"):
        keep &= contribution > 0
    rows = cycles[keep]
    frame = _with_names(data, rows)
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


def conversation_positions(data: Cycles, conversation_ids: np.ndarray) -> np.ndarray:
    """The rows of `data.conversations` holding these conversation ids (the index is built once)."""
    if "conversation_index" not in data.cache:
        data.cache["conversation_index"] = pd.Index(data.conversations["id"].to_numpy(np.int64))
    return data.cache["conversation_index"].get_indexer(conversation_ids)


def _with_names(data: Cycles, rows: pd.DataFrame) -> pd.DataFrame:
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

