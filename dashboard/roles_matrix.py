"""The roles matrix: roles × capabilities as one editable table, its validation, its plan and a role preview.

One row per role, one checkbox column per capability: the eight this dashboard knows, in a fixed
order, then any other capability the service put on a role (still shown and kept, never dropped).
A capability change is sent as the role's whole new capability list, since `PUT /roles/{id}`
replaces the set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ceox_api import Client
from ceox_api.errors import CeoxError, Conflict
from ceox_api.models import Role
from dashboard import audit, capabilities, validation
from dashboard.editing import Change, normalise, plan_changes
from dashboard.feedback import explain_error
from dashboard.lockout import Team, team_after_roles
from dashboard.navigation import CAPABILITY_ACTIONS, PageSpec, allowed_pages

KNOWN_CAPABILITIES = tuple(CAPABILITY_ACTIONS)
UNKNOWN_NOTE = "Unknown to this dashboard: the service grants it, but what it allows is not known here."
LEADING = ["id", "name", "is_system"]
TRAILING = ["user_count"]
RESERVED = {*LEADING, *TRAILING, "result"}


def describe(capability: str) -> str:
    return f"{CAPABILITY_ACTIONS.get(capability, UNKNOWN_NOTE)} (capability id: {capability})"


@dataclass(frozen=True)
class Matrix:
    """The capability columns of the table: which capabilities, in which order, under which column."""

    capabilities: tuple[str, ...]

    @classmethod
    def of(cls, roles: Iterable[Role]) -> Matrix:
        found = {c for role in roles for c in role.capabilities}
        return cls((*KNOWN_CAPABILITIES, *sorted(found - set(KNOWN_CAPABILITIES))))

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(c for c in self.capabilities if c not in CAPABILITY_ACTIONS)

    @staticmethod
    def column(capability: str) -> str:
        # A capability's column is named after it, unless an unknown one clashes with a role field.
        return f"{capability} (capability)" if capability in RESERVED else capability

    @property
    def columns(self) -> list[str]:
        return [self.column(c) for c in self.capabilities]

    def capabilities_of(self, row: Mapping[str, Any]) -> list[str]:
        """The capabilities ticked on a row, in the matrix's order."""
        return [c for c in self.capabilities if normalise(row.get(self.column(c))) is True]


def roles_frame(roles: Iterable[Role], matrix: Matrix) -> pd.DataFrame:
    rows = []
    for role in roles:
        held = set(role.capabilities)
        rows.append({"id": role.id, "name": role.name, "is_system": role.is_system,
                     **{matrix.column(c): c in held for c in matrix.capabilities}, "user_count": role.user_count})
    return typed(pd.DataFrame(rows, columns=[*LEADING, *matrix.columns, *TRAILING]), matrix)


def typed(frame: pd.DataFrame, matrix: Matrix) -> pd.DataFrame:
    """`frame` (the server's rows or a kept draft) with the matrix's columns, in order, as nullable dtypes."""
    columns = [*LEADING, *matrix.columns, *TRAILING, *(["result"] if "result" in frame.columns else [])]
    frame = frame.reindex(columns=columns)  # a capability the draft predates stays empty: see `plan`
    dtypes = {"id": "Int64", "is_system": "boolean", "user_count": "Int64", **dict.fromkeys(matrix.columns, "boolean")}
    if "result" in frame.columns:
        dtypes["result"] = "string"
    return frame.astype(dtypes).reset_index(drop=True)


def label(row: Mapping[str, Any]) -> str:
    return str(normalise(row.get("name")) or "new role")


def plan(actual: pd.DataFrame, desired: pd.DataFrame, matrix: Matrix) -> list[Change]:
    """The API calls that turn `actual` into `desired`: creates (name, then capabilities if any ticked),
    renames and capability changes (the whole new list), deletes.

    An empty capability cell of an existing role (a column the table did not have when it was drawn)
    means "as on the server", and an added row with no name and nothing ticked means nothing.
    """
    held = {int(r["id"]): r for r in actual.to_dict("records")}
    rows = []
    for row in desired.to_dict("records"):
        row_id = normalise(row.get("id"))
        if row_id is None:
            if not normalise(row.get("name")) and not matrix.capabilities_of(row):
                continue  # an added row left blank
        elif (before := held.get(int(row_id))) is not None:
            row.update({c: before.get(c) for c in matrix.columns if normalise(row.get(c)) is None})
        rows.append(row)
    desired = pd.DataFrame(rows, columns=desired.columns)
    changes = []
    for change in plan_changes(actual, desired, ["name", *matrix.columns], label):
        if change.kind == "delete":
            changes.append(change)
            continue
        fields: dict[str, Any] = {}
        if change.kind == "create" or "name" in change.fields:
            fields["name"] = normalise(change.row.get("name"))
        if change.kind == "create" or set(change.fields) & set(matrix.columns):
            fields["capabilities"] = matrix.capabilities_of(change.row)
        changes.append(Change(change.kind, change.id, change.label, fields, change.row))
    return changes


def validate(changes: Iterable[Change], actual: pd.DataFrame, desired: pd.DataFrame) -> dict[str, list[str]]:
    """Problems per row label, found before any API call; empty when the plan may run.

    Whether a role is a system role is read from the server's rows (`actual`), not from the table.
    """
    system = {int(r["id"]): r["name"] for r in actual.to_dict("records") if normalise(r["is_system"]) is True}
    repeated = validation.duplicates(desired["name"].tolist())
    problems: dict[str, list[str]] = {}
    for change in changes:
        found = []
        if change.kind == "delete":
            if change.id in system:
                found.append(f"{system[change.id]} is a system role and cannot be deleted.")
        elif "name" in change.fields:  # a create, or a rename: a name the server holds already stands
            name = change.fields["name"]
            if problem := validation.name(name):
                found.append(problem)
            elif str(name).lower() in repeated:
                found.append("Another row has this name (role names are compared ignoring case).")
            if change.kind == "update" and change.id in system:
                found.append(f"{system[change.id]} is a system role: its name cannot change.")
        if found:
            problems.setdefault(change.label, []).extend(found)
    return problems


def describe_change(change: Change, before: Mapping[str, Any] | None, matrix: Matrix) -> str:
    """What a change does to a role, for the audit log: "Name: A → B · Capabilities: added Manage users"."""
    def labelled(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {"name": normalise(row.get("name")),
                "capabilities": [capabilities.label(c) for c in matrix.capabilities_of(row)]}

    after = {name: value for name, value in (labelled(change.row) or {}).items() if name in change.fields}
    if change.kind == "delete":
        return audit.difference(None, {"capabilities": labelled(before)["capabilities"]} if before else {},
                                {"capabilities": "Had"})
    return audit.difference(labelled(before), after, {"name": "Name", "capabilities": "Capabilities"})


def team_after(before: Team, changes: Iterable[Change]) -> Team:
    """The team as a planned save would leave it (for dashboard/lockout.py)."""
    changes = list(changes)
    return team_after_roles(
        before, {c.id: c.fields["capabilities"] for c in changes if c.kind == "update" and "capabilities" in c.fields},
        {c.id for c in changes if c.kind == "delete"},
        [c.fields.get("capabilities", []) for c in changes if c.kind == "create"])


class CreatedWithoutCapabilities(CeoxError):
    """The role was created (first call) but setting its capabilities (second call) failed."""

    def __init__(self, name: str, role_id: int, cause: Exception) -> None:
        self.role_id = role_id
        self.reason = explain_error(cause)
        super().__init__(f"{name} was created, but its capabilities were not set: {self.reason.rstrip('.')}. "
                         "Save again to set them.")


class RoleWriter:
    """Makes the API calls of one change. Remembers roles created whose capabilities failed, by label,
    so that the kept row can become an update of that role instead of a second create."""

    def __init__(self) -> None:
        self.created_without_capabilities: dict[str, CreatedWithoutCapabilities] = {}

    def __call__(self, client: Client, change: Change) -> Any:
        if change.kind == "delete":
            return self._delete(client, change)
        if change.kind == "create":
            role = client.roles.create(name=change.fields["name"])
            if not change.fields.get("capabilities"):
                return role
            try:
                return client.roles.update(role.id, capabilities=change.fields["capabilities"])
            except CeoxError as exc:
                failure = CreatedWithoutCapabilities(change.label, role.id, exc)
                self.created_without_capabilities[change.label] = failure
                raise failure from exc
        return client.roles.update(change.id, **change.fields)

    @staticmethod
    def _delete(client: Client, change: Change) -> None:
        try:
            client.roles.delete(change.id)
        except Conflict as exc:
            count = normalise(change.row.get("user_count"))
            if not count:
                raise
            users = f"{count} user{'' if count == 1 else 's'}"
            raise Conflict(f"{change.label} is still assigned to {users}: give them another role first, "
                           "then delete it.", status=exc.status, method=exc.method, path=exc.path) from exc


def keep_created(draft: pd.DataFrame, failures: Mapping[str, CreatedWithoutCapabilities]) -> pd.DataFrame:
    """The draft after a save in which some creates only half succeeded: each such kept row takes the id
    of the role that now exists (replacing that role's plain row), so saving again only sets capabilities."""
    if not failures:
        return draft
    rows = draft.to_dict("records")
    adopted: dict[int, int] = {}  # role id -> position of the kept row that now holds it
    for position, row in enumerate(rows):
        failure = failures.get(label(row))
        if failure is not None and normalise(row.get("id")) is None:
            row["id"] = failure.role_id
            row["result"] = f"✗ created, but capabilities not set: {failure.reason}"
            adopted[failure.role_id] = position
    kept = [row for position, row in enumerate(rows)
            if adopted.get(normalise(row.get("id")), position) == position]
    return pd.DataFrame(kept, columns=draft.columns)


@dataclass(frozen=True)
class Preview:
    """What a role's capabilities would give someone in this dashboard."""

    pages: list[PageSpec]
    may: list[tuple[str, str]]  # (capability label, what it allows)
    may_not: list[tuple[str, str]]
    unknown: list[str]  # held, but unknown to this dashboard
    scoped: bool  # sees only its inboxes' devices and conversations


def preview(granted: Iterable[str]) -> Preview:
    held = set(granted)
    return Preview(
        pages=allowed_pages(held),
        may=[(capabilities.label(c), CAPABILITY_ACTIONS[c]) for c in KNOWN_CAPABILITIES if c in held],
        may_not=[(capabilities.label(c), CAPABILITY_ACTIONS[c]) for c in KNOWN_CAPABILITIES if c not in held],
        unknown=sorted(held - set(KNOWN_CAPABILITIES)),
        scoped=capabilities.Capability.INBOX_VIEW_ALL not in held,
    )
