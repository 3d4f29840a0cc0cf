"""Exports a spreadsheet opens cleanly: one row per cycle, the daily (or weekly) series, and the rules.

- The header is the first row; the rules (timezone, cohort bucketing, human or automated replies,
  duration mode, business hours, targets, missing inputs) are a table of their own: a "Read me"
  sheet of the workbook, a CSV of their own, and a short form in the file names.
- Durations are whole seconds (`_s`) with minutes to one decimal beside them (`_min`).
- Ids come with names (`agent_name`, `inbox_name`) when the caller knows them (`Labels`).
- Every text cell goes through `dashboard.csv_safe` against formula injection, in CSV and workbook.
- Columns whose input the service did not return are left out and named in the rules.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from dashboard.analytics.cycles import Cycles
from dashboard.analytics.metrics import (
    DURATION_COLUMN,
    NO_FILTERS,
    Filters,
    Missing,
    Period,
    conversation_positions,
    cycle_mask,
    filter_problem,
    sorted_group_stats,
    trends,
)
from dashboard.analytics.settings import WEEKDAYS
from dashboard.csv_safe import safe_frame, to_csv

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # then "+0700" becomes "+07:00"
_ABSENT = {"sender_user_id": "agents and automated replies", "inbox_id": "inboxes", "solved_at": "resolution"}


@dataclass(frozen=True)
class Labels:
    """Names to put beside ids, as the exporting credential may read them."""

    agents: Mapping[int, str] = field(default_factory=dict)
    inboxes: Mapping[int, str] = field(default_factory=dict)


def seconds_and_minutes(name: str, seconds: pd.Series | np.ndarray) -> dict[str, pd.Series]:
    """`<name>_s` as whole seconds (nullable integers) and `<name>_min` as minutes to one decimal."""
    values = np.asarray(seconds, dtype=float)
    whole = pd.array(np.round(values), dtype="Float64").astype("Int64")
    return {f"{name}_s": whole, f"{name}_min": np.round(values / 60, 1)}


def cycle_rows(data: Cycles, filters: Filters = NO_FILTERS, labels: Labels = Labels()) -> pd.DataFrame | Missing:
    """One row per cycle passing the filters, group chats included (`counted_in_response` is False
    for them unless the filters include groups). Response columns follow `filters.count_automated`."""
    if problem := filter_problem(data, filters):
        return problem
    cycles = data.cycles
    keep = cycle_mask(data, filters)
    response = cycle_mask(data, filters, response=True)
    zone = data.settings.zone
    suffix = filters.suffix
    rows = cycles[keep]
    position = conversation_positions(data, rows["conversation_id"].to_numpy())

    def conversation_text(column: str) -> pd.Series:
        return pd.Series(pd.array(data.conversations[column], dtype="string").take(position), index=rows.index)

    agent = rows[f"agent_id{suffix}"]
    frame = pd.DataFrame({
        "cycle_id": rows["cycle_id"], "conversation_id": rows["conversation_id"],
        "contact_id": rows["contact_id"], "contact_name": conversation_text("contact_name"),
        "contact_phone": conversation_text("contact_phone"), "device_id": rows["device_id"],
        "device_name": conversation_text("device_name"), "inbox_id": rows["inbox_id"],
        "inbox_name": _names(rows["inbox_id"], labels.inboxes, "inbox"),
        "is_group": rows["is_group"], "counted_in_response": response[keep],
        "agent_id": agent, "agent_name": _names(agent, labels.agents, "agent"),
        "cycle_start": _local_iso(rows["start"], zone), "day": rows["day"].dt.date,
        "initiator": rows["initiator"].astype("string"), "state": rows[f"state{suffix}"].astype("string"),
        "first_reply_at": _local_iso(rows[f"first_reply_at{suffix}"], zone),
        **seconds_and_minutes("frt", rows[f"frt_s{suffix}"]),
        **seconds_and_minutes("frt_business", rows[f"frt_business_s{suffix}"]),
        **seconds_and_minutes("first_automated", rows["auto_s"]),
        "messages_in": rows["messages_in"], "messages_out": rows["messages_out"],
    })
    ids = rows["cycle_id"].to_numpy()
    for mode, business in (("", False), ("_business", True)):
        count, median, listing = _reply_lists(data, filters, business)
        if not mode:
            frame["reply_count"] = count[ids]
        for key, value in seconds_and_minutes(f"reply_median{mode}", median[ids]).items():
            frame[key] = value
        frame[f"reply_times{mode}_s"] = listing[ids]
    frame["solved_at"] = _local_iso(rows["solved_at"].where(rows["contains_solve"]), zone)
    for key, value in (seconds_and_minutes("resolution", rows["resolution_s"])
                       | seconds_and_minutes("resolution_business", rows["resolution_business_s"])).items():
        frame[key] = value
    drop = [c for c in _missing_columns(data) if c in frame.columns]
    return frame.drop(columns=drop).reset_index(drop=True)


def series_rows(data: Cycles, filters: Filters = NO_FILTERS, period: Period = "day",
                business: bool = False) -> pd.DataFrame | Missing:
    """`trends` per period: counts as they are, durations as seconds and minutes, shares in percent."""
    table = trends(data, filters, period, business)
    if isinstance(table, Missing):
        return table
    source = table.frame
    frame = pd.DataFrame({period: source[period].dt.date})
    for column in source.columns[1:]:
        prefix, _, stat = column.rpartition("_")
        if prefix in ("frt", "reply", "resolution") and stat in ("median", "p90", "mean"):
            frame = frame.assign(**seconds_and_minutes(column, source[column]))
        elif prefix in ("frt", "reply", "resolution") and stat == "within":
            frame[f"{column}_pct"] = np.round(source[column].to_numpy(float) * 100, 1)
        else:
            frame[column] = source[column]
    return frame


def rules(data: Cycles, filters: Filters = NO_FILTERS, period: Period = "day", business: bool = False,
          now: datetime | None = None) -> pd.DataFrame:
    """The rules behind the exported numbers, one per row ("Read me")."""
    settings = data.settings
    zone = settings.timezone_name
    hours = settings.business_hours
    if hours.always_open:
        schedule = "open 24/7"
    else:
        schedule = ", ".join(f"{day} " + " ".join("-".join(i.to_pair()) for i in intervals)
                             for day, intervals in zip(WEEKDAYS, hours.weekly, strict=True) if intervals)
    if hours.holidays:
        schedule += "; holidays " + " ".join(sorted(d.isoformat() for d in hours.holidays))
    dates = "all dates" if filters.start is None and filters.end is None else \
        f"{filters.start or 'first'} to {filters.end or 'last'} (local dates, both included)"
    items = [
        ("Exported", (now or datetime.now(UTC)).astimezone(settings.zone).strftime("%Y-%m-%d %H:%M %Z")),
        ("Timezone", f"{zone}: every time, day, week and hour is local to it"),
        ("Bucketing", f"a cycle counts in the day and week in which it started, in {zone} (cohort)"),
        ("Cycle", "one episode of a conversation: it starts with the conversation's first message, after "
                  f"{settings.session_gap / 3600:g} h without messages, or after the conversation was solved; "
                  "so a conversation has one or more cycles"),
        ("Replies counted", "human and automated replies (an automated message ends a wait)" if filters.count_automated
         else "human replies only (messages written by an agent); automated messages have their own columns"),
        ("Durations", f"{'business hours' if business else 'wall clock'} in the series; the cycle rows have "
                      "both; _s columns in whole seconds, _min columns in minutes to one decimal"),
        ("Business hours", schedule),
        ("Targets", f"first response {settings.targets.frt:g} s, reply {settings.targets.reply:g} s, "
                    f"resolution {settings.targets.resolution:g} s"),
        ("Date range", dates),
        ("Group chats", "included in response figures" if filters.include_groups
         else "left out of response figures (counted in volume)"),
        ("Series", f"one row per {period}"),
        ("Solved", "only the latest solve of a conversation is known, so solved counts lean toward recent periods"),
    ]
    missing = [f"{name} (the service does not return {input_})" for input_, name in _ABSENT.items()
               if input_ not in data.available]
    if missing:
        items.append(("Not available", ", ".join(missing)))
    return pd.DataFrame(items, columns=["rule", "value"])


def file_stem(data: Cycles, filters: Filters, business: bool) -> str:
    """A short form of the rules for file names: `analytics_Asia-Jakarta_human-replies_wall-clock`."""
    zone = re.sub(r"[^0-9A-Za-z]+", "-", data.settings.timezone_name).strip("-")
    replies = "all-replies" if filters.count_automated else "human-replies"
    return f"analytics_{zone}_{replies}_{'business-hours' if business else 'wall-clock'}"


def cycles_csv(data: Cycles, filters: Filters = NO_FILTERS, labels: Labels = Labels()) -> bytes | Missing:
    rows = cycle_rows(data, filters, labels)
    return rows if isinstance(rows, Missing) else to_csv(rows)


def series_csv(data: Cycles, filters: Filters = NO_FILTERS, period: Period = "day",
               business: bool = False) -> bytes | Missing:
    rows = series_rows(data, filters, period, business)
    return rows if isinstance(rows, Missing) else to_csv(rows)


def rules_csv(data: Cycles, filters: Filters = NO_FILTERS, period: Period = "day", business: bool = False) -> bytes:
    return to_csv(rules(data, filters, period, business))


def workbook(data: Cycles, filters: Filters = NO_FILTERS, period: Period = "day", business: bool = False,
             labels: Labels = Labels()) -> bytes | Missing:
    """An .xlsx file: a "Read me" sheet with the rules, then one sheet per table."""
    cycles = cycle_rows(data, filters, labels)
    if isinstance(cycles, Missing):
        return cycles
    series = series_rows(data, filters, period, business)
    sheets = {"Read me": rules(data, filters, period, business), "Cycles": cycles,
              f"{period.capitalize()} series": series}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            if isinstance(frame, Missing):
                continue
            safe_frame(frame).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "A2"
            for column in sheet.columns:
                width = max(len(str(cell.value or "")) for cell in column[:200])
                sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    return buffer.getvalue()


def _names(ids: pd.Series, names: Mapping[int, str], kind: str) -> pd.Series:
    values = pd.array(ids, dtype="Int64")
    text = [pd.NA if pd.isna(i) else names.get(int(i), f"{kind} #{int(i)}") for i in values]
    return pd.Series(pd.array(text, dtype="string"), index=ids.index)


def _reply_lists(data: Cycles, filters: Filters, business: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cycle: count and median of the answered reply times, and their ;-joined whole seconds."""
    replies = data.replies_any if filters.count_automated else data.replies
    size = len(data.cycles)
    values = replies[DURATION_COLUMN["reply", business]].to_numpy()
    answered = ~np.isnan(values)
    cycle_ids = replies["cycle_id"].to_numpy()[answered]  # replies are in cycle, then time order
    values = values[answered]
    order = np.argsort(values, kind="stable")
    stats = sorted_group_stats(cycle_ids[order], values[order], size, np.inf)
    listing = np.full(size, "", dtype=object)
    if values.size:
        text = pd.Series(np.round(values).astype(np.int64)).astype(str)
        joined = text.groupby(cycle_ids).agg(";".join)
        listing[joined.index.to_numpy()] = joined.to_numpy()
    return stats["count"], stats["median"], listing


def _missing_columns(data: Cycles) -> list[str]:
    columns = []
    if "sender_user_id" not in data.available:
        columns += ["agent_id", "agent_name", "first_automated_s", "first_automated_min"]
    if "inbox_id" not in data.available:
        columns += ["inbox_id", "inbox_name"]
    if "solved_at" not in data.available:
        columns += ["solved_at", "resolution_s", "resolution_min", "resolution_business_s", "resolution_business_min"]
    return columns


def _local_iso(times: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Local ISO 8601 text with the UTC offset ("2026-06-01T15:00:00+07:00"); NA stays NA."""
    text = times.dt.tz_convert(zone).dt.strftime(_TIME_FORMAT).astype("string")
    return text.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
