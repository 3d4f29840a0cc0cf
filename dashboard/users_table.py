"""The Users table: users as editable rows (role and inboxes by name), its validation and its plan; the
"Add user" form's checks and its generated password.

The table never holds a password: a new user is added through the form, whose password is either
generated (shown once) or typed twice in masked fields. Presence (`status`) is shown, not edited here.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ceox_api import Client
from ceox_api.models import Inbox, Role, User
from dashboard import audit, validation
from dashboard.editing import Change, normalise
from dashboard.lockout import Team, team_after_users

STATUSES = ("online", "idle", "offline")
COLUMNS = ["id", "name", "email", "role", "status", "inboxes", "password"]
FIELDS = ["name", "email", "role", "inboxes"]  # what an edit in the table may change
IMPORT_FIELDS = [*FIELDS, "status"]  # a CSV import may also set presence
CREATE_ONLY = ["password"]  # the initial password, for new rows only (CSV import)
AUDITED = {"name": "Name", "email": "Email", "role": "Role", "status": "Presence", "inboxes": "Inboxes"}


def users_frame(users: Iterable[User], roles: Iterable[Role], inboxes: Iterable[Inbox]) -> pd.DataFrame:
    role_names = {r.id: r.name for r in roles}
    inbox_names = {i.id: i.name for i in inboxes}
    rows = [{"id": u.id, "name": u.name, "email": u.email,
             "role": role_names.get(u.role_id, u.role_name or f"role {u.role_id}"),
             "status": u.status, "inboxes": sorted(inbox_names.get(i, f"inbox {i}") for i in u.inbox_ids),
             "password": ""} for u in users]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"id": "Int64"})


def label(row: Mapping[str, Any]) -> str:
    return str(normalise(row.get("email")) or normalise(row.get("name")) or "new user")


def validate(changes: Iterable[Change], desired: pd.DataFrame, roles: Iterable[Role],
             inboxes: Iterable[Inbox]) -> dict[str, list[str]]:
    """Problems per row label, found before any API call; empty when the plan may run."""
    role_names = {r.name for r in roles}
    inbox_names = {i.name for i in inboxes}
    repeated = validation.duplicates(desired["email"].tolist())
    problems: dict[str, list[str]] = {}
    for change in changes:
        if change.kind == "delete":
            continue
        row, found = change.row, []
        checks = [validation.name(row.get("name")), validation.email(row.get("email"))]
        if change.kind == "create":
            checks.append(validation.password(row.get("password"), "Initial password"))
        found += [c for c in checks if c]
        if str(normalise(row.get("email")) or "").lower() in repeated:
            found.append("This email appears on more than one row.")
        if normalise(row.get("role")) not in role_names:
            found.append("Choose a role.")
        if normalise(row.get("status")) not in (*STATUSES, None) and change.kind == "update":
            found.append("Status must be online, idle or offline.")
        unknown = set(normalise(row.get("inboxes")) or []) - inbox_names
        if unknown:
            found.append(f"Unknown inbox: {', '.join(sorted(unknown))}.")
        if found:
            problems[change.label] = found
    return problems


def execute(client: Client, change: Change, roles: Iterable[Role], inboxes: Iterable[Inbox]) -> Any:
    """The API call for one change (role and inbox names turned back into ids)."""
    role_ids = {r.name: r.id for r in roles}
    inbox_ids = {i.name: i.id for i in inboxes}
    fields = dict(change.fields)
    if "role" in fields:
        fields["role_id"] = role_ids[fields.pop("role")]
    if "inboxes" in fields:
        fields["inbox_ids"] = sorted(inbox_ids[name] for name in fields.pop("inboxes") or [])
    if change.kind == "delete":
        return client.users.delete(change.id)
    if change.kind == "create":
        fields.pop("status", None)  # new users start offline; the API takes no status on create
        return client.users.create(name=fields["name"], email=fields["email"], password=fields["password"],
                                   role_id=fields["role_id"], inbox_ids=fields.get("inbox_ids", []))
    return client.users.update(change.id, **fields)


def describe_change(change: Change, before: Mapping[str, Any] | None) -> str:
    """What a change did to a user, for the audit log (never the password)."""
    if change.kind == "delete":
        return audit.difference(None, {"role": normalise((before or change.row).get("role"))}, {"role": "Had role"})
    return audit.difference(None if change.kind == "create" else before, change.fields, AUDITED)


def team_after(before: Team, changes: Iterable[Change], roles: Iterable[Role]) -> Team:
    """The team as a planned save of the table would leave it (for dashboard/lockout.py)."""
    role_ids = {r.name: r.id for r in roles}
    changes = list(changes)
    return team_after_users(before, {c.id: role_ids[c.fields["role"]] for c in changes
                                     if c.kind == "update" and c.fields.get("role") in role_ids},
                            {c.id for c in changes if c.kind == "delete"})


def generate_password() -> str:
    """A strong initial password (96 random bits), shown once for the admin to pass on."""
    return secrets.token_urlsafe(12)


def new_user_problems(name: str, email: str, role: str | None, password: str, again: str,
                      existing_emails: Iterable[str]) -> list[str]:
    """What stops the "Add user" form, one sentence each; [] when the user may be created."""
    found = [p for p in (validation.name(name), validation.email(email)) if p]
    if email.strip().lower() in {e.lower() for e in existing_emails}:
        found.append("A user with this email exists already.")
    if role is None:
        found.append("Choose a role.")
    if problem := validation.password(password, "Password"):
        found.append(problem)
    elif password != again:
        found.append("The two passwords differ.")
    return found


def filter_rows(frame: pd.DataFrame, query: str, roles: Iterable[str], statuses: Iterable[str]) -> pd.DataFrame:
    """Rows matching the search and filters; rows not yet created (no id) always stay visible."""
    keep = pd.Series(True, index=frame.index)
    query = query.strip().lower()
    if query:
        text = frame["name"].fillna("").str.lower() + " " + frame["email"].fillna("").str.lower()
        keep &= text.str.contains(query, regex=False)
    if roles := list(roles):
        keep &= frame["role"].isin(roles)
    if statuses := list(statuses):
        keep &= frame["status"].isin(statuses)
    return frame[keep | frame["id"].isna()].reset_index(drop=True)
