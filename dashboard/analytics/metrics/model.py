"""The metrics' vocabulary: breakdowns, periods, duration columns, filters and the answers (Missing,
Summary, Card, Table).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd

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


class Metric(StrEnum):
    """Every number the analytics pages show and drill into (a StrEnum: equal to its plain name)."""

    CYCLES = "cycles"
    INBOUND_CYCLES = "inbound_cycles"
    OUTBOUND_CYCLES = "outbound_cycles"
    MESSAGES_IN = "messages_in"
    MESSAGES_OUT = "messages_out"
    CONTACTS = "contacts"
    SOLVED = "solved"
    FRT = "frt"
    FRT_WITHIN = "frt_within"
    UNANSWERED = "unanswered"
    REPLY = "reply"
    RESOLUTION = "resolution"
    AUTOMATED = "automated"
    AUTOMATED_SHARE = "automated_share"
    INBOUND_MESSAGES = "inbound_messages"  # the heatmap's cells


Unit = Literal["count", "duration", "share"]


@dataclass(frozen=True)
class MetricSpec:
    """What a metric is called, in what unit, which cycles it counts, and whether it is a headline card."""

    label: str
    unit: Unit
    help: str
    card: bool = True  # one of `headline`'s cards
    response: bool = False  # counted over the response subset (group chats only when asked)
    compared: bool = True  # has a change against the previous period
    lower_is_better: bool = False


CYCLE_HELP = ("A cycle is one episode of a conversation (other tools call it a conversation segment): it starts "
              "with the conversation's first message, after a silence longer than the session gap, or after the "
              "conversation was solved. A conversation can have several cycles, so there are more cycles than "
              "conversations.")
SOLVED_CAVEAT = ("The service keeps only the latest solve of each conversation: earlier solves are unknown, so "
                 "recent periods show more; no comparison with the previous period is made.")

# The one registry: cards, drill-downs, exports and pages read labels, units and subsets from here.
METRICS: dict[Metric, MetricSpec] = {
    Metric.CYCLES: MetricSpec("Cycles", "count", "Conversation cycles that started in the range (group chats "
                              "included). " + CYCLE_HELP),
    Metric.INBOUND_CYCLES: MetricSpec("Customer-initiated cycles", "count", "Cycles whose first message came from "
                                      "the customer."),
    Metric.OUTBOUND_CYCLES: MetricSpec("Business-initiated cycles", "count", "Cycles that the business started."),
    Metric.MESSAGES_IN: MetricSpec("Messages in", "count", "Customer messages in the cycles that started in the "
                                   "range."),
    Metric.MESSAGES_OUT: MetricSpec("Messages out", "count", "Messages sent in those cycles (by agents and "
                                    "automated)."),
    Metric.CONTACTS: MetricSpec("Contacts", "count", "Distinct contacts with a cycle in the range."),
    # Only the latest solve of a conversation is known: comparing solved counts between periods misleads.
    Metric.SOLVED: MetricSpec("Solved", "count", "Cycles that contain their conversation's solve. " + SOLVED_CAVEAT,
                              compared=False),
    Metric.FRT: MetricSpec("First response", "duration", "From the first customer message of a cycle to the first "
                           "reply written by a person (or any reply, when automated replies count); "
                           "customer-initiated cycles only.", response=True, lower_is_better=True),
    Metric.FRT_WITHIN: MetricSpec("Within FRT target", "share", "Share of answered cycles whose first response "
                                  "came within the target.", response=True),
    Metric.UNANSWERED: MetricSpec("Unanswered", "count", "Customer-initiated cycles without a reply: still "
                                  "waiting, or missed.", response=True, lower_is_better=True),
    Metric.REPLY: MetricSpec("Reply time", "duration", "After the first reply: from each run of customer messages "
                             "to the next reply.", response=True, lower_is_better=True),
    Metric.RESOLUTION: MetricSpec("Resolution", "duration", "From the start of the cycle to the conversation's "
                                  "solve.", response=True, lower_is_better=True),
    Metric.AUTOMATED: MetricSpec("First automated reply", "duration", "From the first customer message of a cycle "
                                 "to the first automated message in it (away message, auto-reply, API send), for "
                                 "the cycles that got one.", response=True),
    Metric.AUTOMATED_SHARE: MetricSpec("Cycles with an automated reply", "share", "Share of customer-initiated "
                                       "cycles that got an automated message.", response=True),
    Metric.INBOUND_MESSAGES: MetricSpec("Inbound messages", "count", "Customer messages by their own weekday and "
                                        "hour.", card=False),
}
CARD_KEYS = tuple(metric for metric, spec in METRICS.items() if spec.card)
DRILL_METRICS = tuple(METRICS)
RESPONSE_METRICS = tuple(metric for metric, spec in METRICS.items() if spec.response)
NO_CHANGE_CARDS = frozenset(metric for metric, spec in METRICS.items() if not spec.compared)


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
