"""The Overview's figures that compare today with the usual for this weekday (no streamlit).

"The usual" is the median of the same weekday over the previous `WEEKS` weeks: a Monday is compared
with Mondays, so the weekly rhythm does not read as a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from statistics import median

from ceox_api.models import Conversation
from dashboard.analytics import NO_FILTERS, Cycles, Filters, Missing, frt_summary

WEEKS = 4


@dataclass(frozen=True)
class Today:
    value: float | None  # today's figure (None: nothing to measure yet)
    usual: float | None  # the median of the same weekday over the previous WEEKS weeks (None: no history)


def same_weekdays(today: date, weeks: int = WEEKS) -> list[date]:
    return [today - timedelta(weeks=w) for w in range(1, weeks + 1)]


def new_conversations(conversations: Iterable[Conversation], zone: tzinfo, now: datetime) -> Today | None:
    """Conversations created today (local date), against the usual; None when the service gives no
    creation times."""
    days: dict[date, int] = {}
    dated = False
    for c in conversations:
        if c.created_at is not None:
            dated = True
            day = c.created_at.astimezone(zone).date()
            days[day] = days.get(day, 0) + 1
    if not dated:
        return None
    today = now.astimezone(zone).date()
    earlier = [days.get(d, 0) for d in same_weekdays(today)]
    return Today(days.get(today, 0), median(earlier))


def first_response(data: Cycles, now: datetime, filters: Filters = NO_FILTERS) -> Today | Missing:
    """The median first response of cycles started today, against the median of the same weekday's
    medians (human replies unless `filters` counts automated ones)."""
    today = now.astimezone(data.settings.zone).date()
    summary = frt_summary(data, replace(filters, start=today, end=today))
    if isinstance(summary, Missing):
        return summary
    earlier = [frt_summary(data, replace(filters, start=d, end=d)) for d in same_weekdays(today)]
    medians = [s.median for s in earlier if not isinstance(s, Missing) and s.median is not None]
    return Today(summary.median, median(medians) if medians else None)
