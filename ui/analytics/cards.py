"""The headline cards from the metric registry: value, change against the previous period, detail line and
drill-down.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard.analytics import AnalyticsSettings, Backlog, Card, Cycles, Filters, Missing, headline
from dashboard.analytics.metrics import METRICS, Metric, MetricSpec, cycle_mask
from ui.analytics.filters import View
from ui.analytics.formatting import duration

# The page's cards, in its order; what each is called and means comes from the metric registry.
CARDS = (Metric.CYCLES, Metric.MESSAGES_IN, Metric.MESSAGES_OUT, Metric.CONTACTS, Metric.SOLVED, Metric.FRT,
         Metric.FRT_WITHIN, Metric.AUTOMATED, Metric.UNANSWERED, Metric.REPLY, Metric.RESOLUTION)
CARD_LABELS = {metric: spec.label for metric, spec in METRICS.items()}


def _delta(spec: MetricSpec, card: Card) -> str | None:
    change = card.change
    if change is None:
        return None
    if spec.unit == "duration":
        return f"{'+' if change >= 0 else '-'}{duration(abs(change))}"
    if spec.unit == "share":
        return f"{change * 100:+.1f} pp"
    ratio = card.change_ratio
    return f"{change:+,.0f}" + (f" ({ratio:+.0%})" if ratio is not None else "")


def _value(spec: MetricSpec, value: float | None) -> str:
    if value is None:
        return "—"
    if spec.unit == "duration":
        return duration(value)
    if spec.unit == "share":
        return f"{value:.0%}"
    return f"{value:,.0f}"


def _detail(metric: Metric, spec: MetricSpec, card: Card, cards: dict[str, Card | Missing], conversations: int) -> str:
    summary = card.summary
    if metric == Metric.CYCLES:
        inbound, outbound = cards.get("inbound_cycles"), cards.get("outbound_cycles")
        if isinstance(inbound, Card) and isinstance(outbound, Card):
            return (f"in {conversations:,} conversations · {inbound.value:,.0f} customer- · "
                    f"{outbound.value:,.0f} business-initiated")
    if not spec.compared:
        return "latest solves only · no comparison"
    if metric == Metric.AUTOMATED and summary is not None:
        share = cards.get("automated_share")
        if isinstance(share, Card) and share.value is not None:
            return f"{summary.count:,} cycles got one: {share.value:.0%} of customer-initiated cycles"
    if summary is None:
        return ""
    if not summary.count:
        return "no values in this range"
    if spec.unit == "share":
        return f"of {summary.count:,} answered cycles · target {duration(summary.target)}"
    within = "—" if summary.within_target is None else f"{summary.within_target:.0%}"
    return (f"median · mean {duration(summary.mean)} · p90 {duration(summary.p90)} · n {summary.count:,} · "
            f"{within} within {duration(summary.target)}")


def show_cards(data: Cycles, view: View, *, on_drill: Callable[[dict], None], compared: bool = True,
               per_row: int = 6) -> dict:
    """The headline cards with the change against the previous period of equal length (not for solved
    counts; none while that period is not `compared`, i.e. still loading), each with a button listing the
    cycles behind it. Returns the cards (Card or Missing by key)."""
    cards = headline(data, view.filters, view.business)
    conversations = int(data.cycles["conversation_id"][cycle_mask(data, view.filters)].nunique())
    for row_start in range(0, len(CARDS), per_row):
        columns = st.columns(per_row)
        for column, metric in zip(columns, CARDS[row_start:row_start + per_row], strict=False):
            spec, card = METRICS[metric], cards[metric]
            with column.container(border=True):
                if isinstance(card, Missing):
                    st.metric(spec.label, "—", help=spec.help)
                    st.caption(f"Not available: the service does not return {card.input}.")
                    continue
                st.metric(spec.label, _value(spec, card.value), delta=_delta(spec, card) if compared else None,
                          delta_color="inverse" if spec.lower_is_better else "normal", help=spec.help)
                st.caption(_detail(metric, spec, card, cards, conversations) or " ")
                st.button("Conversations", key=f"drill_card_{metric}", icon=":material/list:", type="tertiary",
                          help=f"List the cycles behind “{spec.label}”.", on_click=on_drill,
                          args=({"metric": str(metric), "source": "cards", "label": spec.label},))
    return cards


def backlog_cards(figures: Backlog, settings: AnalyticsSettings, business: bool) -> None:
    """Waiting now: SLA figures over the active waits, and the stale ones counted apart."""
    gap = duration(settings.session_gap)
    mode = " of business hours" if business else ""
    cards = st.columns(5)
    cards[0].metric("Waiting now", f"{figures.active:,}", border=True,
                    help=f"Open conversations whose customer waits for a reply, the wait having begun within the "
                         f"last {gap} (the WhatsApp window); longer waits are counted as stale.")
    cards[1].metric("Over the FRT target", f"{figures.over_target:,}", border=True,
                    help=f"Active waits longer than {duration(settings.targets.frt)}{mode}.")
    cards[2].metric("Longest wait", duration(figures.longest_s), border=True, help="Among the active waits.")
    cards[3].metric("Median wait", duration(figures.median_s), border=True, help="Among the active waits.")
    cards[4].metric("Stale", f"{figures.stale:,}", border=True,
                    help=f"Waiting since more than {gap}: abandoned chats, outside the SLA figures.")


def range_text(filters: Filters) -> str:
    if filters.start is None or filters.end is None:
        return "all dates"
    return f"{filters.start:%Y-%m-%d} to {filters.end:%Y-%m-%d}"
