"""Solve many conversations at once (the Live board's stale waits): asked first, each solved through the
service on its own, and the outcome shown per conversation, so a failure is never hidden by a success.

The board itself refreshes every few seconds inside a fragment, so the question and the outcome are
kept in the session and shown by the page outside it: a refresh never closes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ui import session

PENDING = "bulk_solve_pending"
OUTCOME = "bulk_solve_outcome"


@dataclass(frozen=True)
class Row:
    conversation_id: int
    contact: str


def _conversations(count: int) -> str:
    return "1 conversation" if count == 1 else f"{count:,} conversations"


def offer(rows: list[Row], where=st) -> None:
    """The button under the stale list: it asks first (outside the refreshing fragment)."""
    if not rows:
        return
    if where.button(f"Solve these {_conversations(len(rows))}…", icon=":material/task_alt:",
                    key="bulk_solve_offer", help="Each is marked solved through the service; you confirm first."):
        st.session_state[PENDING] = rows
        st.session_state.pop(OUTCOME, None)
        st.rerun(scope="app")


def solve_all(rows: list[Row]) -> pd.DataFrame:
    """Solve each conversation through the service (each recorded in the audit log): one row per conversation
    with its outcome, "Solved" or the reason it was not."""
    outcomes = []
    progress = st.progress(0.0, text=f"Solving {_conversations(len(rows))}…")
    for done, row in enumerate(rows, 1):
        ok, message, _ = session.run_write(
            "conversation.solve", f"conversation #{row.conversation_id}",
            lambda client, cid=row.conversation_id: client.conversations.solve(cid), "Status: open → solved")
        outcomes.append("Solved" if ok else f"Not solved: {message}")
        progress.progress(done / len(rows), text=f"Solved {done:,} of {len(rows):,}…")
    progress.empty()
    return pd.DataFrame({"conversation": [f"#{r.conversation_id}" for r in rows],
                         "contact": [r.contact for r in rows], "outcome": outcomes})


def show(stale_after: str, on_solved: Callable[[list[int]], None]) -> None:
    """Below the board: the question while one is pending, then the outcome until dismissed. `stale_after`
    is the wait that makes a conversation stale, in words; `on_solved(ids)` is told which conversations
    were solved (to refresh what shows them)."""
    rows: list[Row] | None = st.session_state.get(PENDING)
    if rows:
        with st.container(border=True):
            st.warning(f"Solve {_conversations(len(rows))} whose customers have waited more than {stale_after}? "
                       "Each leaves the open list; a new message from its customer reopens it.",
                       icon=":material/task_alt:")
            confirm, cancel = st.columns([1, 4])
            if confirm.button(f"Solve {_conversations(len(rows))}", type="primary", key="bulk_solve_confirm"):
                st.session_state.pop(PENDING, None)
                outcome = solve_all(rows)
                st.session_state[OUTCOME] = outcome
                on_solved([r.conversation_id for r, o in zip(rows, outcome["outcome"], strict=True) if o == "Solved"])
                st.rerun()
            if cancel.button("Cancel", key="bulk_solve_cancel"):
                st.session_state.pop(PENDING, None)
                st.rerun()
    outcome: pd.DataFrame | None = st.session_state.get(OUTCOME)
    if outcome is not None:
        solved = int((outcome["outcome"] == "Solved").sum())
        failed = len(outcome) - solved
        with st.container(border=True):
            sentence = f"Solved {solved:,} of {len(outcome):,} stale conversations."
            if failed:
                st.error(f"{sentence} {_conversations(failed).capitalize()} could not be solved: see why below.",
                         icon=":material/error:")
            else:
                st.success(sentence, icon=":material/check_circle:")
            st.dataframe(outcome, hide_index=True, width="stretch",
                         column_config={"conversation": st.column_config.TextColumn("Conversation"),
                                        "contact": st.column_config.TextColumn("Contact"),
                                        "outcome": st.column_config.TextColumn("Outcome", width="large")})
            if st.button("Dismiss", key="bulk_solve_dismiss"):
                st.session_state.pop(OUTCOME, None)
                st.rerun()
