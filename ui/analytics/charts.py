"""Altair charts (volume, first response, distribution, heatmap, agents), chart selections, PNG and
CSV/xlsx export buttons.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from dashboard.analytics import FRT_BUCKETS, Cycles, Missing, cycles_csv, file_stem, rules_csv, series_csv, workbook
from ui.analytics.filters import View
from ui.analytics.formatting import DAY_NAMES, UNANSWERED, durations, minutes
from ui.analytics.names import Names


def period_keys(values: pd.Series) -> pd.Series:
    """Local dates as "YYYY-MM-DD" text: charts select them exactly, with no timezone guesswork."""
    return pd.DatetimeIndex(values).strftime("%Y-%m-%d").astype(str)


def selected(state: Any, name: str) -> list[dict]:
    """The points of a chart's named selection, from `st.altair_chart(..., on_select="rerun")`."""
    try:
        points = state["selection"][name]
    except (KeyError, TypeError):
        return []
    return points if isinstance(points, list) else []


def selected_day(value: Any) -> str | None:
    """A selected period as "YYYY-MM-DD" (text from the chart data, or epoch milliseconds)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, UTC).date().isoformat()
    return None


def volume_chart(frame: pd.DataFrame, period: str) -> alt.Chart:
    """Cycles started per period, customer- and business-initiated stacked; a click selects a bar part."""
    long = pd.DataFrame({
        "period": np.tile(period_keys(frame[period]), 2),
        "initiator": np.repeat(["customer", "business"], len(frame)),
        "cycles": np.concatenate([frame["inbound_cycles"].to_numpy(), frame["outbound_cycles"].to_numpy()]),
    })
    pick = alt.selection_point(name="pick", fields=["period", "initiator"])
    return alt.Chart(long, title=f"Cycles started per {period}").mark_bar().encode(
        x=_period_axis(period),
        y=alt.Y("cycles:Q", title="cycles", stack="zero"),
        color=alt.Color("initiator:N", title="started by", scale=alt.Scale(domain=["customer", "business"])),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[alt.Tooltip("period:N", title=period), "initiator:N", "cycles:Q"],
    ).add_params(pick).properties(height=260)


def frt_chart(frame: pd.DataFrame, period: str, business: bool) -> alt.Chart:
    """Median first response per period as bars, mean as ticks beside them; a click selects a period."""
    data = pd.DataFrame({
        "period": period_keys(frame[period]),
        "median_min": minutes(frame["frt_median"]).round(2),
        "median": durations(frame["frt_median"]).astype(str),
        "mean": durations(frame["frt_mean"]).astype(str),
        "p90": durations(frame["frt_p90"]).astype(str),
        "answered": frame["frt_count"],
        "within": (frame["frt_within"] * 100).round(1),
    })
    pick = alt.selection_point(name="pick", fields=["period"])
    mode = ", business hours" if business else ""
    # Means sit in the tooltip: a few long waits make them many times the median, which would flatten the bars.
    tooltip = [alt.Tooltip("period:N", title=period), alt.Tooltip("median:N", title="median"),
               alt.Tooltip("mean:N", title="mean"), alt.Tooltip("p90:N", title="p90"),
               alt.Tooltip("answered:Q", title="answered cycles", format=",d"),
               alt.Tooltip("within:Q", title="% within target")]
    return alt.Chart(data, title=f"Median first response per {period}{mode} (hover for mean and p90)").mark_bar(
    ).encode(
        x=_period_axis(period), y=alt.Y("median_min:Q", title="minutes"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)), tooltip=tooltip,
    ).add_params(pick).properties(height=260)


def _period_axis(period: str) -> alt.X:
    return alt.X("period:O", title=f"{period} (local)" if period == "day" else "week (Monday, local)",
                 axis=alt.Axis(labelExpr="slice(datum.value, 5)", labelAngle=-45, labelOverlap="greedy"))


def distribution_chart(frame: pd.DataFrame) -> alt.Chart:
    order = [label for label, _ in FRT_BUCKETS] + [UNANSWERED]
    pick = alt.selection_point(name="pick", fields=["bucket"])
    return alt.Chart(frame[["bucket", "cycles"]], title="First response time, answered cycles per bucket").mark_bar(
    ).encode(
        x=alt.X("bucket:N", sort=order, title="first response", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cycles:Q", title="cycles"),
        color=alt.condition(alt.datum.bucket == UNANSWERED, alt.value("#9ca3af"), alt.value("#2563eb")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=["bucket:N", "cycles:Q"],
    ).add_params(pick).properties(height=260)


def heatmap_chart(frame: pd.DataFrame, timezone: str) -> alt.Chart:
    pick = alt.selection_point(name="pick", fields=["weekday", "hour"])
    names = json.dumps(list(DAY_NAMES))
    return alt.Chart(frame, title=f"Inbound messages by weekday and hour ({timezone})").mark_rect().encode(
        x=alt.X("hour:O", title="hour", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("weekday:O", title=None, axis=alt.Axis(labelExpr=f"{names}[datum.value]", labelOverlap=False)),
        color=alt.Color("inbound_messages:Q", title="messages", scale=alt.Scale(scheme="blues")),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        tooltip=[alt.Tooltip("weekday:O"), "hour:O", alt.Tooltip("inbound_messages:Q", title="inbound messages"),
                 alt.Tooltip("cycles_started:Q", title="cycles started")],
    ).add_params(pick).properties(height=alt.Step(30))


def agent_frt_chart(frame: pd.DataFrame, business: bool) -> alt.Chart:
    """Median first response per agent (people only); `frame` is `agent_display`'s table."""
    data = pd.DataFrame({"agent": frame["agent"], "agent_key": frame["agent_key"],
                         "median_min": minutes(frame["frt_median_s"]).round(2), "median": frame["frt_median"],
                         "mean": frame["frt_mean"], "first_replies": frame["first_replies"]})
    pick = alt.selection_point(name="pick", fields=["agent_key"])
    mode = ", business hours" if business else ""
    tooltip = ["agent:N", alt.Tooltip("median:N", title="median"), alt.Tooltip("mean:N", title="mean"),
               alt.Tooltip("first_replies:Q", title="first replies", format=",d")]
    return alt.Chart(data, title=f"Median first response by agent{mode} (hover for the mean)").mark_bar().encode(
        y=alt.Y("agent:N", sort=alt.EncodingSortField("median_min", order="ascending"), title=None,
                axis=alt.Axis(labelOverlap=False, labelLimit=220)),
        x=alt.X("median_min:Q", title="minutes"),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)), tooltip=tooltip, detail="agent_key:N",
    ).add_params(pick).properties(height=alt.Step(26))


def chart_png(chart: alt.TopLevelMixin) -> bytes:
    """The chart as a PNG image (vl-convert renders it; loaded only when someone downloads one)."""
    buffer = io.BytesIO()
    chart.save(buffer, format="png", scale_factor=2)
    return buffer.getvalue()


def pick_chart(build: Callable[..., alt.Chart], *inputs: Any, key: str, file_name: str) -> None:
    """`build(*inputs)` drawn with its "pick" selection rerunning the page (state under `key`, which ends
    in "_chart"), and its PNG button. The Vega-Lite spec is made once per input: building and validating
    an Altair chart takes tens of milliseconds, otherwise the largest part of an Analytics rerun."""
    spec, rows = _drawing(build, f"{build.__module__}.{build.__qualname__}", *inputs)
    st.vega_lite_chart(rows, spec, on_select="rerun", selection_mode="pick", key=key, width="stretch")
    st.download_button("PNG", data=lambda: chart_png(build(*inputs)), file_name=file_name, mime="image/png",
                       key=f"{key.removesuffix('_chart')}_png", icon=":material/image:", type="tertiary",
                       on_click="ignore", help="Download this chart as a PNG image")


@st.cache_data(max_entries=256, show_spinner=False)
def _drawing(_build: Callable[..., alt.Chart], name: str, *inputs: Any) -> tuple[dict, pd.DataFrame]:
    """`_build`'s spec without its rows, and the rows, cached under `name` (Streamlit cannot hash a
    function). The rows stay out of the spec: putting them in would go through Altair's global data
    settings (which st.altair_chart switches for a moment, from any session) and its 5,000-row limit."""
    chart = _build(*inputs)
    rows = chart.data
    spec = chart.properties(data=alt.Data(name="rows")).to_dict()
    del spec["data"]  # st.vega_lite_chart sends the rows as the chart's own data
    # Altair's default theme only sets a 300 px view; st.altair_chart draws without it (width from the page).
    view = spec.get("config", {}).get("view", {})
    for size in ("continuousWidth", "continuousHeight"):
        view.pop(size, None)
    if spec.get("config") == {"view": {}}:
        del spec["config"]
    return spec, rows


def download_button(label: str, make: Callable[[], bytes | Missing], file_name: str, key: str, mime: str) -> None:
    """A download made when clicked; a table whose input is missing is not offered."""
    def data() -> bytes:
        made = make()
        return b"" if isinstance(made, Missing) else made

    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key,
                       icon=":material/download:", on_click="ignore")


def export_buttons(data: Cycles, view: View, who: Names, prefix: str) -> None:
    """Per-cycle rows and the series as CSV, their rules as a CSV of their own, and all in one workbook.
    The file names carry the timezone, which replies count and the duration mode."""
    filters, period, business = view.filters, view.period, view.business
    stem = file_stem(data, filters, business)
    labels = who.labels()
    columns = st.columns(4)
    with columns[0]:
        download_button("Per-cycle rows (CSV)", lambda: cycles_csv(data, filters, labels), f"{stem}_cycles.csv",
                        f"{prefix}_cycles_csv", "text/csv")
    with columns[1]:
        download_button(f"{period.capitalize()} series (CSV)", lambda: series_csv(data, filters, period, business),
                        f"{stem}_{period}-series.csv", f"{prefix}_series_csv", "text/csv")
    with columns[2]:
        download_button("Read me: the rules (CSV)", lambda: rules_csv(data, filters, period, business),
                        f"{stem}_read-me.csv", f"{prefix}_rules_csv", "text/csv")
    with columns[3]:
        download_button("All in one workbook (Excel)", lambda: workbook(data, filters, period, business, labels),
                        f"{stem}.xlsx", f"{prefix}_xlsx",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def selected_rows(state: Any) -> list[int]:
    """The selected row positions of an `st.dataframe(..., on_select="rerun")`."""
    try:
        rows = state["selection"]["rows"]
    except (KeyError, TypeError):
        return []
    return [int(r) for r in rows] if isinstance(rows, list) else []


def period_drill(metric: str, period: str, day: str | None, what: str) -> dict | None:
    if day is None:
        return None
    when = f"on {day}" if period == "day" else f"in the week of {day}"
    return {"metric": metric, period: day, "label": f"{what} {when}"}
