"""The duration cards (first response, automated reply, reply, resolution) and the headline: every card
with its change against the previous period.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from dashboard.analytics.cycles import Cycles
from dashboard.analytics.metrics.model import (
    CARD_KEYS,
    DURATION_COLUMN,
    NO_CHANGE_CARDS,
    NO_FILTERS,
    Card,
    Filters,
    Missing,
    Summary,
)
from dashboard.analytics.metrics.selection import (
    column_stats,
    cycle_arrays,
    cycle_mask,
    filter_problem,
    frt_column,
    messages_out,
    replies_name,
    reply_mask,
)
from dashboard.analytics.metrics.stats import NA_KEY, distinct, to_summary


def frt_summary(data: Cycles, filters: Filters = NO_FILTERS, business: bool = False) -> Summary | Missing:
    """First response time of the inbound-initiated, answered cycles (response subset)."""
    if problem := filter_problem(data, filters):
        return problem
    return _summary(data, "cycles", frt_column(business, filters), cycle_mask(data, filters, response=True),
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
    return _summary(data, replies_name(filters), DURATION_COLUMN["reply", business], reply_mask(data, filters),
                    data.settings.targets.reply)


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
    return to_summary(column_stats(data, table, column, keep, None, 1, target), target)


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
    arrays = cycle_arrays(data)
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
        "contacts": (int(distinct(contacts[contacts != NA_KEY]).size), None),
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
