"""The Inboxes page's three tables and their plans: inboxes, memberships (users × inboxes) and devices.

The inbox table is an id-row table (`editing.plan_changes`). Memberships and device assignments are
not: each changed cell of them is one API call (add or remove a member, move or unassign a device),
so they are planned as `CellChange`s, applied with the same `editing.apply_plan`, and a failed one is
put back in its cell, as the user left it, with the reason beside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import pandas as pd

from ceox_api import Client
from ceox_api.models import Device, Inbox, User
from dashboard import audit, validation
from dashboard.editing import Change, Outcome, normalise

# --- the inbox table --------------------------------------------------------------------------------

COLUMNS = ["id", "name", "description", "color", "members", "devices"]
FIELDS = ["name", "description", "color"]  # what a create or an update may set


def inboxes_frame(inboxes: Iterable[Inbox], devices: Iterable[Device]) -> pd.DataFrame:
    """One row per inbox; `members` counts its members, `devices` names its devices."""
    device_names = {d.id: d.name or f"device {d.id}" for d in devices}
    rows = [{"id": i.id, "name": i.name, "description": i.description, "color": i.color,
             "members": len(i.member_ids), "devices": [device_names.get(d, f"device {d}") for d in i.device_ids]}
            for i in inboxes]
    return pd.DataFrame(rows, columns=COLUMNS).astype({"id": "Int64", "members": "Int64"})


def swatch(color: Any) -> str | None:
    """A small SVG of the colour as a data URL (for an image column); None unless it is #rrggbb."""
    text = normalise(color)
    if not isinstance(text, str) or validation.color(text) or not text:
        return None
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='48' height='24'>"
           f"<rect x='1' y='1' width='46' height='22' rx='5' fill='{text}' stroke='#0000001f'/></svg>")
    return "data:image/svg+xml;utf8," + quote(svg, safe="/:=' ")


def with_swatches(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with a `swatch` column drawn from each row's colour (recomputed, never edited)."""
    return frame.assign(swatch=[swatch(c) for c in frame["color"]])


def tidy(desired: pd.DataFrame) -> pd.DataFrame:
    """Cleared cells as empty text and colours in lower case, as the server keeps them."""
    desired = desired.copy()
    for column in FIELDS:
        desired[column] = [("" if v is None else v) for v in map(normalise, desired[column])]
    desired["color"] = desired["color"].str.lower()
    return desired


def label(row: Mapping[str, Any]) -> str:
    return str(normalise(row.get("name")) or "new inbox")


def validate(changes: Iterable[Change], desired: pd.DataFrame) -> dict[str, list[str]]:
    """Problems per row label, found before any API call; empty when the plan may run."""
    repeated = validation.duplicates(desired["name"].tolist())
    problems: dict[str, list[str]] = {}
    for change in changes:
        if change.kind == "delete":
            continue
        row = change.row
        found = [p for p in (validation.name(row.get("name")), validation.color(row.get("color")),
                             validation.description(row.get("description"))) if p]
        if str(normalise(row.get("name")) or "").lower() in repeated:
            found.append("Another row has this name (inbox names are unique, whatever the case).")
        if found:
            problems.setdefault(change.label, []).extend(found)
    return problems


def execute(client: Client, change: Change) -> Any:
    """The API call for one inbox change."""
    if change.kind == "delete":
        return client.inboxes.delete(change.id)
    fields = {name: value or "" for name, value in change.fields.items()}  # "" clears; None would mean "keep"
    if change.kind == "create":
        return client.inboxes.create(fields["name"], description=fields.get("description") or None,
                                     color=fields.get("color") or None)
    return client.inboxes.update(change.id, **fields)


# --- cells: memberships and device assignments ------------------------------------------------------

CellKind = Literal["add", "remove", "move", "unassign"]
PAST = {"add": "added", "remove": "removed", "move": "moved", "unassign": "unassigned"}
ACTIONS = {"add": "inbox.member.add", "remove": "inbox.member.remove", "move": "inbox.device.move",
           "unassign": "inbox.device.unassign"}


@dataclass(frozen=True)
class CellChange:
    """One API call that makes one cell of a table true on the server."""

    kind: CellKind
    row_id: int  # the user (membership) or the device (assignment)
    column: str  # the cell's column
    value: Any  # what the user left in the cell
    inbox_id: int  # the inbox the call addresses: the one joined, left, moved to, or unassigned from
    label: str  # names the cell in messages and the audit log
    was: Any = None  # the cell's value on the server, for the audit log's "before"

    @property
    def action(self) -> str:
        return ACTIONS[self.kind]

    @property
    def detail(self) -> str:
        """Before → after, for the audit log: "Member: no → yes", "Inbox: Sales → Support"."""
        if self.kind in ("add", "remove"):
            return audit.difference({"member": bool(self.was)}, {"member": bool(self.value)}, {"member": "Member"})
        return audit.difference({"inbox": self.was}, {"inbox": self.value}, {"inbox": "Inbox"})


def execute_cell(client: Client, change: CellChange) -> None:
    if change.kind == "add":
        return client.inboxes.add_member(change.inbox_id, change.row_id)
    if change.kind == "remove":
        return client.inboxes.remove_member(change.inbox_id, change.row_id)
    if change.kind == "move":
        return client.inboxes.assign_device(change.inbox_id, change.row_id)
    return client.inboxes.unassign_device(change.inbox_id, change.row_id)


def after_save(frame: pd.DataFrame, outcomes: Iterable[Outcome], note_column: str = "result") -> pd.DataFrame:
    """`frame` (the server's table) with every change's cell set as the user left it, and each failure's
    reason in `note_column`. From freshly read rows this keeps failed edits on screen; from the rows
    read before the save (when re-reading fails) it is also what the server must now hold."""
    frame = frame.copy()
    frame[note_column] = ""
    positions = {int(row_id): position for position, row_id in enumerate(frame["id"]) if not pd.isna(row_id)}
    for outcome in outcomes:
        change = outcome.change
        position = positions.get(change.row_id)
        if position is None or change.column not in frame.columns:
            continue  # the row or its column is gone from the server meanwhile
        frame.iloc[position, frame.columns.get_loc(change.column)] = change.value
        if not outcome.ok:
            note = f"✗ {change.kind} failed: {outcome.message}"
            before = frame.iloc[position, frame.columns.get_loc(note_column)]
            frame.iloc[position, frame.columns.get_loc(note_column)] = f"{before} {note}".strip()
    return frame


def report(outcomes: Iterable[Outcome]) -> list[tuple[str, str, bool, str]]:
    """(change, row, ok, result) per outcome, as `ui.table_editing.show_report` shows them."""
    return [(o.change.kind, o.change.label, o.ok, PAST[o.change.kind] if o.ok else o.message) for o in outcomes]


# --- memberships ------------------------------------------------------------------------------------

MEMBER_COLUMNS = ["id", "name", "email"]


def inbox_column(inbox_id: int) -> str:
    """The matrix column of an inbox: by id, since names are typed text and may collide with ours."""
    return f"inbox_{inbox_id}"


def memberships_from_users(users: Iterable[User]) -> dict[int, set[int]]:
    """Each inbox's member ids, from the users' `inbox_ids`."""
    members: dict[int, set[int]] = {}
    for user in users:
        for inbox_id in user.inbox_ids:
            members.setdefault(inbox_id, set()).add(user.id)
    return members


def membership_frame(users: Iterable[User], inboxes: Iterable[Inbox],
                     members: Mapping[int, Iterable[int]]) -> pd.DataFrame:
    """One row per user, one boolean column per inbox: ticked where the user is a member."""
    inboxes = list(inboxes)
    member_sets = {inbox_id: set(ids) for inbox_id, ids in members.items()}
    rows = [{"id": u.id, "name": u.name, "email": u.email,
             **{inbox_column(i.id): u.id in member_sets.get(i.id, set()) for i in inboxes}}
            for u in sorted(users, key=lambda u: u.id)]
    columns = [*MEMBER_COLUMNS, *(inbox_column(i.id) for i in inboxes)]
    frame = pd.DataFrame(rows, columns=columns).astype({"id": "Int64"})
    return frame.astype(dict.fromkeys(columns[len(MEMBER_COLUMNS):], "boolean"))


def _ticked(value: Any) -> bool:
    return bool(normalise(value))


def plan_memberships(actual: pd.DataFrame, desired: pd.DataFrame, inboxes: Iterable[Inbox]) -> list[CellChange]:
    """An add for each newly ticked cell, a remove for each newly unticked one."""
    actual_rows = {int(r["id"]): r for r in actual.to_dict("records")}
    changes = []
    for row in desired.to_dict("records"):
        before = actual_rows.get(int(row["id"])) if not pd.isna(row.get("id")) else None
        if before is None:
            continue  # deleted on the server meanwhile
        who = str(normalise(row.get("email")) or normalise(row.get("name")) or f"user {row['id']}")
        for inbox in inboxes:
            column = inbox_column(inbox.id)
            if column not in row or column not in before:
                continue
            wanted = _ticked(row[column])
            if wanted != _ticked(before[column]):
                changes.append(CellChange("add" if wanted else "remove", int(row["id"]), column, wanted, inbox.id,
                                          f"{who} in {inbox.name}", _ticked(before[column])))
    return changes


# --- device assignment ------------------------------------------------------------------------------

UNASSIGNED = "— unassigned —"
DEVICE_COLUMNS = ["id", "name", "phone", "status", "inbox"]


def devices_frame(devices: Iterable[Device], inboxes: Iterable[Inbox]) -> pd.DataFrame:
    """One row per device with its inbox by name."""
    names = {i.id: i.name for i in inboxes}
    rows = [{"id": d.id, "name": d.name, "phone": d.phone, "status": d.status,
             "inbox": UNASSIGNED if d.inbox_id is None else names.get(d.inbox_id, f"inbox {d.inbox_id}")}
            for d in devices]
    return pd.DataFrame(rows, columns=DEVICE_COLUMNS).astype({"id": "Int64"})


def _inbox_choice(value: Any) -> str:
    return str(normalise(value) or UNASSIGNED)


def device_problems(actual: pd.DataFrame, desired: pd.DataFrame, inboxes: Iterable[Inbox]) -> dict[str, list[str]]:
    """Devices moved to an inbox that does not exist, or unassigned from one that cannot be named."""
    names = {i.name for i in inboxes}
    current = {int(r["id"]): _inbox_choice(r["inbox"]) for r in actual.to_dict("records")}
    problems: dict[str, list[str]] = {}
    for row in desired.to_dict("records"):
        choice, before = _inbox_choice(row.get("inbox")), current.get(int(row["id"]))
        if before is None or choice == before:
            continue
        if choice != UNASSIGNED and choice not in names:
            problems.setdefault(str(row.get("name") or f"device {row['id']}"), []).append(
                "Choose one of the inboxes, or “— unassigned —”.")
        elif choice == UNASSIGNED and before not in names:
            problems.setdefault(str(row.get("name") or f"device {row['id']}"), []).append(
                "Its current inbox is not visible to you, so it cannot be unassigned from here.")
    return problems


def plan_device_moves(actual: pd.DataFrame, desired: pd.DataFrame, inboxes: Iterable[Inbox]) -> list[CellChange]:
    """A move for each device given another inbox, an unassign for each taken out of its inbox.

    Run `device_problems` first: devices whose choice cannot be turned into a call are skipped here."""
    ids = {i.name: i.id for i in inboxes}
    current = {int(r["id"]): _inbox_choice(r["inbox"]) for r in actual.to_dict("records")}
    changes = []
    for row in desired.to_dict("records"):
        device_id = int(row["id"])
        choice, before = _inbox_choice(row.get("inbox")), current.get(device_id)
        if before is None or choice == before:
            continue
        name = str(row.get("name") or f"device {device_id}")
        if choice == UNASSIGNED and before in ids:
            changes.append(CellChange("unassign", device_id, "inbox", UNASSIGNED, ids[before],
                                      f"{name} out of {before}", before))
        elif choice in ids:
            changes.append(CellChange("move", device_id, "inbox", choice, ids[choice], f"{name} to {choice}", before))
    return changes
