from datetime import date

import pytest

from dashboard.analytics import AnalyticsSettings, BusinessHours, Interval, Targets


def test_intervals_parse_overnight_and_whole_day():
    assert Interval.parse("08:00", "12:00") == Interval(480, 720)
    assert Interval.parse("22:00", "06:00") == Interval(1320, 1800)
    assert Interval.parse("22:00", "06:00").overnight
    assert Interval.parse("00:00", "24:00") == Interval(0, 1440)
    assert Interval.parse("22:00", "00:00") == Interval(1320, 1440)
    assert Interval.parse("22:00", "06:00").to_pair() == ["22:00", "06:00"]
    assert Interval.parse("00:00", "24:00").to_pair() == ["00:00", "24:00"]


@pytest.mark.parametrize(("start", "end"), [("8:00", "12:00"), ("08:00", "08:00"), ("24:00", "06:00"),
                                            ("08:60", "09:00"), ("24:30", "01:00"), ("", "01:00")])
def test_bad_intervals_are_rejected(start, end):
    with pytest.raises(ValueError):
        Interval.parse(start, end)


def test_settings_round_trip_through_a_json_dict():
    settings = AnalyticsSettings(
        timezone="Europe/Berlin",
        business_hours=BusinessHours.parse(
            {"mon": [["13:00", "17:00"], ["08:00", "12:00"]], "fri": [["22:00", "06:00"]]},
            holidays=["2026-12-25", date(2026, 12, 26)]),
        targets=Targets(frt=120, reply=600, resolution=3600), session_gap=3600)
    data = settings.to_dict()
    assert data == {
        "timezone": "Europe/Berlin",
        "business_hours": {"weekly": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "fri": [["22:00", "06:00"]]},
                           "holidays": ["2026-12-25", "2026-12-26"]},
        "targets": {"frt": 120, "reply": 600, "resolution": 3600}, "session_gap": 3600,
    }
    assert AnalyticsSettings.from_dict(data) == settings
    assert AnalyticsSettings.from_dict({}) == AnalyticsSettings()


def test_defaults():
    settings = AnalyticsSettings()
    assert settings.business_hours.is_wall_clock
    assert (settings.targets.frt, settings.targets.reply, settings.targets.resolution) == (300, 900, 86400)
    assert settings.session_gap == 86400
    assert settings.timezone_name == "UTC"


def test_browser_timezone_fills_in_unless_overridden():
    assert AnalyticsSettings().resolved("Asia/Jakarta").timezone == "Asia/Jakarta"
    assert AnalyticsSettings(timezone="Europe/Berlin").resolved("Asia/Jakarta").timezone == "Europe/Berlin"
    assert AnalyticsSettings().resolved("Not/AZone").timezone is None
    assert AnalyticsSettings().resolved(None).timezone is None


@pytest.mark.parametrize("data", [{"timezone": "Mars/Olympus"}, {"session_gap": 0}, {"targets": {"frt": -1}},
                                  {"business_hours": {"weekly": {"monday": [["08:00", "12:00"]]}}},
                                  {"business_hours": {"holidays": ["25/12/2026"]}}])
def test_invalid_settings_are_rejected(data):
    with pytest.raises(ValueError):
        AnalyticsSettings.from_dict(data)
