"""Users: an editable table (bulk add, edit, delete), password resets, CSV export and import."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import users_import, users_table, validation
from dashboard.editing import apply_editor_state, plan_changes
from ui import session
from ui.plain_text import plain
from ui.table_editing import TableState, apply_changes, confirm_or_cancel, show_report, submit

workspace = session.require()
users, roles, inboxes = session.read("users"), session.read("roles"), session.read("inboxes")
role_names = [r.name for r in roles]
inbox_names = [i.name for i in inboxes]
table = TableState("users")


def server_frame() -> pd.DataFrame:
    return users_table.users_frame(session.fetch("users"), session.fetch("roles"), session.fetch("inboxes"))


def execute(client, change):
    return users_table.execute(client, change, roles, inboxes)


st.title("Users")
show_report(table)

search_col, role_col, status_col = st.columns([2, 1, 1])
query = search_col.text_input("Search", placeholder="name or email", max_chars=200)
role_filter = role_col.multiselect("Role", role_names)
status_filter = status_col.multiselect("Status", users_table.STATUSES)

server = users_table.users_frame(users, roles, inboxes)
draft = table.draft()
shown = draft if draft is not None else server.assign(result="")
visible = users_table.filter_rows(shown, query, role_filter, status_filter)
if draft is not None:
    st.warning("Some changes failed at the last save and are kept below. Correct and save again, or "
               "discard them.", icon=":material/history:")
    if st.button("Discard unsaved edits", icon=":material/delete_sweep:"):
        table.renew(None)
        st.rerun()

with st.form("users_form", border=False):
    st.data_editor(
        visible, key=table.editor_key, num_rows="dynamic", hide_index=True, width="stretch",
        disabled=["id", "result"],
        column_order=["id", "name", "email", "role", "status", "inboxes", "password", "result"],
        column_config={
            "id": st.column_config.NumberColumn("id", width="small"),
            "name": st.column_config.TextColumn("Name", required=True, max_chars=200),
            "email": st.column_config.TextColumn("Email", required=True, max_chars=254),
            "role": st.column_config.SelectboxColumn("Role", options=role_names, required=True),
            "status": st.column_config.SelectboxColumn("Status", options=users_table.STATUSES,
                                                       default="offline"),
            "inboxes": st.column_config.MultiselectColumn("Inboxes", options=inbox_names, default=[]),
            "password": st.column_config.TextColumn(
                "Initial password", max_chars=1024,
                help="New users only (at least 8 characters). Existing users: use Reset password below."),
            "result": st.column_config.TextColumn("Result", width="large"),
        })
    saved = st.form_submit_button("Save changes", type="primary", icon=":material/save:")

if saved:
    desired = apply_editor_state(visible, st.session_state.get(table.editor_key))
    actual = server[server["id"].isin(visible["id"].dropna())]
    changes = plan_changes(actual, desired, users_table.FIELDS, users_table.label, users_table.CREATE_ONLY)
    problems = users_table.validate(changes, desired, roles, inboxes)
    submit(table, changes, problems, lambda: apply_changes(
        table, changes, execute, "user", server_frame, before=server))


@st.dialog("Delete users?")
def confirm_deletions() -> None:
    changes = st.session_state[table.pending_key]
    doomed = [c.label for c in changes if c.kind == "delete"]
    st.write(f"This save deletes {len(doomed)} user(s). They lose access at once; this cannot be undone.")
    st.dataframe(pd.DataFrame({"user": doomed}), hide_index=True, width="stretch")
    confirm_or_cancel(table, changes, len(doomed), lambda: apply_changes(
        table, changes, execute, "user", server_frame, before=server))


if st.session_state.get(table.pending_key):
    confirm_deletions()

st.download_button("Export CSV", users_import.to_csv(server), file_name="users.csv", mime="text/csv",
                   icon=":material/download:")

st.divider()
reset_col, own_col = st.columns(2)
with reset_col:
    st.subheader("Reset a user's password")
    with st.form("reset_password", clear_on_submit=True):
        labels = {f"{u.name} <{u.email}>": u for u in users}
        chosen = st.selectbox("User", list(labels), index=None, placeholder="Choose a user")
        new_password = st.text_input("New password", type="password", max_chars=1024)
        if st.form_submit_button("Reset password"):
            problem = ("Choose a user." if chosen is None else validation.password(new_password, "New password"))
            if problem:
                st.error(problem)
            else:
                user = labels[chosen]
                ok, message, _ = session.run_write(
                    "user.password_reset", user.email, lambda c: c.users.set_password(user.id, new_password))
                (st.success if ok else st.error)(f"Password of {plain(user.email)} reset." if ok else plain(message))

with own_col:
    if workspace.kind == "token":
        st.subheader("Change my password")
        with st.form("my_password", clear_on_submit=True):
            current = st.text_input("Current password", type="password", max_chars=1024)
            new = st.text_input("New password", type="password", max_chars=1024, key="my_new_password")
            again = st.text_input("New password again", type="password", max_chars=1024)
            if st.form_submit_button("Change my password"):
                problem = validation.password(new, "New password") or (
                    "The two new passwords differ." if new != again else None) or (
                    "Enter your current password." if not current else None)
                if problem:
                    st.error(problem)
                else:
                    ok, message, _ = session.run_write(
                        "me.password", workspace.actor,
                        lambda c: c.me.change_password(current_password=current, new_password=new))
                    (st.success if ok else st.error)(
                        "Your password was changed." if ok else f"Your password was not changed: {plain(message)}")

st.divider()
st.subheader("Import from CSV")
st.caption("Columns: name, email, role, and optionally status, inboxes (separated by ;) and password "
           "(required for new users). Rows are matched to existing users by email.")
upload = st.file_uploader("CSV file", type=["csv"], max_upload_size=1, key="users_csv")
if upload is not None:
    data = upload.getvalue()
    # Streamlit's upload endpoint enforces max_upload_size; checked again here, before any parsing.
    preview, changes, problem = (
        (pd.DataFrame(), [], "The file is larger than 1 MB: split it into several CSV files.")
        if len(data) > 1024 * 1024 else users_import.plan_import(data, server, roles, inboxes))
    if problem:
        st.error(plain(problem))
    else:
        counts = preview["action"].value_counts().to_dict()
        st.write(", ".join(f"{counts.get(a, 0)} {a}" for a in ("create", "update", "unchanged", "invalid")))
        st.dataframe(preview, hide_index=True, width="stretch")
        if changes and st.button(f"Apply {len(changes)} change(s)", type="primary"):
            apply_changes(table, changes, execute, "user.import", server_frame, before=server)
            st.rerun()
