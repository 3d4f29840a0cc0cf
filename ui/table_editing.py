"""The save cycle of an editable table: plan → validate → confirm deletions → apply → keep failures.

Pages give the domain parts (plan, validation, execution); this module owns the session state
that makes failed rows survive a save: a draft frame and a version number that renews the editor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ceox_api import Client
from ceox_api.errors import CeoxError
from dashboard import audit
from dashboard.editing import Change, Outcome, apply_plan, draft_after, expected_after
from dashboard.feedback import explain_error
from ui import session


@dataclass(frozen=True)
class TableState:
    """Session-state keys of one editable table, by its name."""

    name: str

    @property
    def editor_key(self) -> str:
        return f"{self.name}_editor_{st.session_state.get(f'{self.name}_version', 0)}"

    def draft(self) -> pd.DataFrame | None:
        return st.session_state.get(f"{self.name}_draft")

    def renew(self, draft: pd.DataFrame | None) -> None:
        """Show `draft` (or the server's rows when None) in a fresh editor."""
        if draft is None:
            st.session_state.pop(f"{self.name}_draft", None)
        else:
            st.session_state[f"{self.name}_draft"] = draft
        st.session_state[f"{self.name}_version"] = st.session_state.get(f"{self.name}_version", 0) + 1

    @property
    def pending_key(self) -> str:
        return f"{self.name}_pending_plan"

    @property
    def report_key(self) -> str:
        return f"{self.name}_report"


def apply_changes(table: TableState, changes: list[Change], execute: Callable[[Client, Change], object],
                  action: str, reload: Callable[[], pd.DataFrame], before: pd.DataFrame | None = None
                  ) -> list[Outcome]:
    """Apply every change (each on its own), audit each, then show the server's rows with failures kept.

    `reload` reads the server's table again (it may raise CeoxError); `before`, the table the changes
    were planned against, stands in for it when that read fails."""
    workspace = session.require()
    with st.status(f"Saving {len(changes)} change(s)…", expanded=False) as status, workspace.client() as client:
        outcomes = apply_plan(changes, lambda change: execute(client, change), explain_error)
        failed = sum(not o.ok for o in outcomes)
        status.update(label=f"Saved {len(outcomes) - failed} of {len(outcomes)}",
                      state="error" if failed else "complete")
    for outcome in outcomes:
        change = outcome.change
        detail = ", ".join(sorted(k for k in change.fields if k != "password"))
        audit.record(workspace, f"{action}.{change.kind}", change.label, "ok" if outcome.ok else outcome.message,
                     detail)
    session.invalidate()
    try:
        fresh = reload()
    except CeoxError:
        if before is None:
            raise
        # The save happened; only re-reading failed. Show what the server must now hold, so that no
        # failed edit is lost and no successful one is planned again.
        fresh = expected_after(before, outcomes)
        st.session_state[f"{table.name}_stale"] = True
    table.renew(draft_after(fresh, outcomes) if any(not o.ok for o in outcomes) else None)
    st.session_state[table.report_key] = [(o.change.kind, o.change.label, o.ok, o.message) for o in outcomes]
    return outcomes


def show_report(table: TableState) -> None:
    """The outcome of the last save, once, after the rerun that follows it."""
    report = st.session_state.pop(table.report_key, None)
    if not report:
        return
    if st.session_state.pop(f"{table.name}_stale", False):
        st.warning("The table could not be re-read after saving: it shows what the server should now hold.",
                   icon=":material/sync_problem:")
    failed = [r for r in report if not r[2]]
    if failed:
        st.error(f"{len(report) - len(failed)} of {len(report)} changes saved; {len(failed)} failed. "
                 "The failed rows are still in the table with the reason in the result column: "
                 "correct them and save again.", icon=":material/error:")
    else:
        st.success(f"Saved all {len(report)} changes." if len(report) > 1 else "Saved the change.",
                   icon=":material/check_circle:")
    frame = pd.DataFrame(report, columns=["change", "row", "ok", "result"])
    st.dataframe(frame, hide_index=True, width="stretch")


def show_problems(problems: dict[str, list[str]]) -> None:
    """Validation problems per row; shown in a table, since row labels are typed text (never Markdown)."""
    st.error(f"Nothing was saved: {len(problems)} row(s) need fixing first.", icon=":material/edit_off:")
    rows = [(row, " ".join(messages)) for row, messages in problems.items()]
    st.dataframe(pd.DataFrame(rows, columns=["row", "problem"]), hide_index=True, width="stretch")


def confirm_or_cancel(table: TableState, changes: list[Change], deletions: int,
                      on_confirm: Callable[[], object]) -> None:
    """The end of a deletion dialog: what else the save does, then "Delete and save" or "Cancel"."""
    others = len(changes) - deletions
    if others:
        st.caption(f"The save also applies {others} other change(s).")
    delete_col, cancel_col = st.columns(2)
    if delete_col.button("Delete and save", type="primary"):
        st.session_state.pop(table.pending_key)
        on_confirm()
        st.rerun()
    if cancel_col.button("Cancel"):
        st.session_state.pop(table.pending_key)
        st.rerun()


def submit(table: TableState, changes: list[Change], problems: dict[str, list[str]],
           apply: Callable[[], object]) -> None:
    """After "Save changes": say there is nothing to do, show the problems, ask before deleting, or apply."""
    if not changes:
        st.info("Nothing to save: the table has no changes.")
    elif problems:
        show_problems(problems)
    elif any(c.kind == "delete" for c in changes):
        st.session_state[table.pending_key] = changes
    else:
        apply()
        st.rerun()
