"""One clock: every time the dashboard shows, in the display timezone, in one format.

The display timezone is the workspace's setting (the analytics timezone, dashboard/preferences.py),
else the browser's, else UTC (`ui/clock.py` picks it). Pages name the zone once (`Clock.note`) and
never format a datetime themselves: `Clock.time` for an exact time, `Clock.ago` where recency
matters (with the exact time beside it or on hover).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

FORMAT = "%Y-%m-%d %H:%M"
# The same format for st.column_config.DatetimeColumn (momentjs tokens), for sortable time columns.
COLUMN_FORMAT = "YYYY-MM-DD HH:mm"
EMPTY = "—"


def parse(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime from a datetime or ISO text (naive means UTC); None for empty or unreadable input."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def zone_named(name: str | None) -> ZoneInfo:
    """The zone of an IANA name; UTC for none or an unknown name."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def ago(moment: datetime | str | None, now: datetime) -> str:
    """How long ago, in words: "just now", "5 min ago", "3 h 5 min ago", "2 days 4 h ago"; "never"."""
    moment = parse(moment)
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes} min ago"
    if days < 1:
        rest = minutes % 60
        return f"{hours} h {rest} min ago" if rest else f"{hours} h ago"
    rest = hours % 24
    unit = "day" if days == 1 else "days"
    return f"{days} {unit} {rest} h ago" if rest else f"{days} {unit} ago"


@dataclass(frozen=True)
class Clock:
    """Times in one display timezone, named by its IANA name."""

    zone_name: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.zone_name)

    @property
    def note(self) -> str:
        """The sentence that names the zone, once per page."""
        return f"Times are in {self.zone.key}."

    def local(self, value: datetime | str | None) -> datetime | None:
        moment = parse(value)
        return None if moment is None else moment.astimezone(self.zone)

    def time(self, value: datetime | str | None) -> str:
        """The exact time, "2026-12-01 08:21"; "—" when there is none."""
        moment = self.local(value)
        return EMPTY if moment is None else moment.strftime(FORMAT)

    def time_and_ago(self, value: datetime | str | None, now: datetime) -> str:
        """ "5 min ago (2026-12-01 08:21)", where recency matters."""
        moment = parse(value)
        return EMPTY if moment is None else f"{ago(moment, now)} ({self.time(moment)})"

    def column(self, values: pd.Series) -> pd.Series:
        """A column of times (datetimes or ISO text) as naive local datetimes, for a DatetimeColumn that
        sorts by time and shows COLUMN_FORMAT; empty cells stay empty."""
        parsed = pd.to_datetime(values.map(parse), utc=True)
        return parsed.dt.tz_convert(self.zone).dt.tz_localize(None)

    def texts(self, values: pd.Series) -> pd.Series:
        """A column of times as text in the one format ("" for none), for tables shown as text."""
        return values.map(lambda v: "" if parse(v) is None else self.time(v))
