"""Users: "Add user" (a dialog with the password), a table to edit and delete in bulk, password resets,
CSV export and import."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import audit, capabilities, lockout, users_import, users_table, validation
from dashboard.editing import apply_editor_state, plan_changes
from ui import reads, session
from ui.plain_text import plain
from ui.table_editing import TableState, apply_changes, changes_text, confirm_or_cancel, show_report, submit
from ui.tables import table_height

workspace = session.require()
users, roles, inboxes = reads.USERS(), reads.ROLES(), reads.INBOXES()
role_names = [r.name for r in roles]
inbox_names = [i.name for i in inboxes]
table = TableState("users")
me = workspace.me.user
ADD_OPEN, ADDED = "add_user_open", "add_user_created"


def server_frame() -> pd.DataFrame:
    return users_table.users_frame(reads.USERS.fetch(), reads.ROLES.fetch(), reads.INBOXES.fetch())


def execute(client, change):
    return users_table.execute(client, change, roles, inboxes)


def apply(changes, before) -> None:
    apply_changes(table, changes, execute, "user", server_frame, users_table.describe_change, before=before)


st.title("Users")
show_report(table)

search_col, role_col, status_col, add_col = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
query = search_col.text_input("Search", placeholder="name or email", max_chars=200)
role_filter = role_col.multiselect("Role", role_names)
status_filter = status_col.multiselect("Presence", users_table.STATUSES)
if add_col.button("Add user", type="primary", icon=":material/person_add:", width="stretch"):
    st.session_state[ADD_OPEN] = True

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

# Not in a form: every committed edit reruns the page, so the count of unsaved changes below is always
# current and no message about an earlier save outlives the edits that followed it. Rows are added
# with "Add user" (which holds the password), never by typing past the last row.
st.data_editor(
    visible, key=table.editor_key, num_rows="delete", hide_index=True, width="stretch",
    height=table_height(len(visible)), disabled=["id", "status", "result"],
    column_order=["id", "name", "email", "role", "status", "inboxes", "result"],
    column_config={
        "id": st.column_config.NumberColumn("#", width="small"),
        "name": st.column_config.TextColumn("Name", required=True, max_chars=200),
        "email": st.column_config.TextColumn("Email", required=True, max_chars=254),
        "role": st.column_config.SelectboxColumn("Role", options=role_names, required=True),
        "status": st.column_config.TextColumn("Presence", help="Online, idle or offline, as the service reports "
                                                               "it; people set it themselves."),
        "inboxes": st.column_config.MultiselectColumn("Inboxes", options=inbox_names, default=[]),
        "result": st.column_config.TextColumn("Result", width="large"),
    })
desired = apply_editor_state(visible, st.session_state.get(table.editor_key))
actual = server[server["id"].isin(visible["id"].dropna())]
changes = plan_changes(actual, desired, users_table.FIELDS, users_table.label, users_table.CREATE_ONLY)
save_col, pending_col = st.columns([1, 4], vertical_alignment="center")
saved = save_col.button("Save changes", type="primary", icon=":material/save:", disabled=not changes)
pending_col.caption(f"{changes_text(len(changes))} not saved yet." if changes else "No unsaved changes.")

if saved:
    problems = users_table.validate(changes, desired, roles, inboxes)
    now = lockout.Team.of(roles, users)
    verdict = lockout.judge(now, users_table.team_after(now, changes, roles), me.id if me else None,
                            lockout.MANAGE_USERS, capabilities.LABELS)
    submit(table, changes, problems, lambda: apply(changes, server), verdict)


@st.dialog("Confirm the save")
def confirm_save() -> None:
    pending = st.session_state[table.pending_key]
    doomed = [c.label for c in pending if c.kind == "delete"]
    if doomed:
        st.write(f"This save deletes {'1 user' if len(doomed) == 1 else f'{len(doomed):,} users'}. They lose "
                 "access at once; this cannot be undone.")
        st.dataframe(pd.DataFrame({"User": doomed}), hide_index=True, width="stretch")
    else:
        st.write(f"This save applies {changes_text(len(pending))}.")
    confirm_or_cancel(table, pending, len(doomed), lambda: apply(pending, server), me.email if me else "")


if st.session_state.get(table.pending_key):
    confirm_save()


@st.dialog("Add user")
def add_user() -> None:
    created = st.session_state.get(ADDED)
    if created:
        st.success(f"{plain(created['email'])} was added.", icon=":material/check_circle:")
        if created.get("password"):
            st.write("Their password, shown only this once: copy it and pass it on safely.")
            st.code(created["password"], language=None)
        if st.button("Done", type="primary"):
            st.session_state.pop(ADDED)
            st.session_state.pop(ADD_OPEN, None)
            st.rerun()
        return
    with st.form("add_user_form", border=False):
        name = st.text_input("Name", max_chars=200)
        email = st.text_input("Email", max_chars=254)
        role = st.selectbox("Role", role_names, index=None, placeholder="Choose a role")
        chosen_inboxes = st.multiselect("Inboxes", inbox_names)
        mode = st.radio("Password", ["Generate a strong password", "Type a password"], horizontal=True)
        typed = st.text_input("Password (if typed)", type="password", max_chars=1024,
                              help="At least 8 characters. Only used with “Type a password”.")
        again = st.text_input("Password again", type="password", max_chars=1024)
        submitted = st.form_submit_button("Add user", type="primary", icon=":material/person_add:")
    if not submitted:
        return
    generated = mode.startswith("Generate")
    password = users_table.generate_password() if generated else typed
    problems = users_table.new_user_problems(name, email, role, password, password if generated else again,
                                             [u.email for u in users])
    if problems:
        for problem in problems:
            st.error(plain(problem))
        return
    fields = {"name": name.strip(), "email": email.strip(), "role": role, "inboxes": sorted(chosen_inboxes)}
    ok, message, _ = session.run_write(
        "user.create", fields["email"], lambda c: c.users.create(
            name=fields["name"], email=fields["email"], password=password,
            role_id=next(r.id for r in roles if r.name == role),
            inbox_ids=sorted(i.id for i in inboxes if i.name in chosen_inboxes)),
        audit.difference(None, fields, users_table.AUDITED))
    if not ok:
        st.error(plain(message), icon=":material/error:")
        return
    reads.invalidate()
    st.session_state[ADDED] = {"email": fields["email"], "password": password if generated else None}
    st.rerun()


if st.session_state.get(ADD_OPEN):
    add_user()

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
        st.write(", ".join(f"{counts.get(a, 0):,} {a}" for a in ("create", "update", "unchanged", "invalid")))
        st.dataframe(preview, hide_index=True, width="stretch", height=table_height(len(preview)))
        if changes and st.button(f"Apply {changes_text(len(changes))}", type="primary"):
            now = lockout.Team.of(roles, users)
            refusals = lockout.judge(now, users_table.team_after(now, changes, roles), None, lockout.MANAGE_USERS,
                                     capabilities.LABELS).refusals
            for refusal in refusals:
                st.error(f"Nothing was imported: {refusal}", icon=":material/lock:")
            if not refusals:
                apply_changes(table, changes, execute, "user.import", server_frame, users_table.describe_change,
                              before=server)
                st.rerun()
