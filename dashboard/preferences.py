"""Per-tenant preferences: named sections of JSON, one document per tenant (`Workspace.workspace_id`:
shared by the credentials the service shows to be of one workspace, see dashboard/tenants.py).

Kept in `<data dir>/preferences/<workspace_id>.json`, private to this OS user (0600); or, with
`CEOX_DATABASE_URL` set, in the `preferences` table of the database the replicas share. The `analytics`
section holds the analytics settings (timezone, business hours, targets, session gap):
`analytics_settings` / `save_analytics_settings`.

`settings_from_form` turns what a person typed in the settings form into `AnalyticsSettings`, or
into one clear sentence per problem.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dashboard.analytics.settings import WEEKDAYS, AnalyticsSettings, BusinessHours, Interval, Targets, parse_clock
from dashboard.storage import data_dir
from dashboard.storage.database import PostgresDatabase, postgres

ANALYTICS = "analytics"
DAY_LABELS = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
_lock = threading.Lock()  # sessions of one dashboard process are threads: one read-modify-write at a time


def preferences_path(workspace_id: str) -> Path:
    folder = data_dir() / "preferences"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / f"{_checked(workspace_id)}.json"


def _checked(workspace_id: str) -> str:
    if not workspace_id or not workspace_id.isalnum():
        raise ValueError("a workspace id is a short name of letters and digits")
    return workspace_id


def _with_section(data: dict[str, Any], section: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        data.pop(section, None)
    else:
        data[section] = dict(value)
    return data


def load(workspace_id: str) -> dict[str, Any]:
    """Every section saved for the workspace; {} when nothing is saved or what is saved is unreadable."""
    database = postgres()
    if database is not None:
        return _load_shared(database, workspace_id)
    try:
        data = json.loads(preferences_path(workspace_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_section(workspace_id: str, section: str, value: Mapping[str, Any] | None) -> None:
    """Replace one section (None removes it); the document is replaced whole, never left half-written."""
    database = postgres()
    if database is not None:
        _save_shared(database, _checked(workspace_id), section, value)
        return
    path = preferences_path(workspace_id)
    with _lock:
        data = _with_section(load(workspace_id), section, value)
        descriptor, temporary = tempfile.mkstemp(prefix=".preferences-", dir=path.parent)  # created 0600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=2, sort_keys=True)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        os.chmod(path, 0o600)


def _load_shared(database: PostgresDatabase, workspace_id: str) -> dict[str, Any]:
    with database.transaction() as db:
        data = db.value("SELECT sections FROM preferences WHERE workspace_id = ?", (workspace_id,))
    return data if isinstance(data, dict) else {}


def _save_shared(database: PostgresDatabase, workspace_id: str, section: str,
                 value: Mapping[str, Any] | None) -> None:
    # The tenant's lock: replicas saving two sections at once keep both.
    with database.transaction(lock=f"preferences:{workspace_id}") as db:
        data = db.value("SELECT sections FROM preferences WHERE workspace_id = ?", (workspace_id,))
        data = _with_section(data if isinstance(data, dict) else {}, section, value)
        db.execute("INSERT INTO preferences (workspace_id, sections) VALUES (?, CAST(? AS JSONB))"
                   " ON CONFLICT (workspace_id) DO UPDATE SET sections = excluded.sections",
                   (workspace_id, json.dumps(data, sort_keys=True)))


def analytics_settings(workspace_id: str) -> AnalyticsSettings:
    """The saved analytics settings, or the defaults (also when what is saved no longer validates)."""
    saved = load(workspace_id).get(ANALYTICS)
    if not isinstance(saved, dict):
        return AnalyticsSettings()
    try:
        return AnalyticsSettings.from_dict(saved)
    except (TypeError, ValueError):
        return AnalyticsSettings()


def save_analytics_settings(workspace_id: str, settings: AnalyticsSettings | None) -> None:
    """Save the analytics settings (None: back to the defaults)."""
    save_section(workspace_id, ANALYTICS, None if settings is None else settings.to_dict())


# --- the settings form -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursRow:
    """One row of the business-hours editor: a weekday ("mon".."sun") and "HH:MM" times."""

    weekday: str | None
    start: str | None
    end: str | None


def hours_rows(hours: BusinessHours) -> list[HoursRow]:
    """The editor's rows for a schedule, Monday first; an overnight interval keeps its "22:00"–"06:00"."""
    return [HoursRow(name, *interval.to_pair())
            for name, day in zip(WEEKDAYS, hours.weekly, strict=True) for interval in day]


def settings_from_form(*, timezone: str, hours: Iterable[HoursRow], holidays: str, frt_minutes: float,
                       reply_minutes: float, resolution_hours: float,
                       session_gap_hours: float) -> tuple[AnalyticsSettings | None, list[str]]:
    """(settings, []) when everything is valid, else (None, one sentence per problem).

    An empty timezone means "the browser's". An interval whose end is before its start runs overnight
    (22:00–06:00 ends at 06:00 the next day); equal times are refused. Holidays are ISO dates, one per
    line (commas and spaces also separate them). No interval at all means open around the clock.
    """
    problems: list[str] = []
    zone = timezone.strip() or None
    if zone is not None:
        try:
            AnalyticsSettings(timezone=zone)
        except ValueError:
            problems.append(f"Timezone: {zone!r} is not a known timezone. Use an IANA name such as "
                            "Asia/Jakarta or Europe/Berlin, or leave it empty for your browser's.")
    weekly: dict[str, list[Interval]] = {name: [] for name in WEEKDAYS}
    for number, row in enumerate(hours, 1):
        where = f"Business hours, row {number}"
        if not (row.weekday or row.start or row.end):
            continue  # an empty row the editor added
        if row.weekday not in weekly:
            problems.append(f"{where}: choose a weekday.")
            continue
        where += f" ({DAY_LABELS[row.weekday]})"
        if not row.start or not row.end:
            problems.append(f"{where}: give both a start and an end time (HH:MM).")
            continue
        try:
            weekly[row.weekday].append(Interval.parse(row.start, row.end))
        except ValueError as error:
            problems.append(f"{where}: {_interval_problem(row.start, row.end, error)}")
    days: set[date] = set()
    for text in holidays.replace(",", " ").split():
        try:
            days.add(date.fromisoformat(text))
        except ValueError:
            problems.append(f"Holidays: {text!r} is not a date; write dates as YYYY-MM-DD, one per line.")
    durations = {"FRT target": frt_minutes, "Reply-time target": reply_minutes,
                 "Resolution target": resolution_hours, "Session gap": session_gap_hours}
    for name, value in durations.items():
        if not value or value <= 0:
            problems.append(f"{name} must be more than zero.")
    if problems:
        return None, problems
    settings = AnalyticsSettings(
        timezone=zone,
        business_hours=BusinessHours(tuple(tuple(weekly[name]) for name in WEEKDAYS), frozenset(days)),
        targets=Targets(frt=frt_minutes * 60, reply=reply_minutes * 60, resolution=resolution_hours * 3600),
        session_gap=session_gap_hours * 3600)
    return settings, []


def _interval_problem(start: str, end: str, error: ValueError) -> str:
    text = str(error)
    if text.startswith("not a time of day"):
        bad = start if not _is_clock(start) else end
        return f"{bad!r} is not a time of day; write times as HH:MM, from 00:00 to 24:00."
    if text.startswith("empty interval"):
        return (f"{start}–{end} is empty: the start and end are the same time. Use 00:00–24:00 for the "
                "whole day; an end before the start runs overnight.")
    return text[:1].upper() + text[1:] + "."


def _is_clock(text: str) -> bool:
    try:
        parse_clock(text)
    except ValueError:
        return False
    return True
