"""Per-workspace preferences: private JSON files, analytics settings round trips, and the settings form's
validation (bad times, overnight intervals, holidays, unknown timezones)."""

from __future__ import annotations

import json
import stat
from datetime import date

import pytest

from dashboard import preferences
from dashboard.analytics import AnalyticsSettings, BusinessHours, Interval, Targets
from dashboard.preferences import HoursRow, settings_from_form

WORKSPACE = "0123456789abcdef"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def form(**changes):
    values = {"timezone": "", "hours": [], "holidays": "", "frt_minutes": 5.0, "reply_minutes": 15.0,
              "resolution_hours": 24.0, "session_gap_hours": 24.0} | changes
    return settings_from_form(**values)


def test_nothing_saved_means_the_defaults():
    assert preferences.analytics_settings(WORKSPACE) == AnalyticsSettings()
    assert preferences.load(WORKSPACE) == {}


def test_settings_round_trip_in_a_private_file_per_workspace(data_dir):
    settings = AnalyticsSettings(
        timezone="Asia/Jakarta",
        business_hours=BusinessHours.parse({"mon": [["08:00", "12:00"], ["13:00", "17:00"]],
                                            "fri": [["22:00", "06:00"]]}, holidays=["2026-12-25"]),
        targets=Targets(frt=120, reply=600, resolution=7200), session_gap=12 * 3600)
    preferences.save_analytics_settings(WORKSPACE, settings)

    assert preferences.analytics_settings(WORKSPACE) == settings
    assert preferences.analytics_settings("fedcba9876543210") == AnalyticsSettings()  # another workspace
    path = data_dir / "preferences" / f"{WORKSPACE}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["analytics"]["timezone"] == "Asia/Jakarta"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_saving_one_section_keeps_the_others_and_none_resets():
    preferences.save_section(WORKSPACE, "other", {"x": 1})
    preferences.save_analytics_settings(WORKSPACE, AnalyticsSettings(timezone="Europe/Berlin"))
    assert preferences.load(WORKSPACE)["other"] == {"x": 1}
    preferences.save_analytics_settings(WORKSPACE, None)
    assert preferences.analytics_settings(WORKSPACE) == AnalyticsSettings()
    assert preferences.load(WORKSPACE) == {"other": {"x": 1}}


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"analytics": {"timezone": "Nowhere/Land"}}',
                                     '{"analytics": {"targets": {"frt": -1}}}'])
def test_an_unreadable_or_invalid_file_gives_the_defaults(data_dir, content):
    preferences.preferences_path(WORKSPACE).write_text(content)
    assert preferences.analytics_settings(WORKSPACE) == AnalyticsSettings()


def test_workspace_ids_cannot_name_other_files():
    with pytest.raises(ValueError):
        preferences.preferences_path("../escape")


def test_a_valid_form_with_overnight_intervals_and_holidays():
    settings, problems = form(
        timezone=" Asia/Jakarta ",
        hours=[HoursRow("mon", "08:00", "12:00"), HoursRow("mon", "13:00", "17:00"),
               HoursRow("fri", "22:00", "06:00"), HoursRow(None, None, None)],
        holidays="2026-12-25\n2026-12-31, 2027-01-01", frt_minutes=2, reply_minutes=10, resolution_hours=8,
        session_gap_hours=12)
    assert problems == []
    assert settings.timezone == "Asia/Jakarta"
    assert settings.business_hours.weekly[0] == (Interval(480, 720), Interval(780, 1020))
    assert settings.business_hours.weekly[4] == (Interval(1320, 1800),)  # until 06:00 the next day
    assert settings.business_hours.holidays == {date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)}
    assert settings.targets == Targets(frt=120, reply=600, resolution=8 * 3600)
    assert settings.session_gap == 12 * 3600


def test_empty_timezone_means_the_browsers_and_no_rows_means_always_open():
    settings, problems = form()
    assert problems == []
    assert settings.timezone is None
    assert settings.business_hours.always_open
    assert settings.resolved("Europe/Berlin").timezone_name == "Europe/Berlin"


def test_every_problem_is_named_and_nothing_is_returned():
    settings, problems = form(
        timezone="Mars/Olympus",
        hours=[HoursRow("tue", "25:00", "17:00"), HoursRow("wed", "09:00", "9am"), HoursRow("thu", "10:00", "10:00"),
               HoursRow(None, "08:00", "12:00"), HoursRow("sat", "08:00", None), HoursRow("sun", "24:00", "02:00")],
        holidays="2026-12-25 2026-13-01", frt_minutes=0, session_gap_hours=-1)
    assert settings is None
    assert problems == [
        "Timezone: 'Mars/Olympus' is not a known timezone. Use an IANA name such as Asia/Jakarta or "
        "Europe/Berlin, or leave it empty for your browser's.",
        "Business hours, row 1 (Tue): '25:00' is not a time of day; write times as HH:MM, from 00:00 to 24:00.",
        "Business hours, row 2 (Wed): '9am' is not a time of day; write times as HH:MM, from 00:00 to 24:00.",
        "Business hours, row 3 (Thu): 10:00–10:00 is empty: the start and end are the same time. Use 00:00–24:00 "
        "for the whole day; an end before the start runs overnight.",
        "Business hours, row 4: choose a weekday.",
        "Business hours, row 5 (Sat): give both a start and an end time (HH:MM).",
        "Business hours, row 6 (Sun): An interval cannot start at 24:00.",
        "Holidays: '2026-13-01' is not a date; write dates as YYYY-MM-DD, one per line.",
        "FRT target must be more than zero.",
        "Session gap must be more than zero.",
    ]


def test_hours_rows_give_back_the_schedule():
    hours = BusinessHours.parse({"mon": [["08:00", "12:00"]], "sun": [["22:00", "06:00"]]})
    rows = preferences.hours_rows(hours)
    assert rows == [HoursRow("mon", "08:00", "12:00"), HoursRow("sun", "22:00", "06:00")]
    settings, problems = form(hours=rows)
    assert problems == [] and settings.business_hours == hours
