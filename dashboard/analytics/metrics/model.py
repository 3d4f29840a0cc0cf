"""The metrics' vocabulary: breakdowns, periods, duration columns, filters and the answers (Missing,
Summary, Card, Table).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
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
