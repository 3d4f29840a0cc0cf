"""Roles & capabilities: the roles × capabilities matrix (create, rename, tick, delete) and a role preview."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ceox_api.errors import CeoxError
from dashboard import capabilities, lockout, roles_matrix
from dashboard.editing import apply_editor_state, normalise
from ui import reads, session
from ui.table_editing import TableState, apply_changes, changes_text, confirm_or_cancel, show_report, submit

workspace = session.require()
roles = reads.ROLES()
matrix = roles_matrix.Matrix.of(roles)
table = TableState("roles")
me = workspace.me.user


def team() -> lockout.Team:
    """Who holds what now, for the safety rails: every user when the credential may list them, else the
    signed-in user alone (who then cannot manage users, so only its own access is at stake)."""
    try:
        users = reads.USERS.fetch() if workspace.can(capabilities.Capability.USERS_MANAGE) else []
    except CeoxError:
        users = []
    return lockout.Team.of(roles, users or ([me] if me is not None else []))


def server_frame() -> pd.DataFrame:
    return roles_matrix.roles_frame(reads.ROLES(), matrix)


def save(changes) -> None:
    writer = roles_matrix.RoleWriter()
    apply_changes(table, changes, writer, "role", server_frame,
                  lambda change, before: roles_matrix.describe_change(change, before, matrix), before=server)
    if writer.created_without_capabilities:
        table.renew(roles_matrix.keep_created(table.draft(), writer.created_without_capabilities))


st.title("Roles & capabilities")
st.caption("One row per role, one column per capability: tick, untick, rename, add or delete rows, then save "
           "once. Hover a column header for what the capability allows. System roles (🔒) keep their names "
           "and cannot be deleted; their capabilities can change.")
show_report(table)

server = server_frame()
draft = table.draft()
shown = roles_matrix.typed(draft if draft is not None else server.assign(result=""), matrix)
if draft is not None:
    st.warning("Some changes failed at the last save and are kept below. Correct and save again, or "
               "discard them.", icon=":material/history:")
    if st.button("Discard unsaved edits", icon=":material/delete_sweep:"):
        table.renew(None)
        st.rerun()
if matrix.unknown:
    st.text(f"Unknown to this dashboard: {', '.join(matrix.unknown)}. Roles hold these capabilities and "
            "they are kept as they are, but what they allow is not known here.")

capability_columns = {
    matrix.column(capability): st.column_config.CheckboxColumn(
        capabilities.label(capability), help=roles_matrix.describe(capability))
    for capability in matrix.capabilities}
with st.form("roles_form", border=False):
    st.data_editor(
        shown, key=table.editor_key, num_rows="dynamic", hide_index=True, width="stretch",
        disabled=["id", "is_system", "user_count", "result"],
        column_order=["id", "name", "is_system", *matrix.columns, "user_count", "result"],
        column_config={
            "id": st.column_config.NumberColumn("#", width="small"),
            "name": st.column_config.TextColumn("Role", required=True, max_chars=200),
            "is_system": st.column_config.CheckboxColumn(
                "🔒 System", help="A system role comes with the workspace: its name is locked and it cannot be "
                                 "deleted."),
            **capability_columns,
            "user_count": st.column_config.NumberColumn("Users", help="Users who have this role"),
            "result": st.column_config.TextColumn("Result", width="large"),
        })
    saved = st.form_submit_button("Save changes", type="primary", icon=":material/save:")

if saved:
    desired = apply_editor_state(shown, st.session_state.get(table.editor_key))
    actual = server[server["id"].isin(shown["id"].dropna())]
    changes = roles_matrix.plan(actual, desired, matrix)
    problems = roles_matrix.validate(changes, actual, desired)
    now = team()
    verdict = lockout.judge(now, roles_matrix.team_after(now, changes), me.id if me else None,
                            lockout.MANAGE_ROLES, capabilities.LABELS)
    submit(table, changes, problems, lambda: save(changes), verdict)


@st.dialog("Confirm the save")
def confirm_deletions() -> None:
    changes = st.session_state[table.pending_key]
    doomed = [c for c in changes if c.kind == "delete"]
    if doomed:
        st.write(f"This save deletes {'1 role' if len(doomed) == 1 else f'{len(doomed):,} roles'}; this cannot "
                 "be undone.")
        users = [int(normalise(c.row.get("user_count")) or 0) for c in doomed]
        st.dataframe(pd.DataFrame({"Role": [c.label for c in doomed], "Users": users}), hide_index=True,
                     width="stretch")
        if any(users):
            st.warning("A role still assigned to users cannot be deleted: give them another role first, or the "
                       "service will refuse.", icon=":material/warning:")
    else:
        st.write(f"This save applies {changes_text(len(changes))}.")
    confirm_or_cancel(table, changes, len(doomed), lambda: save(changes), me.email if me else "")


if st.session_state.get(table.pending_key):
    confirm_deletions()

st.divider()
st.subheader("View as a role")
names = {role.id: role.name for role in roles}
chosen = st.selectbox("Role", list(names), format_func=names.get, index=None, placeholder="Choose a role",
                      key="roles_preview")
if chosen is not None:
    role = next(r for r in roles if r.id == chosen)
    preview = roles_matrix.preview(role.capabilities)
    st.caption("From the role's saved capabilities (unsaved ticks above are not included).")
    pages_col, actions_col = st.columns([1, 2])
    with pages_col:
        st.markdown("**Pages it opens**")
        pages = pd.DataFrame([(p.title, p.section) for p in preview.pages], columns=["Page", "Section"])
        st.dataframe(pages, hide_index=True, width="stretch")
    with actions_col:
        st.markdown("**May**")
        st.dataframe(pd.DataFrame(preview.may, columns=["Capability", "What it allows"]), hide_index=True,
                     width="stretch")
        st.markdown("**May not**")
        st.dataframe(pd.DataFrame(preview.may_not, columns=["Capability", "What it allows"]), hide_index=True,
                     width="stretch")
    if preview.scoped:
        st.info("Inbox scoping applies: without “See all inboxes”, this role sees only the devices and "
                "conversations of the inboxes its users are members of.", icon=":material/filter_alt:")
    else:
        st.info("With “See all inboxes”, this role sees every inbox's devices and conversations.",
                icon=":material/visibility:")
    if preview.unknown:
        st.text(f"Also holds, unknown to this dashboard: {', '.join(preview.unknown)}.")
