"""Turning an edited table into a plan of API calls, and applying it row by row.

The editor's state (`edited_rows` / `added_rows` / `deleted_rows`, keyed by row position) is first
applied to the frame that was shown; the result (the desired table) is then compared by `id` with
what the server holds. Comparing desired with actual, rather than replaying editor events, lets a
table that still shows failed edits from an earlier save be saved again without repeating what
already succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

Kind = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class Change:
    kind: Kind
    id: int | None  # None for a row to create
    label: str  # how the row is named in messages (a user's email, a role's name, …)
    fields: dict[str, Any] = field(default_factory=dict)  # all fields (create) or the changed ones
    row: dict[str, Any] = field(default_factory=dict)  # the whole desired row, to show it again on failure


@dataclass(frozen=True)
class Outcome:
    change: Change
    ok: bool
    message: str
    result: Any = None  # what the API answered (a created object carries its new id)


def _is_missing(value: Any) -> bool:
    if isinstance(value, (list, tuple, set)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def normalise(value: Any) -> Any:
    """One comparable form per cell: NA → None, lists sorted, numpy scalars → Python, text trimmed."""
    if _is_missing(value):
        return None
    if isinstance(value, (list, tuple, set)) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else list(value)
        if isinstance(items, list):
            return sorted(normalise(v) for v in items if not _is_missing(v))
        value = items
    if isinstance(value, str):
        return value.strip()
    return value


def apply_editor_state(shown: pd.DataFrame, state: Mapping[str, Any] | None) -> pd.DataFrame:
    """The table the user now sees: `shown` with the data editor's edits, additions and deletions."""
    rows = shown.to_dict("records")
    state = state or {}
    for position, edits in (state.get("edited_rows") or {}).items():
        position = int(position)
        if 0 <= position < len(rows):  # the id is never editable: an edit of it would turn into a delete
            rows[position] = {**rows[position], **{k: v for k, v in edits.items() if k != "id"}}
    deleted = {int(p) for p in state.get("deleted_rows") or ()}
    kept = [row for position, row in enumerate(rows) if position not in deleted]
    columns = list(shown.columns)
    for added in state.get("added_rows") or ():
        kept.append({**dict.fromkeys(columns), **added, "id": None})
    return pd.DataFrame(kept, columns=columns)


def plan_changes(actual: pd.DataFrame, desired: pd.DataFrame, fields: Iterable[str],
                 label: Callable[[Mapping[str, Any]], str], create_fields: Iterable[str] = ()) -> list[Change]:
    """Creates for rows without id, updates of the changed `fields`, deletes for ids no longer present."""
    fields, create_fields = list(fields), list(create_fields)
    actual_rows = {int(r["id"]): r for r in actual.to_dict("records")}
    changes: list[Change] = []
    desired_ids = set()
    for row in desired.to_dict("records"):
        if _is_missing(row.get("id")):
            if all(normalise(row.get(f)) in (None, "", [], False) for f in fields + create_fields):
                continue  # an added row left blank is not a request to create anything
            values = {f: normalise(row.get(f)) for f in fields + create_fields}
            changes.append(Change("create", None, label(row), values, row))
            continue
        row_id = int(row["id"])
        desired_ids.add(row_id)
        before = actual_rows.get(row_id)
        if before is None:
            continue  # deleted on the server meanwhile: nothing left to update
        changed = {f: normalise(row.get(f)) for f in fields if normalise(row.get(f)) != normalise(before.get(f))}
        if changed:
            changes.append(Change("update", row_id, label(row), changed, row))
    for row_id, before in actual_rows.items():
        if row_id not in desired_ids:
            changes.append(Change("delete", row_id, label(before), {}, before))
    return changes


def apply_plan(changes: Iterable[Change], execute: Callable[[Change], Any],
               describe_error: Callable[[Exception], str]) -> list[Outcome]:
    """Run each change independently: one failure never stops the others."""
    outcomes = []
    for change in changes:
        try:
            result = execute(change)
        except Exception as exc:  # noqa: BLE001 (every failure is reported on its row)
            outcomes.append(Outcome(change, False, describe_error(exc)))
        else:
            outcomes.append(Outcome(change, True, f"{change.kind}d", result))
    return outcomes


def expected_after(actual: pd.DataFrame, outcomes: Iterable[Outcome]) -> pd.DataFrame:
    """The server's rows as the successful changes must have left them: used when re-reading them fails."""
    rows = {int(r["id"]): r for r in actual.to_dict("records")}
    for outcome in outcomes:
        change = outcome.change
        if not outcome.ok:
            continue
        if change.kind == "delete":
            rows.pop(change.id, None)
        elif change.kind == "update" and change.id in rows:
            rows[change.id] = {**rows[change.id], **change.fields}
        elif change.kind == "create" and getattr(outcome.result, "id", None) is not None:
            new_id = int(outcome.result.id)
            rows[new_id] = {**{c: change.row.get(c) for c in actual.columns}, "id": new_id}
    return pd.DataFrame(list(rows.values()), columns=actual.columns)


def draft_after(actual: pd.DataFrame, outcomes: Iterable[Outcome], note_column: str = "result") -> pd.DataFrame:
    """The table to show after a save: the server's rows, with each failed change still on its row
    (and its reason in `note_column`), so it can be corrected and saved again."""
    rows = {int(r["id"]): {**r, note_column: ""} for r in actual.to_dict("records")}
    added = []
    for outcome in outcomes:
        if outcome.ok:
            continue
        change = outcome.change
        reason = f"✗ {change.kind} failed: {outcome.message}"
        if change.kind == "create":
            added.append({**change.row, "id": None, note_column: reason})
        elif change.id in rows:
            base = rows[change.id]
            rows[change.id] = {**base, **({} if change.kind == "delete" else change.row), note_column: reason}
    columns = [*actual.columns, *([note_column] if note_column not in actual.columns else [])]
    return pd.DataFrame([*rows.values(), *added], columns=columns)
