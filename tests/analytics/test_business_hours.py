"""Business time between instants: several intervals a day, overnight intervals, holidays, DST."""

from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics import BusinessHours
from dashboard.analytics.business_hours import BusinessClock, open_intervals

JAKARTA = ZoneInfo("Asia/Jakarta")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu")}
OFFICE["fri"] = [["08:00", "12:00"], ["13:00", "17:00"], ["22:00", "06:00"]]


def seconds(hours: BusinessHours, zone: ZoneInfo, start: str, end: str) -> float:
    """Business seconds between two local wall times."""
    lo = pd.Timestamp(start, tz=zone).value
    hi = pd.Timestamp(end, tz=zone).value
    clock = BusinessClock(hours, zone, lo, hi)
    return float(clock.seconds(np.array([lo]), np.array([hi]))[0])


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2026-06-01 11:00", "2026-06-01 14:00", 7200),    # Mon: 11–12 and 13–14, lunch closed
    ("2026-06-01 07:00", "2026-06-01 18:00", 28800),   # the whole Monday
    ("2026-06-01 17:30", "2026-06-02 08:30", 1800),    # closed overnight, open from 08:00
    ("2026-06-02 16:00", "2026-06-04 09:00", 7200),    # Tue 16–17, Wednesday holiday, Thu 08–09
    ("2026-06-05 21:00", "2026-06-06 07:00", 28800),   # Friday's overnight interval 22:00–06:00
    ("2026-06-05 16:30", "2026-06-08 08:30", 32400),   # Fri 16:30–17, Fri 22–Sat 06, Mon 08–08:30
    ("2026-06-06 10:00", "2026-06-07 20:00", 0),       # weekend
    ("2026-06-01 09:00", "2026-06-01 09:00", 0),
])
def test_several_intervals_overnight_and_a_holiday(start, end, expected):
    hours = BusinessHours.parse(OFFICE, holidays=["2026-06-03"])
    assert seconds(hours, JAKARTA, start, end) == expected


def test_a_holiday_closes_the_after_midnight_part_of_an_overnight_interval():
    saturday_off = BusinessHours.parse(OFFICE, holidays=["2026-06-06"])
    assert seconds(saturday_off, JAKARTA, "2026-06-05 21:00", "2026-06-06 07:00") == 7200   # Fri 22–24 only
    friday_off = BusinessHours.parse(OFFICE, holidays=["2026-06-05"])
    assert seconds(friday_off, JAKARTA, "2026-06-05 21:00", "2026-06-06 07:00") == 21600  # Sat 00–06 only


def test_no_schedule_is_wall_clock_and_holidays_still_close():
    always = BusinessHours()
    assert always.is_wall_clock
    assert seconds(always, JAKARTA, "2026-06-01 10:00", "2026-06-03 11:30") == 2 * 86400 + 5400
    holiday = BusinessHours(holidays=frozenset({date(2026, 6, 2)}))
    assert seconds(holiday, JAKARTA, "2026-06-01 12:00", "2026-06-03 12:00") == 86400


def test_overlapping_and_touching_intervals_merge():
    hours = BusinessHours.parse({"mon": [["08:00", "12:00"], ["10:00", "14:00"], ["22:00", "06:00"]],
                                 "tue": [["06:00", "07:00"]]})
    assert seconds(hours, JAKARTA, "2026-06-01 00:00", "2026-06-02 12:00") == 6 * 3600 + 9 * 3600
    lo = pd.Timestamp("2026-06-01", tz=JAKARTA).value
    starts, ends = open_intervals(hours, JAKARTA, lo, lo + 86400 * 10**9)
    local = pd.DatetimeIndex(starts, tz="UTC").tz_convert(JAKARTA)
    assert [str(t) for t in local if t.date() == date(2026, 6, 1)] == ["2026-06-01 08:00:00+07:00",
                                                                         "2026-06-01 22:00:00+07:00"]
    assert (ends - starts)[local.date == date(2026, 6, 1)].tolist() == [6 * 3600 * 10**9, 9 * 3600 * 10**9]


@pytest.mark.parametrize(("interval", "day", "expected"), [
    (["00:00", "24:00"], "2026-03-29", 23 * 3600),   # spring forward: a 23-hour Sunday
    (["00:00", "24:00"], "2026-10-25", 25 * 3600),   # fall back: a 25-hour Sunday
    (["01:00", "04:00"], "2026-03-29", 2 * 3600),
    (["01:00", "04:00"], "2026-10-25", 4 * 3600),
    (["02:30", "05:00"], "2026-03-29", 2 * 3600),    # 02:30 does not exist: opens at 03:00
    (["02:15", "02:45"], "2026-10-25", 5400),        # repeated hour: first 02:15 to second 02:45
    (["22:00", "06:00"], "2026-03-28", 7 * 3600),    # Saturday night across the change
])
def test_dst_changes_in_berlin(interval, day, expected):
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[date.fromisoformat(day).weekday()]
    hours = BusinessHours.parse({weekday: [interval]})
    start = pd.Timestamp(day, tz=BERLIN) - pd.Timedelta(hours=12)
    end = pd.Timestamp(day, tz=BERLIN) + pd.Timedelta(hours=48)
    clock = BusinessClock(hours, BERLIN, start.value, end.value)
    assert clock.seconds(np.array([start.value]), np.array([end.value]))[0] == expected


def test_nat_gives_nan_and_results_are_vectorised():
    hours = BusinessHours.parse(OFFICE)
    lo = pd.Timestamp("2026-06-01 07:00", tz=JAKARTA).value
    clock = BusinessClock(hours, JAKARTA, lo, lo + 7 * 86400 * 10**9)
    nat = np.iinfo(np.int64).min
    starts = np.array([lo, lo, nat, lo + 3600 * 10**9])
    ends = np.array([lo + 2 * 3600 * 10**9, nat, lo, lo + 6 * 3600 * 10**9])
    result = clock.seconds(starts, ends)
    assert result[0] == 3600 and np.isnan(result[1]) and np.isnan(result[2]) and result[3] == 4 * 3600
