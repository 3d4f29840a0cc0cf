"""Volume and trends per day or week, the traffic heatmap (by each inbound message's own time) and the
first-response distribution.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from dashboard.analytics.cycles import Cycles
from dashboard.analytics.metrics.model import (
    DURATION_COLUMN,
    FRT_BUCKETS,
    NO_FILTERS,
    UNANSWERED,
    Filters,
    Missing,
    Period,
    Table,
)
from dashboard.analytics.metrics.selection import (
    CycleArrays,
    column_stats,
    cycle_arrays,
    cycle_mask,
    day_number,
    filter_problem,
    frt_column,
    messages_out,
    replies_name,
    reply_mask,
)
from dashboard.analytics.metrics.stats import NA_KEY, STATS, distinct


def volume(data: Cycles, filters: Filters = NO_FILTERS, period: Period = "day") -> Table | Missing:
    """Per local day or week (Monday) of cycle start: cycles (inbound/outbound-initiated), messages
    in/out, distinct contacts and conversations solved, over every period of the date range (zeros
    included; without a range, from the first to the last period with data). Weekly rows say how
    many of their days fall inside the range (`days`)."""
    if problem := filter_problem(data, filters):
        return problem
    arrays = cycle_arrays(data)
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
    with_contact = keep & (arrays.contact != NA_KEY)
    width = int(arrays.contact[with_contact].max(initial=0)) + 1  # distinct (period, contact) pairs
    pairs = distinct(code[with_contact] * width + arrays.contact[with_contact])
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
    arrays = cycle_arrays(data)
    size = len(frame)
    first = day_number(frame[period].iloc[0].date()) if size else 0
    codes = _period_codes(arrays, period, first, size)
    response = cycle_mask(data, filters, response=True)
    frame["unanswered"] = np.bincount(codes[response & arrays.unanswered[filters.suffix]],
                                      minlength=size).astype(np.int64)
    targets = data.settings.targets
    durations = [("frt", "cycles", codes, response, targets.frt),
                 ("reply", replies_name(filters), codes[arrays.reply_cycle[filters.suffix]],
                  reply_mask(data, filters), targets.reply)]
    if "solved_at" in data.available:
        durations.append(("resolution", "cycles", codes, response, targets.resolution))
    else:
        missing.update({f"resolution_{s}": Missing("solved_at", "resolution time") for s in STATS})
    for prefix, table_name, group_codes, keep, target in durations:
        column = frt_column(business, filters) if prefix == "frt" else DURATION_COLUMN[prefix, business]
        stats = column_stats(data, table_name, column, keep, group_codes, size, target)
        for stat, column in stats.items():
            frame[f"{prefix}_{stat}"] = column
    return Table(frame, missing)


def _period_span(arrays: CycleArrays, rows: np.ndarray, filters: Filters, period: Period) -> tuple[int, int]:
    """(first period as a day number, number of periods): the date range's, else the data's."""
    days = arrays.day[rows]
    first = day_number(filters.start) if filters.start else (int(days.min()) if days.size else None)
    last = day_number(filters.end) if filters.end else (int(days.max()) if days.size else None)
    if first is None or last is None:
        return 0, 0
    if period == "week":
        first -= (first + 3) % 7  # back to Monday
        return first, (last - first) // 7 + 1
    return first, last - first + 1


def _period_codes(arrays: CycleArrays, period: Period, first: int, size: int) -> np.ndarray:
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
    in_range = cells_in_range(data, filters)
    cell = cells["weekday"].to_numpy(np.int64)[in_range] * 24 + cells["hour"].to_numpy(np.int64)[in_range]
    grid = np.arange(168)
    return pd.DataFrame({
        "weekday": (grid // 24).astype(np.int8), "hour": (grid % 24).astype(np.int8),
        "inbound_messages": np.bincount(cell, weights=cells["messages"].to_numpy()[in_range],
                                        minlength=168).astype(np.int64),
        "cycles_started": np.bincount(started, minlength=168),
    })


def cells_in_range(data: Cycles, filters: Filters) -> np.ndarray:
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
    values = cycles[frt_column(business, filters)].to_numpy()[keep]
    values = values[~np.isnan(values)]
    uppers = np.array([upper for _, upper in FRT_BUCKETS])
    counts = np.bincount(np.searchsorted(uppers, values, side="left"), minlength=len(FRT_BUCKETS))
    unanswered = int((keep & cycle_arrays(data).unanswered[filters.suffix]).sum())
    lowers = np.concatenate(([0.0], uppers[:-1]))
    return pd.DataFrame({
        "bucket": [label for label, _ in FRT_BUCKETS] + [UNANSWERED],
        "lower_s": np.append(lowers, np.nan), "upper_s": np.append(uppers, np.nan),
        "cycles": np.append(counts, unanswered).astype(np.int64),
    })
