"""Users as CSV: export, and an import that validates every row and previews its plan before applying."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import pandas as pd

from ceox_api.models import Inbox, Role
from dashboard import csv_safe, validation
from dashboard.editing import Change, normalise
from dashboard.users_table import IMPORT_FIELDS, STATUSES

REQUIRED = ("name", "email", "role")
OPTIONAL = ("status", "inboxes", "password")
MAX_ROWS = 5000


def to_csv(frame: pd.DataFrame) -> bytes:
    out = frame.drop(columns=["password"], errors="ignore").copy()
    out["inboxes"] = out["inboxes"].map(lambda names: ";".join(names or []))
    return csv_safe.to_csv(out)


def _read(data: bytes) -> tuple[list[dict[str, str]], str | None]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], "The file is not UTF-8 text. Save it as CSV (UTF-8) and try again."
    if "\x00" in text:
        return [], "The file is not a CSV text file."
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            return [], f"The CSV has no {', '.join(missing)} column. Expected columns: name, email, role."
        reader.fieldnames = header
        rows = []
        for row in reader:
            if len(rows) >= MAX_ROWS:
                return [], f"The CSV has more than {MAX_ROWS:,} rows; split it."
            rows.append({k: csv_safe.unescape_cell((v or "").strip()) for k, v in row.items() if isinstance(k, str)})
    except csv.Error as exc:
        return [], f"The CSV could not be read: {exc}."
    if not rows:
        return [], "The CSV has a header but no rows."
    return rows, None


def plan_import(data: bytes, server: pd.DataFrame, roles: Iterable[Role], inboxes: Iterable[Inbox]
                ) -> tuple[pd.DataFrame, list[Change], str | None]:
    """(preview with an action and reason per row, the changes to apply, a problem with the whole file)."""
    rows, problem = _read(data)
    if problem:
        return pd.DataFrame(), [], problem
    role_names = {r.name.lower(): r.name for r in roles}
    inbox_names = {i.name.lower(): i.name for i in inboxes}
    existing = {str(r["email"]).lower(): r for r in server.to_dict("records")}
    repeated = validation.duplicates(r.get("email", "") for r in rows)
    preview, changes = [], []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        email = row.get("email", "")
        inbox_list = [n.strip() for n in row.get("inboxes", "").split(";") if n.strip()]
        wanted = {"name": row.get("name", ""), "email": email,
                  "role": role_names.get(row.get("role", "").lower(), row.get("role", "")),
                  "status": row.get("status", "").lower() or None,
                  "inboxes": sorted(inbox_names.get(n.lower(), n) for n in inbox_list)}
        current = existing.get(email.lower())
        reasons = [p for p in (validation.name(wanted["name"]), validation.email(email)) if p]
        if email.lower() in repeated:
            reasons.append("email appears on several rows")
        if wanted["role"] not in role_names.values():
            reasons.append(f"unknown role “{row.get('role', '')}”")
        if wanted["status"] and wanted["status"] not in STATUSES:
            reasons.append("status must be online, idle or offline")
        unknown = [n for n in inbox_list if n.lower() not in inbox_names]
        if unknown:
            reasons.append(f"unknown inbox {', '.join(unknown)}")
        if current is None and (problem := validation.password(row.get("password"), "password")):
            reasons.append(problem)
        action, change = "invalid", None
        if not reasons and current is None:
            action = "create"
            change = Change("create", None, email, {**{f: normalise(wanted[f]) for f in IMPORT_FIELDS},
                                                   "password": row.get("password", "")}, wanted)
        elif not reasons:
            wanted["email"] = current["email"]  # matched case-insensitively: not a change of address
            if wanted["status"] is None:
                wanted["status"] = current["status"]
            if "inboxes" not in row:
                wanted["inboxes"] = current["inboxes"]
            changed = {f: normalise(wanted[f]) for f in IMPORT_FIELDS if normalise(wanted[f]) != normalise(current[f])}
            action = "update" if changed else "unchanged"
            if changed:
                change = Change("update", int(current["id"]), email, changed, {**current, **wanted})
        changed_fields = sorted(set(change.fields) - {"password"}) if change else []
        preview.append({"line": number, "email": email, "name": wanted["name"], "action": action,
                        "details": "; ".join(reasons) if reasons else ", ".join(changed_fields)})
        if change:
            changes.append(change)
    return pd.DataFrame(preview), changes, None
