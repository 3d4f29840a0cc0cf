"""The Overview's "today against the usual for this weekday" figures, on hand-built workspaces."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ceox_api.models import Conversation
from dashboard.overview import Today, first_response, new_conversations, same_weekdays
from tests.analytics.helpers import Workspace

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday, 17:00 in Jakarta


def created(*moments: str) -> list[Conversation]:
    return [Conversation(id=i, created_at=moment) for i, moment in enumerate(moments, 1)]


def test_the_usual_is_the_same_weekday_of_the_four_weeks_before():
    assert [d.isoformat() for d in same_weekdays(NOW.date())] == [
        "2026-11-24", "2026-11-17", "2026-11-10", "2026-11-03"]


def test_new_conversations_today_count_by_the_local_date_against_the_median_of_earlier_weekdays():
    conversations = created(
        "2026-12-01T02:00:00Z", "2026-11-30T18:00:00Z",  # today in Jakarta (the second is 01:00 local)
        "2026-11-30T16:30:00Z",  # 23:30 on Monday in Jakarta: not today
        "2026-11-24T03:00:00Z", "2026-11-24T04:00:00Z", "2026-11-24T05:00:00Z",  # Tuesdays before: 3, 1, 0, 2
        "2026-11-17T03:00:00Z",
        "2026-11-03T03:00:00Z", "2026-11-03T04:00:00Z",
    )
    assert new_conversations(conversations, JAKARTA, NOW) == Today(2, 1.5)
    assert new_conversations(conversations, UTC, NOW) == Today(1, 1.5)  # in UTC, 18:00 on the 30th is Monday


def test_without_creation_times_there_is_no_figure_rather_than_a_zero():
    assert new_conversations([Conversation(id=1), Conversation(id=2)], UTC, NOW) is None
    assert new_conversations([], UTC, NOW) is None


def test_first_response_today_against_the_median_of_the_same_weekdays_medians():
    workspace = (Workspace()
                 .add(1, ("2026-12-01T08:00:00", "in"), ("2026-12-01T08:02:00", "out", 7))  # today: 2 min
                 .add(2, ("2026-12-01T09:00:00", "in"), ("2026-12-01T09:06:00", "out", 7))  # today: 6 min
                 .add(3, ("2026-11-24T08:00:00", "in"), ("2026-11-24T08:10:00", "out", 7))  # a Tuesday: 10 min
                 .add(4, ("2026-11-17T08:00:00", "in"), ("2026-11-17T08:20:00", "out", 7))  # 20 min
                 .add(5, ("2026-11-30T08:00:00", "in"), ("2026-11-30T09:00:00", "out", 7)))  # a Monday: ignored
    figure = first_response(workspace.build(), NOW)
    assert figure == Today(4 * 60.0, 15 * 60.0)


def test_first_response_with_nothing_answered_today_has_no_value_but_keeps_the_usual():
    workspace = (Workspace()
                 .add(1, ("2026-12-01T08:00:00", "in"))  # waiting: not answered yet
                 .add(2, ("2026-11-24T08:00:00", "in"), ("2026-11-24T08:04:00", "out", 7)))
    assert first_response(workspace.build(), NOW) == Today(None, 4 * 60.0)
