"""The save cycle of an editable table: plan → validate → confirm deletions → apply → keep failures.

Pages give the domain parts (plan, validation, execution); this module owns the session state
that makes failed rows survive a save: a draft frame and a version number that renews the editor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from ceox_api import Client
from ceox_api.errors import CeoxError
from dashboard.editing import Change, Outcome, apply_plan, draft_after, expected_after
from dashboard.feedback import explain_error
from dashboard.lockout import Verdict
from ui import reads, session
from ui.plain_text import plain

# What a change did, for the audit log: (the change, the row as it was before, or None) → "Role: A → B".
Describe = Callable[[Change, Mapping[str, Any] | None], str]


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

    @property
    def own_loss_key(self) -> str:
        """What the pending save would cost the signed-in user (asks for a typed confirmation)."""
        return f"{self.name}_own_losses"


def changes_text(count: int) -> str:
    return f"{count:,} change" if count == 1 else f"{count:,} changes"


def apply_changes(table: TableState, changes: list[Change], execute: Callable[[Client, Change], object],
                  action: str, reload: Callable[[], pd.DataFrame], describe: Describe,
                  before: pd.DataFrame | None = None) -> list[Outcome]:
    """Apply every change (each on its own), audit each with what it changed, then show the server's rows
    with failures kept.

    `reload` reads the server's table again (it may raise CeoxError); `before`, the table the changes
    were planned against, gives the audit log its "before" values and stands in for the server's rows
    when that read fails."""
    workspace = session.require()
    earlier = {} if before is None else {int(r["id"]): r for r in before.to_dict("records") if pd.notna(r["id"])}
    with st.status(f"Saving {changes_text(len(changes))}…", expanded=False) as status, workspace.client() as client:
        outcomes = apply_plan(changes, lambda change: execute(client, change), explain_error)
        failed = sum(not o.ok for o in outcomes)
        status.update(label=f"Saved {len(outcomes) - failed} of {len(outcomes)}",
                      state="error" if failed else "complete")
    for outcome in outcomes:
        change = outcome.change
        session.audit_record(f"{action}.{change.kind}", change.label, "ok" if outcome.ok else outcome.message,
                             describe(change, earlier.get(change.id) if change.id is not None else None))
    reads.invalidate()
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
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "change": "Change", "row": "Row", "ok": st.column_config.CheckboxColumn("Saved"), "result": "Result"})


def show_problems(problems: dict[str, list[str]]) -> None:
    """Validation problems per row; shown in a table, since row labels are typed text (never Markdown)."""
    rows_text = "1 row needs" if len(problems) == 1 else f"{len(problems):,} rows need"
    st.error(f"Nothing was saved: {rows_text} fixing first.", icon=":material/edit_off:")
    rows = [(row, " ".join(messages)) for row, messages in problems.items()]
    st.dataframe(pd.DataFrame(rows, columns=["row", "problem"]), hide_index=True, width="stretch")


def confirm_or_cancel(table: TableState, changes: list[Change], deletions: int,
                      on_confirm: Callable[[], object], must_type: str = "") -> None:
    """The end of a confirmation dialog: what else the save does; if it costs the signed-in user this page,
    why, and a box where `must_type` must be typed; then the confirm button or "Cancel"."""
    others = len(changes) - deletions
    if others and deletions:
        st.caption(f"The save also applies {changes_text(others).replace('change', 'other change')}.")
    own_losses = st.session_state.get(table.own_loss_key) or []
    for loss in own_losses:
        st.error(loss, icon=":material/lock:")
    typed = st.text_input(f"Type {plain(must_type)} to confirm", key=f"{table.name}_typed_confirmation",
                          max_chars=300) if own_losses else must_type
    confirm_col, cancel_col = st.columns(2)
    label = "Delete and save" if deletions else "Save and lose my access"
    if confirm_col.button(label, type="primary", disabled=typed.strip() != must_type):
        _close_pending(table)
        on_confirm()
        st.rerun()
    if cancel_col.button("Cancel"):
        _close_pending(table)
        st.rerun()


def _close_pending(table: TableState) -> None:
    st.session_state.pop(table.pending_key)
    st.session_state.pop(table.own_loss_key, None)


def submit(table: TableState, changes: list[Change], problems: dict[str, list[str]],
           apply: Callable[[], object], verdict: Verdict | None = None) -> None:
    """After "Save changes": say there is nothing to do, show the problems or why the save is refused,
    ask before deleting or before the signed-in user loses this page, or apply."""
    verdict = verdict or Verdict()
    if not changes:
        st.info("Nothing to save: the table has no changes.")
    elif problems:
        show_problems(problems)
    elif verdict.refusals:
        st.error("Nothing was saved:", icon=":material/block:")
        for refusal in verdict.refusals:
            st.error(refusal, icon=":material/lock:")
    elif verdict.own_losses or any(c.kind == "delete" for c in changes):
        st.session_state[table.pending_key] = changes
        st.session_state[table.own_loss_key] = verdict.own_losses
    else:
        apply()
        st.rerun()
