"""CSV exports: one row per cycle, and the daily (or weekly) series.

Both start with a comment line naming the timezone and the cohort rule, e.g.
`# CEOX analytics; timezone Asia/Jakarta; bucketed by cycle start in Asia/Jakarta; ...`
(read them back with `pandas.read_csv(..., comment="#")`). Columns whose input the service did not
return are left out and named in that line. Durations are seconds; times are local ISO 8601 with
their UTC offset. Every text cell starting with a spreadsheet formula character gets a leading `'`.
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.analytics.cycles import Cycles
from dashboard.analytics.metrics import (
    DURATION_COLUMN,
    NO_FILTERS,
    Filters,
    Missing,
    Period,
    cycle_mask,
    filter_problem,
    sorted_group_stats,
    trends,
)
from dashboard.analytics.settings import WEEKDAYS
from dashboard.csv_safe import safe_frame

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # then "+0700" becomes "+07:00"


def cycle_rows(data: Cycles, filters: Filters = NO_FILTERS) -> pd.DataFrame | Missing:
    """The rows of the per-cycle CSV: every cycle passing the filters, group chats included (their
    `counted_in_response` is False unless the filters include groups)."""
    if problem := filter_problem(data, filters):
        return problem
    cycles = data.cycles
    keep = cycle_mask(data, filters)
    response = cycle_mask(data, filters, response=True)
    zone = data.settings.zone
    reply_lists = {mode: _reply_lists(data, business) for mode, business in (("", False), ("_business", True))}
    rows = cycles[keep]
    position = pd.Index(data.conversations["id"].to_numpy(np.int64)).get_indexer(rows["conversation_id"].to_numpy())

    def conversation_text(column: str) -> pd.Series:
        return pd.Series(pd.array(data.conversations[column], dtype="string").take(position), index=rows.index)

    frame = pd.DataFrame({
        "cycle_id": rows["cycle_id"], "conversation_id": rows["conversation_id"],
        "contact_id": rows["contact_id"], "contact_name": conversation_text("contact_name"),
        "contact_phone": conversation_text("contact_phone"), "device_id": rows["device_id"],
        "device_name": conversation_text("device_name"), "inbox_id": rows["inbox_id"],
        "is_group": rows["is_group"], "counted_in_response": response[keep], "agent_id": rows["agent_id"],
        "cycle_start": _local_iso(rows["start"], zone), "day": rows["day"].dt.date,
        "initiator": rows["initiator"], "state": rows["state"],
        "first_reply_at": _local_iso(rows["first_reply_at"], zone),
        "frt_s": rows["frt_s"], "frt_business_s": rows["frt_business_s"],
        "messages_in": rows["messages_in"], "messages_out": rows["messages_out"],
    })
    ids = rows["cycle_id"].to_numpy()
    for suffix, (count, median, listing) in reply_lists.items():
        if not suffix:
            frame["reply_count"] = count[ids]
        frame[f"reply_median{suffix}_s"] = median[ids]
        frame[f"reply_times{suffix}_s"] = listing.take(ids).to_pandas().set_axis(rows.index)
    frame["solved_at"] = _local_iso(rows["solved_at"].where(rows["contains_solve"]), zone)
    frame["resolution_s"] = rows["resolution_s"]
    frame["resolution_business_s"] = rows["resolution_business_s"]
    drop = [c for c in _missing_columns(data) if c in frame.columns]
    return frame.drop(columns=drop).reset_index(drop=True)


def cycles_csv(data: Cycles, filters: Filters = NO_FILTERS) -> str | Missing:
    """The per-cycle CSV text (see `cycle_rows`)."""
    rows = cycle_rows(data, filters)
    if isinstance(rows, Missing):
        return rows
    return _csv(rows, _header(data, "cycles"))


def series_csv(data: Cycles, filters: Filters = NO_FILTERS, period: Period = "day",
               business: bool = False) -> str | Missing:
    """The daily (or weekly) series CSV: `trends` with the chosen duration mode."""
    table = trends(data, filters, period, business)
    if isinstance(table, Missing):
        return table
    frame = table.frame.copy()
    frame[period] = frame[period].dt.date
    mode = "business hours" if business else "wall clock"
    return _csv(frame, _header(data, f"{period} series, durations {mode}"))


def _reply_lists(data: Cycles, business: bool) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Per cycle: count and median of the answered reply times, and their ;-joined list (in order)."""
    replies = data.replies
    size = len(data.cycles)
    values = replies[DURATION_COLUMN["reply", business]].to_numpy()
    answered = ~np.isnan(values)
    cycle_ids = replies["cycle_id"].to_numpy()[answered]  # replies are in cycle, then time order
    values = values[answered]
    order = np.argsort(values, kind="stable")
    stats = sorted_group_stats(cycle_ids[order], values[order], size, np.inf)
    offsets = np.concatenate(([0], np.cumsum(np.bincount(cycle_ids, minlength=size)))).astype(np.int32)
    text = pc.cast(pa.array(values), pa.string())
    listing = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), text), ";")
    return stats["count"], stats["median"], listing


def _missing_columns(data: Cycles) -> list[str]:
    columns = []
    if "sender_user_id" not in data.available:
        columns.append("agent_id")
    if "inbox_id" not in data.available:
        columns.append("inbox_id")
    if "solved_at" not in data.available:
        columns += ["solved_at", "resolution_s", "resolution_business_s"]
    return columns


def _header(data: Cycles, what: str) -> str:
    zone = data.settings.timezone_name
    hours = data.settings.business_hours
    if hours.always_open:
        schedule = "open 24/7"
    else:
        schedule = ", ".join(f"{day} " + " ".join("-".join(i.to_pair()) for i in intervals)
                             for day, intervals in zip(WEEKDAYS, hours.weekly, strict=True) if intervals)
    if hours.holidays:
        schedule += "; holidays " + " ".join(sorted(d.isoformat() for d in hours.holidays))
    parts = [f"CEOX analytics, {what}", f"timezone {zone}", f"bucketed by cycle start in {zone} (cohort)",
             "durations in seconds", f"business hours {schedule}",
             f"session gap {data.settings.session_gap:g} s"]
    absent = {"sender_user_id": "agent", "inbox_id": "inbox", "solved_at": "resolution"}
    missing = [f"{name} (the service did not return {field})" for field, name in absent.items()
               if field not in data.available]
    if missing:
        parts.append("not available: " + ", ".join(missing))
    return "# " + "; ".join(parts).replace("\n", " ") + "\n"


def _local_iso(times: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Local ISO 8601 text with the UTC offset ("2026-06-01T15:00:00+07:00"); NA stays NA."""
    text = times.dt.tz_convert(zone).dt.strftime(_TIME_FORMAT).astype("string")
    return text.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)


def _csv(frame: pd.DataFrame, header: str) -> str:
    buffer = io.StringIO()
    buffer.write(header)
    safe_frame(frame).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()
