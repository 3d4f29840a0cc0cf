"""Inboxes & members: inboxes (create, edit, delete), who belongs to which, and which device feeds which."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from ceox_api.errors import CeoxError
from dashboard import audit, inboxes_plan
from dashboard.capabilities import Capability
from dashboard.capabilities import label as capability_label
from dashboard.editing import apply_editor_state, apply_plan, plan_changes
from dashboard.feedback import explain_error
from dashboard.inboxes_plan import UNASSIGNED, CellChange, inbox_column
from ui import reads, session
from ui.table_editing import (
    TableState,
    apply_changes,
    changes_text,
    confirm_or_cancel,
    show_problems,
    show_report,
    submit,
)

workspace = session.require()
inboxes, devices = reads.INBOXES(), reads.DEVICES()
inbox_table, member_table = TableState("inboxes"), TableState("inbox_members")
device_table = TableState("inbox_devices")


def inboxes_server() -> pd.DataFrame:
    return inboxes_plan.inboxes_frame(reads.INBOXES.fetch(), reads.DEVICES.fetch())


def members_from(fresh: bool) -> pd.DataFrame:
    """The users × inboxes matrix; without users.manage, from the inboxes' member lists instead. `fresh`:
    raise a failure (to the save that asked) rather than stop the page with a message."""
    def read(what: reads.Read[Any], **params: Any) -> Any:
        return what.fetch(**params) if fresh else what(**params)

    current = read(reads.INBOXES)
    if workspace.can(Capability.USERS_MANAGE):
        users = read(reads.USERS)
        return inboxes_plan.membership_frame(users, current, inboxes_plan.memberships_from_users(users))
    lists = {inbox.id: read(reads.INBOX_MEMBERS, inbox_id=inbox.id) for inbox in current}
    users = {user.id: user for members in lists.values() for user in members}.values()
    return inboxes_plan.membership_frame(users, current, {i: [u.id for u in m] for i, m in lists.items()})


def devices_server() -> pd.DataFrame:
    return inboxes_plan.devices_frame(reads.DEVICES.fetch(), reads.INBOXES.fetch())


def apply_cells(table: TableState, changes: list[CellChange], reload: Callable[[], pd.DataFrame],
                before: pd.DataFrame) -> None:
    """Make each call on its own, audit each, then show the server's table with failed cells kept."""
    with st.status(f"Saving {changes_text(len(changes))}…", expanded=False) as status, workspace.client() as client:
        outcomes = apply_plan(changes, lambda change: inboxes_plan.execute_cell(client, change), explain_error)
        failed = sum(not o.ok for o in outcomes)
        status.update(label=f"Saved {len(outcomes) - failed} of {len(outcomes)}",
                      state="error" if failed else "complete")
    for outcome in outcomes:
        session.audit_record(outcome.change.action, outcome.change.label, "ok" if outcome.ok else outcome.message,
                             outcome.change.detail)
    reads.invalidate()
    try:
        fresh = reload()
    except CeoxError:
        # The calls happened; only re-reading failed. `after_save` applies the successful ones to the
        # table read before, so nothing is lost and nothing done is planned again.
        fresh = before
        st.session_state[f"{table.name}_stale"] = True
    table.renew(inboxes_plan.after_save(fresh, outcomes) if failed else None)
    st.session_state[table.report_key] = inboxes_plan.report(outcomes)


def describe_inbox(change, before) -> str:
    """What a change did to an inbox, for the audit log."""
    return audit.difference(None if change.kind == "create" else before, change.fields,
                            {"name": "Name", "color": "Colour", "description": "Description"})


def kept_draft_notice(table: TableState) -> None:
    st.warning("Some changes failed at the last save and are kept below. Correct and save again, or "
               "discard them.", icon=":material/history:")
    if st.button("Discard unsaved edits", icon=":material/delete_sweep:", key=f"{table.name}_discard"):
        table.renew(None)
        st.rerun()


st.title("Inboxes & members")

# --- inboxes ----------------------------------------------------------------------------------------
st.subheader("Inboxes")
show_report(inbox_table)
server = inboxes_plan.inboxes_frame(inboxes, devices)
draft = inbox_table.draft()
if draft is not None:
    kept_draft_notice(inbox_table)
shown = inboxes_plan.with_swatches(draft if draft is not None else server.assign(result=""))

with st.form("inboxes_form", border=False):
    st.data_editor(
        shown, key=inbox_table.editor_key, num_rows="dynamic", hide_index=True, width="stretch",
        disabled=["id", "swatch", "members", "devices", "result"],
        column_order=["id", "swatch", "name", "color", "description", "members", "devices", "result"],
        column_config={
            "id": st.column_config.NumberColumn("#", width="small"),
            "swatch": st.column_config.ImageColumn("Colour", width="small",
                                                   help="Drawn from the colour code once it is saved."),
            "name": st.column_config.TextColumn("Name", required=True, max_chars=200),
            "color": st.column_config.TextColumn("Colour code", max_chars=7, validate=r"^(#[0-9a-fA-F]{6})?$",
                                                 help="#rrggbb, like #16a34a; empty for none."),
            "description": st.column_config.TextColumn("Description", max_chars=1000, width="medium"),
            "members": st.column_config.NumberColumn("Members", width="small"),
            "devices": st.column_config.ListColumn("Devices"),
            "result": st.column_config.TextColumn("Result", width="large"),
        })
    saved = st.form_submit_button("Save changes", type="primary", icon=":material/save:")

if saved:
    desired = inboxes_plan.tidy(apply_editor_state(shown, st.session_state.get(inbox_table.editor_key)))
    actual = server[server["id"].isin(shown["id"].dropna())]
    changes = plan_changes(actual, desired, inboxes_plan.FIELDS, inboxes_plan.label)
    problems = inboxes_plan.validate(changes, desired)
    submit(inbox_table, changes, problems, lambda: apply_changes(
        inbox_table, changes, inboxes_plan.execute, "inbox", inboxes_server, describe_inbox, before=server))


@st.dialog("Delete inboxes?")
def confirm_deletions() -> None:
    changes = st.session_state[inbox_table.pending_key]
    doomed = [c for c in changes if c.kind == "delete"]
    st.write(f"This save deletes {'1 inbox' if len(doomed) == 1 else f'{len(doomed):,} inboxes'}. Their "
             "memberships and device assignments go with them: the members lose access to these inboxes' "
             "conversations and the devices are left unassigned. This cannot be undone.")
    st.dataframe(pd.DataFrame({"Inbox": [c.label for c in doomed],
                               "Members": [c.row.get("members") for c in doomed],
                               "Devices": [list(c.row.get("devices") or []) for c in doomed]}),
                 hide_index=True, width="stretch")
    confirm_or_cancel(inbox_table, changes, len(doomed), lambda: apply_changes(
        inbox_table, changes, inboxes_plan.execute, "inbox", inboxes_server, describe_inbox, before=server))


if st.session_state.get(inbox_table.pending_key):
    confirm_deletions()

# --- members ----------------------------------------------------------------------------------------
st.divider()
st.subheader("Members")
show_report(member_table)
if not inboxes:
    st.info("There are no inboxes yet: create one above, then choose its members here.")
else:
    if not workspace.can(Capability.USERS_MANAGE):
        st.caption(f"Your role lacks “{capability_label(Capability.USERS_MANAGE)}”, so the user list cannot be "
                   "read: this shows the users "
                   "who are already members of an inbox. Someone in no inbox yet can be added by an admin.")
    member_server = members_from(fresh=False)
    member_draft = member_table.draft()
    if member_draft is not None:
        kept_draft_notice(member_table)
    member_shown = member_draft if member_draft is not None else member_server.assign(result="")
    inbox_columns = {inbox_column(i.id): st.column_config.CheckboxColumn(i.name, default=False) for i in inboxes}
    with st.form("members_form", border=False):
        st.caption("Tick the inboxes each user belongs to.")
        st.data_editor(
            member_shown, key=member_table.editor_key, num_rows="fixed", hide_index=True, width="stretch",
            disabled=["id", "name", "email", "result"],
            column_order=["id", "name", "email", *(c for c in inbox_columns if c in member_shown), "result"],
            column_config={"id": st.column_config.NumberColumn("#", width="small"),
                           "name": st.column_config.TextColumn("Name"),
                           "email": st.column_config.TextColumn("Email"),
                           **inbox_columns,
                           "result": st.column_config.TextColumn("Result", width="large")})
        saved_members = st.form_submit_button("Save memberships", type="primary", icon=":material/save:")
    if saved_members:
        desired = apply_editor_state(member_shown, st.session_state.get(member_table.editor_key))
        changes = inboxes_plan.plan_memberships(member_server, desired, inboxes)
        if not changes:
            st.info("Nothing to save: no box was ticked or unticked.")
        else:
            apply_cells(member_table, changes, lambda: members_from(fresh=True), member_server)
            st.rerun()

# --- devices ----------------------------------------------------------------------------------------
st.divider()
st.subheader("Devices")
show_report(device_table)
if not devices:
    st.info("This workspace has no devices (WhatsApp numbers) yet.")
else:
    device_server = inboxes_plan.devices_frame(devices, inboxes)
    device_draft = device_table.draft()
    if device_draft is not None:
        kept_draft_notice(device_table)
    device_shown = device_draft if device_draft is not None else device_server.assign(result="")
    with st.form("devices_form", border=False):
        st.caption("A device belongs to at most one inbox: choosing another inbox moves it, with its "
                   "conversations. “— unassigned —” takes it out of its inbox; the published API does not "
                   "promise this, so a real CEOX service may refuse it.")
        st.data_editor(
            device_shown, key=device_table.editor_key, num_rows="fixed", hide_index=True, width="stretch",
            disabled=["id", "name", "phone", "status", "result"],
            column_order=["id", "name", "phone", "status", "inbox", "result"],
            column_config={"id": st.column_config.NumberColumn("#", width="small"),
                           "name": st.column_config.TextColumn("Device"),
                           "phone": st.column_config.TextColumn("Phone"),
                           "status": st.column_config.TextColumn("Status"),
                           "inbox": st.column_config.SelectboxColumn(
                               "Inbox", options=[UNASSIGNED, *(i.name for i in inboxes)], required=True),
                           "result": st.column_config.TextColumn("Result", width="large")})
        saved_devices = st.form_submit_button("Save device assignments", type="primary", icon=":material/save:")
    if saved_devices:
        desired = apply_editor_state(device_shown, st.session_state.get(device_table.editor_key))
        problems = inboxes_plan.device_problems(device_server, desired, inboxes)
        changes = inboxes_plan.plan_device_moves(device_server, desired, inboxes)
        if problems:
            show_problems(problems)
        elif not changes:
            st.info("Nothing to save: no device was given another inbox.")
        else:
            apply_cells(device_table, changes, devices_server, device_server)
            st.rerun()
