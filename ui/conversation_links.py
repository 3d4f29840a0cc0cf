"""Links from any page to one conversation, in the same tab and session.

A link column in a table (`st.column_config.LinkColumn`) always opens a new browser tab, which is a new
session without the credential; so tables list conversation numbers, and selecting a row offers an
`st.page_link` that opens it here, where the Conversations page reads `?conversation=<id>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import navigation

PAGE = navigation.CONVERSATIONS.path


def link(conversation_id: int, where: Any = st, label: str | None = None) -> None:
    where.page_link(PAGE, label=label or f"Open conversation #{conversation_id}", icon=":material/forum:",
                    query_params={"conversation": str(conversation_id)})


def numbers(ids: pd.Series) -> pd.Series:
    """Conversation numbers as a table shows them ("#68")."""
    return ids.map(lambda i: f"#{int(i)}")


def column(label: str = "Conversation") -> Any:
    return st.column_config.TextColumn(label, help="Select the row to open this conversation")


def table_key(name: str, ids: Sequence[int]) -> str:
    """A table key that changes with its rows, so a selection never stays on a row that now holds
    another conversation (the live board reorders as waits grow)."""
    return f"{name}_{hash(tuple(int(i) for i in ids))}"


def open_selected(table: Any, ids: Sequence[int], where: Any = st) -> None:
    """Below a table shown with `on_select="rerun"`: a link to the selected row's conversation."""
    rows = table.selection.rows if table is not None else []
    if rows and rows[0] < len(ids):
        link(int(ids[rows[0]]), where)
    else:
        where.caption("Select a row to open its conversation.")
