"""The one clock: the display zone, the one format, relative times, and hostile or empty input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd

from dashboard.clock import Clock, ago, parse

NOW = datetime(2026, 12, 1, 1, 21, 35, tzinfo=UTC)


def test_one_moment_reads_the_same_from_every_input_shape():
    jakarta = Clock("Asia/Jakarta")
    shapes = ["2026-12-01T01:21:35Z", "2026-12-01T08:21:35+07:00", NOW, NOW.replace(tzinfo=None),
              NOW.astimezone(timezone(timedelta(hours=-5)))]
    assert {jakarta.time(v) for v in shapes} == {"2026-12-01 08:21"}
    assert Clock("UTC").time(NOW) == "2026-12-01 01:21"
    assert Clock("America/New_York").time(NOW) == "2026-11-30 20:21"


def test_empty_and_unreadable_times_show_a_dash_never_none():
    clock = Clock("Asia/Jakarta")
    for value in (None, "", "yesterday", "2026-13-45T99:00:00Z"):
        assert clock.time(value) == "—"
        assert parse(value) is None
    assert clock.texts(pd.Series([None, "junk", "2026-12-01T01:21:35Z"])).tolist() == ["", "", "2026-12-01 08:21"]


def test_an_unknown_zone_falls_back_to_utc_and_says_so():
    clock = Clock("Mars/Olympus")
    assert clock.note == "Times are in UTC."
    assert clock.time(NOW) == "2026-12-01 01:21"


def test_relative_times():
    assert ago(NOW - timedelta(seconds=30), NOW) == "just now"
    assert ago(NOW - timedelta(minutes=5), NOW) == "5 min ago"
    assert ago(NOW - timedelta(hours=3, minutes=5), NOW) == "3 h 5 min ago"
    assert ago(NOW - timedelta(days=1), NOW) == "1 day ago"
    assert ago(NOW - timedelta(days=2, hours=4), NOW) == "2 days 4 h ago"
    assert ago(None, NOW) == "never"
    assert Clock("Asia/Jakarta").time_and_ago(NOW - timedelta(minutes=5), NOW) == "5 min ago (2026-12-01 08:16)"


def test_a_time_column_sorts_as_time_in_the_zone():
    column = Clock("Asia/Jakarta").column(pd.Series(["2026-12-01T01:21:35Z", None]))
    assert column.iloc[0] == pd.Timestamp("2026-12-01 08:21:35")
    assert pd.isna(column.iloc[1])
