"""Waiting now: open conversations whose last message is inbound, split into active and stale waits, and
the backlog figures over active waits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from dashboard.analytics.business_hours import BusinessClock, wall_seconds
from dashboard.analytics.cycles import Cycles
from dashboard.analytics.metrics.model import NO_FILTERS, Filters, Missing
from dashboard.analytics.metrics.selection import (
    conversation_positions,
    cycle_arrays,
    cycle_mask,
    filter_problem,
    key_column,
    with_names,
)


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
    keep = cycle_mask(data, undated, response=True) & cycle_arrays(data).open_last
    keep &= cycles[since_column].notna().to_numpy()
    agent_column = key_column("agent", filters)
    rows = cycles.loc[keep, ["conversation_id", "cycle_id", "contact_id", "device_id", "inbox_id", "is_group",
                             agent_column, "end", since_column]]  # only these: copying every column is slow
    since = rows[since_column].array.asi8
    now_ns = np.full(since.size, pd.Timestamp(now).tz_convert("UTC").as_unit("ns").value)
    clock = BusinessClock.covering(data.settings.business_hours, data.settings.zone, since, now_ns[:1])
    wall = np.maximum(wall_seconds(since, now_ns), 0)  # a message stamped after `now`: not waiting yet
    busy = np.maximum(clock.seconds(since, now_ns), 0)
    frame = with_names(data, rows)[["conversation_id", "cycle_id", "contact_id", "contact_name", "contact_phone",
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
