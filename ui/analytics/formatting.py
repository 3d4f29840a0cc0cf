"""Formatting shared by the analytics pages: durations in one style ("6m 25s"), minutes, weekday names,
count columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


UNANSWERED = "unanswered"


def COUNT(label: str, **kwargs: Any) -> Any:  # noqa: N802 (reads like the column types it stands beside)
    """A count column with thousands separators (in the browser's locale)."""
    return st.column_config.NumberColumn(label, format="localized", **kwargs)


def duration(seconds: float | None) -> str:
    """"42s", "6m 41s", "3h 05m", "2d 4h"; "—" for no value."""
    if seconds is None or not np.isfinite(seconds):
        return "—"
    seconds = round(float(seconds))
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds}s"
    if seconds < 3600:
        return f"{sign}{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{sign}{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{sign}{seconds // 86400}d {seconds % 86400 // 3600}h"


def durations(values: Any) -> pd.Series:
    """A column of seconds as duration text, the one style of cards, tables, charts and drill-downs."""
    return pd.Series(values).map(duration).astype("string")


def minutes(values: Any) -> Any:
    """Seconds to minutes, for chart axes (their tooltips show `duration` text)."""
    return values / 60
