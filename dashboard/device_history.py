"""Devices' connection state: the table the Devices page shows, and the history the dashboard records.

The API only tells the current state of each device, so the dashboard keeps its own history: every
time it reads `/wa/status` (the Devices page and the sidebar's health check), each device whose state
differs from the last one recorded for it, or that is seen for the first time, gets a row. Rows are
kept per tenant (`Workspace.workspace_id`), the newest `KEEP` of them, in a private SQLite file; a user
reads only the rows of devices it can list.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime

import pandas as pd

from ceox_api.models import Device, DeviceStatus, Inbox
from dashboard import clock
from dashboard.inboxes_plan import UNASSIGNED
from dashboard.storage.database import Database, shared_database

DB_NAME = "device_history.sqlite"
KEEP = 500  # rows per workspace
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SCHEMA = """
CREATE TABLE IF NOT EXISTS device_state (
    workspace_id TEXT NOT NULL, device_id INTEGER NOT NULL, status TEXT NOT NULL,
    PRIMARY KEY (workspace_id, device_id));
CREATE TABLE IF NOT EXISTS device_history (
    id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, time TEXT NOT NULL, device_id INTEGER NOT NULL,
    name TEXT NOT NULL, status TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS device_history_by_workspace ON device_history (workspace_id, id);
"""


def _db() -> Database:
    """Its SQLite file, or the database the replicas share (dashboard/storage/database.py)."""
    return shared_database(DB_NAME, SCHEMA)


def state_of(device: DeviceStatus) -> str:
    """`status` as the service names it, else what `connected` says."""
    return device.status or ("connected" if device.connected else "disconnected")


def is_connected(device: DeviceStatus) -> bool:
    return device.connected or device.status == "connected"


def changes(last_known: Mapping[int, str], statuses: Iterable[DeviceStatus]) -> list[tuple[int, str, str]]:
    """(device_id, name, status) of each device seen for the first time or in another state."""
    return [(d.device_id, d.name, state_of(d)) for d in statuses if last_known.get(d.device_id) != state_of(d)]


def record(workspace_id: str, statuses: Iterable[DeviceStatus], at: datetime | None = None,
           keep: int = KEEP) -> int:
    """Append a row for each device whose state changed since the last record; returns how many."""
    statuses = list(statuses)
    time = (at or datetime.now(UTC)).astimezone(UTC).strftime(TIME_FORMAT)
    # One transaction per tenant at a time: sessions (and replicas) recording the same change at once
    # record it once.
    with _db().transaction(lock=f"device_history:{workspace_id}") as db:
        last_known = {r["device_id"]: r["status"] for r in db.rows(
            "SELECT device_id, status FROM device_state WHERE workspace_id = ?", (workspace_id,))}
        found = changes(last_known, statuses)
        db.executemany("INSERT INTO device_state (workspace_id, device_id, status) VALUES (?,?,?)"
                       " ON CONFLICT (workspace_id, device_id) DO UPDATE SET status = excluded.status",
                       [(workspace_id, device_id, status) for device_id, _, status in found])
        db.executemany("INSERT INTO device_history (workspace_id, time, device_id, name, status) VALUES (?,?,?,?,?)",
                       [(workspace_id, time, device_id, name, status) for device_id, name, status in found])
        if found:
            db.execute("DELETE FROM device_history WHERE workspace_id = ? AND id NOT IN (SELECT id FROM"
                       " device_history WHERE workspace_id = ? ORDER BY id DESC LIMIT ?)",
                       (workspace_id, workspace_id, keep))
    return len(found)


def history(workspace_id: str, device_ids: Collection[int] | None = None) -> list[dict]:
    """This tenant's recorded rows (time as UTC datetime, device_id, name, status), newest first; of these
    devices only, unless None."""
    database = _db()
    dialect = database.dialect
    where, params = ("workspace_id = ?", (workspace_id,)) if device_ids is None else (
        f"workspace_id = ? AND {dialect.ids_in('device_id')}", (workspace_id, dialect.ids(device_ids)))
    with database.transaction() as db:
        rows = db.rows(f"SELECT time, device_id, name, status FROM device_history WHERE {where} ORDER BY id DESC",
                       params)
    return [{**dict(r), "time": datetime.strptime(r["time"], TIME_FORMAT).replace(tzinfo=UTC)} for r in rows]


def timeline(rows: Iterable[Mapping], now: datetime) -> pd.DataFrame:
    """The recorded rows as intervals (device, status, start, end): each lasts until the next change."""
    ordered = sorted(rows, key=lambda r: (r["time"], r["device_id"]))
    intervals, last_start = [], {}
    for row in reversed(ordered):
        end = last_start.get(row["device_id"], now)
        intervals.append({"device": row["name"], "status": row["status"], "start": row["time"], "end": end})
        last_start[row["device_id"]] = row["time"]
    return pd.DataFrame(intervals[::-1], columns=["device", "status", "start", "end"])


# Other modules import the relative time from here; it is the one clock's (dashboard/clock.py).
relative_time = clock.ago


def status_label(status: str) -> str:
    """A dot before the state, which the page colours (a plain character: emoji fonts are not everywhere)."""
    return f"● {status}"


STATUS_COLUMNS = ["id", "state", "name", "phone", "inbox", "last_seen", "last_seen_at", "connected"]


def status_frame(statuses: Iterable[DeviceStatus], devices: Iterable[Device], inboxes: Iterable[Inbox],
                 now: datetime, shown_in: clock.Clock) -> pd.DataFrame:
    """One row per device: its live state (from `/wa/status`), inbox by name, and when it was last seen."""
    inbox_names = {i.id: i.name for i in inboxes}
    by_id = {d.id: d for d in devices}
    rows = []
    for status in statuses:
        device = by_id.get(status.device_id)
        inbox_id = device.inbox_id if device else None
        last_seen = status.last_seen_at or (device.last_seen_at if device else None)
        rows.append({"id": status.device_id, "state": status_label(state_of(status)),
                     "name": status.name or (device.name if device else ""),
                     "phone": status.phone or (device.phone if device else ""),
                     "inbox": UNASSIGNED if inbox_id is None else inbox_names.get(inbox_id, f"inbox {inbox_id}"),
                     "last_seen": relative_time(last_seen, now), "last_seen_at": shown_in.time(last_seen),
                     "connected": is_connected(status)})
    return pd.DataFrame(rows, columns=STATUS_COLUMNS).astype({"id": "Int64", "connected": "boolean"})
