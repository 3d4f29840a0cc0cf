"""The drill-down behind every number: the cycles a card, bar, heatmap cell, table row or FRT bucket counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from dashboard.analytics.cycles import Cycles
from dashboard.analytics.metrics.model import (
    DURATION_COLUMN,
    FRT_BUCKETS,
    NO_FILTERS,
    RESPONSE_METRICS,
    Breakdown,
    Filters,
    Metric,
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


@dataclass
class _Selection:
    """One drill-down under way: the cycles kept so far, what each contributes, and its value."""

    data: Cycles
    filters: Filters
    business: bool
    by: Breakdown | None
    key: int | None
    cell: tuple[int, int] | None
    bucket: str | None
    keep: np.ndarray
    contribution: np.ndarray
    value: np.ndarray

    @property
    def cycles(self) -> pd.DataFrame:
        return self.data.cycles

    def inbound(self) -> np.ndarray:
        return (self.cycles["initiator"] == "inbound").to_numpy()


@dataclass(frozen=True)
class Drill:
    """How a metric's drill-down selects its cycles: `select` narrows the kept cycles and sets their
    contribution and value; `needs` is (input, what) when the metric needs an input the service may lack;
    `positive` keeps only cycles that contribute something (message and reply counts)."""

    select: Callable[[_Selection], None] = lambda selection: None
    needs: tuple[str, str] | None = None
    positive: bool = False
    by_sender: bool = False  # credited to the message's own sender, not to the cycle's agent


def _inbound_cycles(s: _Selection) -> None:
    s.keep &= s.inbound()


def _outbound_cycles(s: _Selection) -> None:
    s.keep &= ~s.inbound()


def _messages_in(s: _Selection) -> None:
    s.contribution = s.cycles["messages_in"].to_numpy()


def _inbound_messages(s: _Selection) -> None:
    if s.cell is None:  # the whole heatmap: every inbound message
        _messages_in(s)
        return
    cells = s.data.inbound_cells
    hit = (cells["weekday"].to_numpy() == s.cell[0]) & (cells["hour"].to_numpy() == s.cell[1])
    hit &= cells_in_range(s.data, s.filters)
    s.contribution = np.bincount(cells["cycle_id"].to_numpy()[hit], weights=cells["messages"].to_numpy()[hit],
                                 minlength=len(s.cycles)).astype(np.int64)


def _messages_out(s: _Selection) -> None:
    agents = s.filters.agent_ids
    if s.by == "agent":
        agents = frozenset({s.key}) if agents is None else agents & {s.key}
    s.contribution = messages_out(s.data, replace(s.filters, agent_ids=agents))


def _solved(s: _Selection) -> None:
    s.keep &= s.cycles["contains_solve"].to_numpy()


def _first_response(s: _Selection) -> None:
    s.value = s.cycles[frt_column(s.business, s.filters)].to_numpy()
    s.keep &= ~np.isnan(s.value)
    if s.bucket is not None:
        s.keep &= _in_bucket(s.value, s.bucket)


def _within_target(s: _Selection) -> None:
    _first_response(s)
    s.contribution = (s.value <= s.data.settings.targets.frt).astype(np.int64)


def _unanswered(s: _Selection) -> None:
    s.keep &= cycle_arrays(s.data).unanswered[s.filters.suffix]


def _automated(s: _Selection) -> None:
    s.value = s.cycles["auto_business_s" if s.business else "auto_s"].to_numpy()
    s.keep &= ~np.isnan(s.value)


def _reply(s: _Selection) -> None:
    replies = replies_table(s.data, s.filters.suffix)
    counted = reply_mask(s.data, s.filters) & ~np.isnan(replies[DURATION_COLUMN["reply", s.business]].to_numpy())
    if s.by == "agent":
        counted &= isin(replies["agent_id"], {s.key})
    s.contribution = np.bincount(replies["cycle_id"].to_numpy()[counted], minlength=len(s.cycles))


def _resolution(s: _Selection) -> None:
    s.value = s.cycles[DURATION_COLUMN["resolution", s.business]].to_numpy()
    s.keep &= ~np.isnan(s.value)


_SOLVE_TIMES = ("solved_at", "")  # (what: the metric's own name)
_SENDERS = ("sender_user_id", "automated replies")
# The one table of how each metric drills down; a metric missing here is a test failure (test_metrics).
DRILLS: dict[Metric, Drill] = {
    Metric.CYCLES: Drill(),
    Metric.INBOUND_CYCLES: Drill(_inbound_cycles),
    Metric.OUTBOUND_CYCLES: Drill(_outbound_cycles),
    Metric.MESSAGES_IN: Drill(_messages_in, positive=True),
    Metric.MESSAGES_OUT: Drill(_messages_out, positive=True, by_sender=True),
    Metric.CONTACTS: Drill(),
    Metric.SOLVED: Drill(_solved, needs=_SOLVE_TIMES),
    Metric.FRT: Drill(_first_response),
    Metric.FRT_WITHIN: Drill(_within_target),
    Metric.UNANSWERED: Drill(_unanswered),
    Metric.REPLY: Drill(_reply, positive=True, by_sender=True),
    Metric.RESOLUTION: Drill(_resolution, needs=_SOLVE_TIMES),
    Metric.AUTOMATED: Drill(_automated, needs=_SENDERS),
    Metric.AUTOMATED_SHARE: Drill(_automated, needs=_SENDERS),
    Metric.INBOUND_MESSAGES: Drill(_inbound_messages, positive=True),
}


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
    if metric not in DRILLS:
        raise ValueError(f"unknown metric {metric!r}")
    drill = DRILLS[Metric(metric)]
    if problem := filter_problem(data, filters):
        return problem
    if drill.needs is not None and drill.needs[0] not in data.available:
        return Missing(drill.needs[0], drill.needs[1] or metric)
    by, key = group if group else (None, None)
    if by == "agent" and "sender_user_id" not in data.available:
        return Missing("sender_user_id", "per-agent table")
    if by == "inbox" and "inbox_id" not in data.available:
        return Missing("inbox_id", "per-inbox table")
    cycles = data.cycles
    heat_cell = metric == Metric.INBOUND_MESSAGES and cell is not None
    # Heatmap cells count messages by their own day: the range applies to them, not to cycle starts.
    keep = cycle_mask(data, replace(filters, start=None, end=None) if heat_cell else filters,
                      response=metric in RESPONSE_METRICS, agent=not drill.by_sender)
    if day is not None:
        keep &= cycles["day"].to_numpy() == np.datetime64(day, "ns")
    if week is not None:
        keep &= cycles["week"].to_numpy() == np.datetime64(week, "ns")
    if cell is not None and metric != Metric.INBOUND_MESSAGES:
        keep &= (cycles["weekday"].to_numpy() == cell[0]) & (cycles["hour"].to_numpy() == cell[1])
    if by is not None and not (by == "agent" and drill.by_sender):
        keep &= isin(cycles[key_column(by, filters)], {key})
    selection = _Selection(data, filters, business, by, key, cell, bucket, keep,
                           contribution=np.ones(len(cycles), dtype=np.int64), value=np.full(len(cycles), np.nan))
    drill.select(selection)
    keep = selection.keep
    if drill.positive:
        keep &= selection.contribution > 0
    frame = with_names(data, cycles[keep])
    frame["contribution"] = selection.contribution[keep]
    frame["value"] = selection.value[keep]
    return frame.reset_index(drop=True)


def _in_bucket(values: np.ndarray, bucket: str) -> np.ndarray:
    labels = [label for label, _ in FRT_BUCKETS]
    if bucket not in labels:
        raise ValueError(f"unknown FRT bucket {bucket!r}")
    i = labels.index(bucket)
    lower = FRT_BUCKETS[i - 1][1] if i else -np.inf
    return (values > lower) & (values <= FRT_BUCKETS[i][1])
