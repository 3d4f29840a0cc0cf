"""Tables that show their rows: as tall as their rows up to a limit (no 400 px box with rows hidden
below), and longer lists in pages, so a long list never renders whole."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

ROW_PX = 35  # Streamlit's grid row and header height
MAX_ROWS = 25  # taller than this, a table scrolls (editable) or pages (read-only)
PAGE_SIZE = MAX_ROWS  # a page shows whole


def table_height(rows: int) -> int:
    """Pixels for the header and `rows` rows (at least one, for the empty message), up to MAX_ROWS rows."""
    return ROW_PX * (min(max(rows, 1), MAX_ROWS) + 1) + 3


def show_paged(frame: pd.DataFrame, key: str, noun: tuple[str, str], page_size: int = PAGE_SIZE, **options) -> None:
    """`frame` one page at a time, with a page picker when it has more than one; `noun` is (singular, plural)
    for the count ("1 entry", "2,345 entries"); `options` go to st.dataframe."""
    pages = max(1, math.ceil(len(frame) / page_size))
    count = f"{len(frame):,} {noun[0] if len(frame) == 1 else noun[1]}"
    page = 1
    if pages > 1:
        left, right = st.columns([1, 3], vertical_alignment="bottom")
        page = int(left.number_input("Page", min_value=1, max_value=pages, value=1, step=1, key=key))
        right.caption(f"{count} · page {page:,} of {pages:,}")
    else:
        st.caption(count)
    shown = frame.iloc[(page - 1) * page_size: page * page_size]
    st.dataframe(shown, hide_index=True, width="stretch", height=table_height(len(shown)), **options)
