"""Cycle splitting and per-cycle values on hand-built conversations with known answers."""

import math
from datetime import date

import pandas as pd
import pytest

from dashboard.analytics import AnalyticsSettings, BusinessHours, build_cycles, messages_frame

from .helpers import UTC, Workspace, ts


def rows(data):
    return data.cycles.to_dict("records")


def test_a_gap_of_exactly_the_session_gap_keeps_the_cycle_and_one_second_more_splits_it():
    ws = Workspace()
    ws.add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:05", "out", 7), ("2026-06-02 08:05", "in"))
    ws.add(2, ("2026-06-01 08:00", "in"), ("2026-06-01 08:05", "out", 7), ("2026-06-02 08:05:01", "in"))
    cycles = ws.build().cycles
    assert cycles.groupby("conversation_id").size().to_dict() == {1: 1, 2: 2}
    second = cycles[cycles.conversation_id == 2].iloc[1]
    assert second.start == ts("2026-06-02 08:05:01")
    assert (second.initiator, second.state, second.seq, bool(second.is_last)) == ("inbound", "waiting", 2, True)


def test_a_shorter_session_gap_is_configurable():
    ws = Workspace().add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 09:00", "out", 7), ("2026-06-01 10:00:01", "in"))
    assert len(ws.build(AnalyticsSettings(timezone="UTC", session_gap=3600)).cycles) == 2
    assert len(ws.build(AnalyticsSettings(timezone="UTC", session_gap=3601)).cycles) == 1


def test_first_message_after_solved_at_starts_a_new_cycle_and_resolution_uses_the_containing_cycle():
    ws = Workspace()
    # Solved at 09:00; the 09:00 message is not "after" it, the 09:30 one is (reopen).
    ws.add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out", 7), ("2026-06-01 09:00", "in"),
           ("2026-06-01 09:30", "in"), ("2026-06-01 09:31", "out", 8), solved_at="2026-06-01 09:00")
    first, second = rows(ws.build())
    assert (first["start"], first["end"], first["messages_in"], first["messages_out"]) == (
        ts("2026-06-01 08:00"), ts("2026-06-01 09:00"), 2, 1)
    assert first["contains_solve"] and first["resolution_s"] == 3600
    assert second["start"] == ts("2026-06-01 09:30") and second["frt_s"] == 60 and second["agent_id"] == 8
    assert not second["contains_solve"] and math.isnan(second["resolution_s"])


def test_resolution_when_solved_after_the_last_message_or_in_a_gap_or_before_any_message():
    ws = Workspace()
    ws.add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:01", "out", 7), status="solved",
           solved_at="2026-06-01 10:00")
    ws.add(2, ("2026-06-01 08:00", "in"), ("2026-06-01 08:01", "out", 7), ("2026-06-03 09:00", "in"),
           solved_at="2026-06-02 12:00")
    ws.add(3, ("2026-06-01 08:00", "in"), status="solved", solved_at="2026-05-31 08:00")
    cycles = ws.build().cycles.set_index(["conversation_id", "seq"])
    assert cycles.loc[(1, 1), "resolution_s"] == 7200
    assert cycles.loc[(2, 1), "resolution_s"] == 28 * 3600  # the last cycle starting at or before solved_at
    assert math.isnan(cycles.loc[(2, 2), "resolution_s"])
    assert not cycles.loc[(3, 1), "contains_solve"] and math.isnan(cycles.loc[(3, 1), "resolution_s"])


def test_first_response_time_and_reply_runs():
    ws = Workspace().add(
        1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:01", "in"), ("2026-06-01 08:04", "out", 7),
        ("2026-06-01 08:05", "out", 8), ("2026-06-01 08:10", "in"), ("2026-06-01 08:12", "in"),
        ("2026-06-01 08:30", "out"), ("2026-06-01 08:40", "in"), ("2026-06-01 08:41", "out", 9),
        ("2026-06-01 08:50", "in"))
    data = ws.build()
    (cycle,) = rows(data)
    assert (cycle["frt_s"], cycle["agent_id"], cycle["first_reply_at"]) == (240, 7, ts("2026-06-01 08:04"))
    assert (cycle["messages_in"], cycle["messages_out"], cycle["state"]) == (6, 4, "answered")
    assert cycle["unanswered_since"] == ts("2026-06-01 08:50")
    # 08:30 was an API send: it answers only when automated replies count.
    replies = data.replies_any
    assert replies.run_start.tolist() == [ts("2026-06-01 08:10"), ts("2026-06-01 08:40"), ts("2026-06-01 08:50")]
    assert replies.wait_s.tolist()[:2] == [1200, 60] and math.isnan(replies.wait_s.iloc[2])
    assert replies.agent_id.tolist() == [pd.NA, 9, pd.NA]
    human = data.replies  # 08:10 waits through the API send until agent 9 at 08:41
    assert human.run_start.tolist() == [ts("2026-06-01 08:10"), ts("2026-06-01 08:50")]
    assert human.wait_s.tolist()[0] == 1860 and math.isnan(human.wait_s.iloc[1])
    assert human.agent_id.tolist() == [9, pd.NA]
    assert cycle["auto_s"] == 30 * 60
    assert data.agent_messages.set_index("agent_id").messages.to_dict() == {7: 1, 8: 1, 9: 1}


def test_an_automated_first_reply_is_its_own_figure_and_counts_only_when_asked():
    (cycle,) = rows(Workspace().add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out")).build())
    assert cycle["auto_s"] == 120
    assert math.isnan(cycle["frt_s"]) and pd.isna(cycle["agent_id"]) and cycle["state"] == "waiting"
    assert cycle["unanswered_since"] == ts("2026-06-01 08:00")  # the away message does not end the wait
    assert cycle["frt_s_any"] == 120 and pd.isna(cycle["agent_id_any"]) and cycle["state_any"] == "answered"
    assert pd.isna(cycle["unanswered_since_any"])


def test_without_senders_every_outbound_message_counts_as_a_reply():
    ws = Workspace().add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out"))
    (cycle,) = rows(ws.build(available={"solved_at", "inbox_id"}))
    assert cycle["frt_s"] == 120 and math.isnan(cycle["auto_s"])


def test_outbound_initiated_cycles_have_no_response_times():
    ws = Workspace().add(1, ("2026-06-01 08:00", "out", 7), ("2026-06-01 08:10", "in"),
                         ("2026-06-01 08:20", "out", 8), ("2026-06-01 08:30", "in"))
    data = ws.build()
    (cycle,) = rows(data)
    assert (cycle["initiator"], cycle["agent_id"], cycle["messages_in"], cycle["messages_out"]) == ("outbound", 7, 2, 2)
    assert math.isnan(cycle["frt_s"]) and pd.isna(cycle["state"])
    assert cycle["first_inbound_at"] == ts("2026-06-01 08:10")
    assert cycle["unanswered_since"] == ts("2026-06-01 08:30")
    assert data.replies.empty


def test_unanswered_cycles_are_missed_when_over_and_waiting_when_last_and_open():
    ws = Workspace()
    ws.add(1, ("2026-06-01 08:00", "in"), status="solved", solved_at="2026-06-01 09:00")
    ws.add(2, ("2026-06-01 08:00", "in"), ("2026-06-03 08:00", "in"), ("2026-06-03 08:01", "in"))
    cycles = ws.build().cycles
    assert cycles.state.tolist() == ["missed", "missed", "waiting"]
    assert cycles.unanswered_since.tolist() == [ts("2026-06-01 08:00"), ts("2026-06-01 08:00"), ts("2026-06-03 08:00")]


def test_same_timestamp_orders_by_message_id_and_unknown_conversations_are_ignored():
    ws = Workspace().add(1)
    ws.message(1, "2026-06-01 08:00", "in", message_id=2)
    ws.message(1, "2026-06-01 08:00", "out", 7, message_id=1)
    ws.message(99, "2026-06-01 08:00", "in", message_id=3)
    (cycle,) = rows(ws.build())
    assert cycle["initiator"] == "outbound" and cycle["messages_in"] == 1


@pytest.mark.parametrize(("start", "zone", "day", "week", "weekday", "hour"), [
    ("2026-06-20 23:30", "UTC", "2026-06-20", "2026-06-15", 5, 23),
    ("2026-06-20 23:30", "Asia/Jakarta", "2026-06-21", "2026-06-15", 6, 6),
    ("2026-06-21 23:30", "Asia/Jakarta", "2026-06-22", "2026-06-22", 0, 6),   # a new week in Jakarta
    ("2026-06-20 22:30", "Europe/Berlin", "2026-06-21", "2026-06-15", 6, 0),  # CEST, UTC+2: after midnight
    ("2026-01-20 22:30", "Europe/Berlin", "2026-01-20", "2026-01-19", 1, 23),  # CET, UTC+1: before midnight
    ("2026-03-29 00:30", "Europe/Berlin", "2026-03-29", "2026-03-23", 6, 1),   # just before the spring change
    ("2026-03-29 01:30", "Europe/Berlin", "2026-03-29", "2026-03-23", 6, 3),   # just after it
])
def test_day_week_and_hour_buckets_follow_the_display_timezone(start, zone, day, week, weekday, hour):
    (cycle,) = rows(Workspace().add(1, (start, "in")).build(AnalyticsSettings(timezone=zone)))
    assert cycle["day"] == pd.Timestamp(day) and cycle["week"] == pd.Timestamp(week)
    assert (cycle["weekday"], cycle["hour"]) == (weekday, hour)
    assert pd.Timestamp(week).weekday() == 0 and date.fromisoformat(day).weekday() == weekday


def test_business_hours_values_beside_wall_clock_values():
    settings = AnalyticsSettings(timezone="Asia/Jakarta", session_gap=4 * 86400, business_hours=BusinessHours.parse(
        {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}))
    ws = Workspace()
    # Friday 16:30 Jakarta (09:30 UTC) inbound, answered Monday 08:15 Jakarta (01:15 UTC).
    ws.add(1, ("2026-06-05 09:30", "in"), ("2026-06-08 01:15", "out", 7), ("2026-06-08 01:20", "in"),
           ("2026-06-08 02:20", "out", 7), status="solved", solved_at="2026-06-08 03:00")
    data = ws.build(settings)
    (cycle,) = rows(data)
    assert cycle["frt_s"] == 2 * 86400 + 15 * 3600 + 45 * 60
    assert cycle["frt_business_s"] == 45 * 60
    assert cycle["resolution_s"] == 2 * 86400 + 17 * 3600 + 30 * 60
    assert cycle["resolution_business_s"] == 2 * 3600 + 30 * 60
    assert data.replies.wait_s.tolist() == [3600] and data.replies.wait_business_s.tolist() == [3600]


def test_missing_solved_at_splits_by_gap_only_and_missing_sender_or_inbox_leave_them_empty():
    ws = Workspace().add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out", 7), ("2026-06-01 09:30", "in"),
                         ("2026-06-01 09:31", "out", 8), solved_at="2026-06-01 09:00", inbox_id=4)
    data = ws.build(available={"sender_user_id"})
    (cycle,) = rows(data)
    assert not cycle["contains_solve"] and math.isnan(cycle["resolution_s"]) and pd.isna(cycle["inbox_id"])
    assert data.replies.wait_s.tolist() == [60] and data.replies.agent_id.tolist() == [8]
    data = ws.build(available={"solved_at", "inbox_id"})
    assert data.cycles.agent_id.isna().all() and data.replies.agent_id.isna().all() and data.agent_messages.empty
    assert data.cycles.inbox_id.tolist() == [4, 4]


def test_empty_input_gives_empty_tables():
    ws = Workspace()
    data = build_cycles(*ws.frames(), UTC)
    assert data.cycles.empty and data.replies.empty and data.inbound_cells.empty


def test_input_frames_from_plain_dicts_have_the_documented_dtypes():
    frame = messages_frame([{"conversation_id": 1, "id": 1, "from_me": True, "timestamp": "2026-06-01T08:00:00+07:00"}])
    assert frame.dtypes.astype(str).to_dict() == {
        "conversation_id": "int64", "id": "int64", "from_me": "bool", "timestamp": "datetime64[ns, UTC]",
        "sender_user_id": "Int64", "media_type": "string"}
    assert frame.timestamp[0] == ts("2026-06-01 01:00")
