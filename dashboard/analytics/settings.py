"""Analytics settings kept per workspace: display timezone, business hours, targets and session gap.

Everything here round-trips through a plain JSON-able dict (`to_dict` / `from_dict`), so the page
can store it wherever it keeps per-workspace settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def parse_clock(text: str) -> int:
    """Minutes after midnight of "HH:MM" ("24:00" allowed for the end of a day)."""
    match = _CLOCK.match(text.strip()) if isinstance(text, str) else None
    if not match or (match[1] == "24" and match[2] != "00"):
        raise ValueError(f"not a time of day (HH:MM): {text!r}")
    return int(match[1]) * 60 + int(match[2])


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, order=True)
class Interval:
    """Open from `start` to `end` minutes after the local midnight of its weekday.

    `end` is greater than `start` and at most `start + 24 h`: an interval written "22:00"–"06:00"
    is stored as 1320–1800 and runs until 06:00 the next day.
    """

    start: int
    end: int

    @classmethod
    def parse(cls, start: str, end: str) -> Interval:
        lo, hi = parse_clock(start), parse_clock(end)
        if lo == MINUTES_PER_DAY:
            raise ValueError("an interval cannot start at 24:00")
        if hi == lo:
            raise ValueError(f"empty interval {start}–{end} (use 00:00–24:00 for a whole day)")
        return cls(lo, hi if hi > lo else hi + MINUTES_PER_DAY)

    @property
    def overnight(self) -> bool:
        return self.end > MINUTES_PER_DAY

    def to_pair(self) -> list[str]:
        return [format_clock(self.start), format_clock(self.end % MINUTES_PER_DAY if self.overnight else self.end)]


@dataclass(frozen=True)
class BusinessHours:
    """Open intervals per weekday (Monday first) in the display timezone, and closed holiday dates.

    No interval on any weekday means open around the clock (holidays still close). A holiday closes
    the whole local calendar day, including the after-midnight part of an overnight interval that
    started the day before.
    """

    weekly: tuple[tuple[Interval, ...], ...] = ((),) * 7
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("business hours need exactly 7 weekdays, Monday first")
        object.__setattr__(self, "weekly", tuple(tuple(sorted(day)) for day in self.weekly))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @classmethod
    def parse(cls, weekly: Mapping[str, Iterable[Iterable[str]]] | None = None,
              holidays: Iterable[str | date] = ()) -> BusinessHours:
        """From {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "fri": [["22:00", "06:00"]], ...}."""
        weekly = dict(weekly or {})
        if unknown := set(weekly) - set(WEEKDAYS):
            raise ValueError(f"unknown weekday(s): {', '.join(sorted(unknown))}")
        days = tuple(tuple(Interval.parse(*_pair(p)) for p in weekly.get(name, ())) for name in WEEKDAYS)
        return cls(days, frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in holidays))

    @property
    def always_open(self) -> bool:
        """True when no weekday has an interval: open 24/7 (except holidays)."""
        return not any(self.weekly)

    @property
    def is_wall_clock(self) -> bool:
        """True when business time equals wall-clock time (24/7, no holidays)."""
        return self.always_open and not self.holidays

    def to_dict(self) -> dict[str, Any]:
        return {"weekly": {name: [i.to_pair() for i in day] for name, day in zip(WEEKDAYS, self.weekly, strict=True)
                           if day},
                "holidays": sorted(d.isoformat() for d in self.holidays)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessHours:
        return cls.parse(data.get("weekly"), data.get("holidays", ()))


def _pair(pair: Iterable[str]) -> tuple[str, str]:
    values = tuple(pair)
    if len(values) != 2:
        raise ValueError(f"an interval is [start, end], got {values!r}")
    return values[0], values[1]


@dataclass(frozen=True)
class Targets:
    """Targets in seconds: a value counts as within target when it is at most the target."""

    frt: float = 5 * 60
    reply: float = 15 * 60
    resolution: float = 24 * 3600

    def __post_init__(self) -> None:
        for name in ("frt", "reply", "resolution"):
            if not getattr(self, name) > 0:
                raise ValueError(f"target {name} must be positive")


@dataclass(frozen=True)
class AnalyticsSettings:
    """`timezone` None means "the browser's": call `resolved(browser_timezone)` before computing."""

    timezone: str | None = None
    business_hours: BusinessHours = field(default_factory=BusinessHours)
    targets: Targets = field(default_factory=Targets)
    session_gap: float = 24 * 3600  # seconds; a longer silence starts a new cycle

    def __post_init__(self) -> None:
        if self.timezone is not None:
            _zone(self.timezone)
        if not self.session_gap > 0:
            raise ValueError("session gap must be positive")

    @property
    def zone(self) -> ZoneInfo:
        """The display timezone (UTC when neither the settings nor the browser name one)."""
        return _zone(self.timezone or "UTC")

    @property
    def timezone_name(self) -> str:
        return self.timezone or "UTC"

    def resolved(self, browser_timezone: str | None) -> AnalyticsSettings:
        """These settings with the timezone filled in from the browser when not overridden."""
        if self.timezone is not None or not browser_timezone:
            return self
        try:
            _zone(browser_timezone)
        except ValueError:
            return self
        return replace(self, timezone=browser_timezone)

    def to_dict(self) -> dict[str, Any]:
        return {"timezone": self.timezone, "business_hours": self.business_hours.to_dict(),
                "targets": {"frt": self.targets.frt, "reply": self.targets.reply,
                            "resolution": self.targets.resolution},
                "session_gap": self.session_gap}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalyticsSettings:
        targets = data.get("targets") or {}
        return cls(timezone=data.get("timezone"),
                   business_hours=BusinessHours.from_dict(data.get("business_hours") or {}),
                   targets=Targets(**{k: float(v) for k, v in targets.items() if k in ("frt", "reply", "resolution")}),
                   session_gap=float(data.get("session_gap", 24 * 3600)))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"unknown timezone: {name!r}") from error
