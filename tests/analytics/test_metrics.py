"""Metrics on a small hand-built workspace whose every number is worked out by hand.

Date range 2026-06-01 (Monday) .. 2026-06-02, UTC, default targets (FRT 5 min, reply 15 min,
resolution 24 h). Conversation 4 is a group chat. Conversation 5's only reply is automated (no
sender): by default it is unanswered; `RANGE_ANY` counts automated replies.
"""

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics import (
    AnalyticsSettings,
    BusinessHours,
    Card,
    Filters,
    Missing,
    agent_activity,
    automated_summary,
    backlog,
    breakdown,
    drill_down,
    frt_distribution,
    frt_summary,
    headline,
    heatmap,
    reply_summary,
    resolution_summary,
    trends,
    volume,
    waiting_now,
)
from dashboard.analytics.metrics import summarise

from .helpers import Workspace, ts

RANGE = Filters(start=date(2026, 6, 1), end=date(2026, 6, 2))
RANGE_ANY = replace(RANGE, count_automated=True)
NOW = ts("2026-06-02 13:00")


def office() -> Workspace:
    ws = Workspace()
    ws.add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out", 7), ("2026-06-01 08:10", "in"),
           ("2026-06-01 08:20", "out", 7), status="solved", solved_at="2026-06-01 09:00", device_id=1, inbox_id=10,
           contact_id=101)
    ws.add(2, ("2026-06-01 10:00", "in"), ("2026-06-01 10:10", "out", 8), ("2026-06-02 12:00", "in"),
           device_id=1, inbox_id=10, contact_id=102, unread=1)
    ws.add(3, ("2026-06-02 09:00", "out", 8), ("2026-06-02 09:30", "in"), device_id=2, inbox_id=None, contact_id=103)
    ws.add(4, ("2026-06-01 11:00", "in"), ("2026-06-01 11:30", "out", 7), device_id=2, inbox_id=20, contact_id=104,
           is_group=True)
    ws.add(5, ("2026-06-02 07:00", "in"), ("2026-06-02 07:00:30", "out"), status="solved",
           solved_at="2026-06-02 08:00", device_id=2, inbox_id=20, contact_id=101)
    ws.add(6, ("2026-05-31 20:00", "in"), status="solved", solved_at="2026-05-31 21:00", device_id=1, inbox_id=10,
           contact_id=105)
    return ws


@pytest.fixture(scope="module")
def data():
    return office().build()


def test_summary_aggregates():
    summary = summarise(np.array([600.0, 60, np.nan, 300, 120]), target=300)
    assert (summary.count, summary.median, summary.mean, summary.within_target) == (4, 210, 270, 0.75)
    assert summary.p90 == pytest.approx(510)  # 300 + 0.7 × 300, with numpy's rounding
    values = np.random.default_rng(1).exponential(100, 1001)
    summary = summarise(values, 100)
    assert (summary.median, summary.p90) == (np.median(values), np.quantile(values, 0.9))
    for size in range(1, 12):
        sample = values[:size]
        assert summarise(sample, 100).p90 == np.quantile(sample, 0.9)
        assert summarise(sample, 100).median == np.median(sample)
    assert summarise(np.array([np.nan]), 1).count == 0 and summarise(np.array([np.nan]), 1).median is None


def test_response_summaries_exclude_group_chats_by_default(data):
    frt = frt_summary(data, RANGE)  # human replies: conversations 1 (2 min) and 2 (10 min)
    assert (frt.count, frt.median, frt.p90, frt.mean, frt.within_target) == (2, 360, 552, 360, 0.5)
    frt = frt_summary(data, RANGE_ANY)  # and conversation 5's automated reply after 30 s
    assert (frt.count, frt.median, frt.p90, frt.mean, frt.within_target) == (3, 120, 504, 250, 2 / 3)
    assert frt_summary(data, replace(RANGE, include_groups=True)).median == 600
    assert frt_summary(data, replace(RANGE_ANY, include_groups=True)).median == 360
    automated = automated_summary(data, RANGE)
    assert (automated.count, automated.median) == (1, 30)
    reply = reply_summary(data, RANGE)
    assert (reply.count, reply.median, reply.within_target) == (1, 600, 1.0)
    resolution = resolution_summary(data, RANGE)
    assert (resolution.count, resolution.median, resolution.within_target) == (2, 3600, 1.0)


def test_headline_cards_and_change_against_the_previous_period(data):
    cards = headline(data, RANGE)
    values = {key: card.value for key, card in cards.items()}
    assert values == {"cycles": 6, "inbound_cycles": 5, "outbound_cycles": 1, "messages_in": 7, "messages_out": 6,
                      "contacts": 4, "solved": 2, "frt": 360, "frt_within": 0.5, "unanswered": 2, "reply": 600,
                      "resolution": 3600, "automated": 30, "automated_share": 0.25}
    counted = {key: card.value for key, card in headline(data, RANGE_ANY).items()}
    assert counted == values | {"frt": 120, "frt_within": 2 / 3, "unanswered": 1}
    previous = {key: card.previous for key, card in cards.items()}  # 2026-05-30 .. 2026-05-31: conversation 6
    # Solved counts are never compared with the previous period.
    assert previous == {"cycles": 1, "inbound_cycles": 1, "outbound_cycles": 0, "messages_in": 1, "messages_out": 0,
                        "contacts": 1, "solved": None, "frt": None, "frt_within": None, "unanswered": 1,
                        "reply": None, "resolution": 3600, "automated": None, "automated_share": 0.0}
    assert cards["solved"].change is None
    assert (cards["cycles"].change, cards["cycles"].change_ratio) == (5, 5.0)
    assert cards["frt"].change is None and cards["outbound_cycles"].change_ratio is None
    assert cards["frt"].summary.p90 == 552 and cards["resolution"].change == 0
    assert headline(data)["cycles"].previous is None  # no range, no previous period


def test_filters_combine(data):
    def cycles(**kwargs):
        return headline(data, Filters(start=RANGE.start, end=RANGE.end, **kwargs))["cycles"].value

    assert cycles(device_ids={1}) == 3
    assert cycles(device_ids={2}, inbox_ids={20}) == 2
    assert cycles(inbox_ids={None}) == 1
    assert cycles(agent_ids={7}) == 2
    assert cycles(agent_ids={None}) == 2
    assert cycles(agent_ids={8}, device_ids={2}) == 1
    assert headline(data, Filters(start=date(2026, 6, 2), end=date(2026, 6, 2)))["cycles"].value == 3
    assert headline(data, Filters(agent_ids={7}))["messages_out"].value == 3  # the agent's own messages
    with pytest.raises(ValueError):
        Filters(start=date(2026, 6, 2), end=date(2026, 6, 1))


def test_daily_and_weekly_volume_bucketed_by_cycle_start(data):
    daily = volume(data, RANGE).frame
    assert daily.to_dict("list") == {
        "day": [pd.Timestamp("2026-06-01"), pd.Timestamp("2026-06-02")], "cycles": [3, 3], "inbound_cycles": [3, 2],
        "outbound_cycles": [0, 1], "messages_in": [4, 3], "messages_out": [4, 2], "contacts": [3, 3],
        "solved": [1, 1]}
    weekly = volume(data, RANGE, "week").frame
    assert weekly.to_dict("list") == {
        "week": [pd.Timestamp("2026-06-01")], "days": [2], "cycles": [6], "inbound_cycles": [5],
        "outbound_cycles": [1], "messages_in": [7], "messages_out": [6], "contacts": [4], "solved": [2]}
    padded = volume(data, Filters(start=date(2026, 5, 30), end=date(2026, 6, 3))).frame
    assert padded.cycles.tolist() == [0, 1, 3, 3, 0]


def test_trends_add_response_times_per_period(data):
    frame = trends(data, RANGE_ANY).frame
    assert frame.frt_count.tolist() == [2, 1] and frame.frt_median.tolist() == [360, 30]
    assert frame.reply_count.tolist() == [1, 0] and frame.unanswered.tolist() == [0, 1]
    frame = trends(data, RANGE).frame
    assert frame.frt_count.tolist() == [2, 0] and frame.unanswered.tolist() == [0, 2]
    assert frame.resolution_median.tolist() == [3600, 3600]


def test_heatmap_by_local_weekday_and_hour(data):
    cells = heatmap(data, RANGE).set_index(["weekday", "hour"])
    assert len(cells) == 168
    inbound = cells.inbound_messages[cells.inbound_messages > 0].to_dict()
    assert inbound == {(0, 8): 2, (0, 10): 1, (0, 11): 1, (1, 7): 1, (1, 9): 1, (1, 12): 1}
    started = cells.cycles_started[cells.cycles_started > 0].to_dict()
    assert started == {(0, 8): 1, (0, 10): 1, (0, 11): 1, (1, 7): 1, (1, 9): 1, (1, 12): 1}
    jakarta = heatmap(office().build(AnalyticsSettings(timezone="Asia/Jakarta")), RANGE).set_index(["weekday", "hour"])
    assert jakarta.loc[(0, 15), "inbound_messages"] == 2


def test_heatmap_places_messages_by_their_own_time_not_their_cycle_start():
    # One cycle from Sunday 23:30 into Monday: its Monday messages count in a Monday-only range.
    ws = Workspace().add(1, ("2026-05-31 23:30", "in"), ("2026-06-01 00:10", "in"), ("2026-06-01 09:05", "in"),
                         ("2026-06-01 09:06", "out", 7))
    data = ws.build()
    monday = Filters(start=date(2026, 6, 1), end=date(2026, 6, 1))
    cells = heatmap(data, monday).set_index(["weekday", "hour"]).inbound_messages
    assert cells[cells > 0].to_dict() == {(0, 0): 1, (0, 9): 1}
    assert heatmap(data, monday).cycles_started.sum() == 0  # the cycle started on Sunday
    sunday = heatmap(data, Filters(start=date(2026, 5, 31), end=date(2026, 5, 31))).set_index(["weekday", "hour"])
    assert sunday.inbound_messages[sunday.inbound_messages > 0].to_dict() == {(6, 23): 1}
    frame = drill_down(data, "inbound_messages", monday, cell=(0, 9))
    assert frame.conversation_id.tolist() == [1] and frame.contribution.tolist() == [1]


def test_frt_distribution_buckets_upper_bounds_inclusive(data):
    frame = frt_distribution(data, RANGE_ANY)
    assert frame.set_index("bucket").cycles.to_dict() == {
        "0–1m": 1, "1–5m": 1, "5–15m": 1, "15–60m": 0, "1–4h": 0, "4–24h": 0, ">24h": 0, "unanswered": 1}
    frame = frt_distribution(data, RANGE)
    assert frame.set_index("bucket").cycles.to_dict() == {
        "0–1m": 0, "1–5m": 1, "5–15m": 1, "15–60m": 0, "1–4h": 0, "4–24h": 0, ">24h": 0, "unanswered": 2}
    edges = Workspace()
    for i, seconds in enumerate((60, 61, 300, 301, 86400, 86401)):
        edges.add(i + 1, ("2026-06-01 00:00", "in"), (str(ts("2026-06-01") + pd.Timedelta(seconds=seconds)), "out", 7))
    counts = frt_distribution(edges.build(AnalyticsSettings(timezone="UTC", session_gap=2 * 86400)))
    assert counts.cycles.tolist() == [1, 2, 1, 0, 0, 1, 1, 0]


def test_breakdowns_have_an_na_row_and_add_up_to_the_cards(data):
    devices = breakdown(data, "device", RANGE).frame.set_index("device_id")
    assert devices.cycles.to_dict() == {1: 3, 2: 3}
    assert devices.device_name.to_dict() == {1: "Device 1", 2: "Device 2"}
    assert devices.frt_median.fillna(-1).to_dict() == {1: 360, 2: -1} and devices.unanswered.to_dict() == {1: 1, 2: 1}
    counted = breakdown(data, "device", RANGE_ANY).frame.set_index("device_id")
    assert counted.frt_median.to_dict() == {1: 360, 2: 30} and counted.unanswered.to_dict() == {1: 1, 2: 0}
    inboxes = breakdown(data, "inbox", RANGE).frame
    assert inboxes.inbox_id.tolist() == [10, 20, pd.NA] and inboxes.cycles.tolist() == [3, 2, 1]
    agents = breakdown(data, "agent", RANGE).frame
    assert agents.agent_id.tolist() == [7, 8, pd.NA]
    assert agents.cycles.tolist() == [2, 2, 2] and agents.messages_out.tolist() == [3, 2, 1]
    assert agents.frt_count.tolist() == [1, 1, 0] and agents.reply_count.tolist() == [1, 0, 0]
    counted = breakdown(data, "agent", RANGE_ANY).frame  # the automated first reply has no agent
    assert counted.agent_id.tolist() == [7, 8, pd.NA] and counted.frt_count.tolist() == [1, 1, 1]
    cards = headline(data, RANGE)
    for table in (devices, inboxes, agents):
        for column in ("cycles", "messages_in", "messages_out", "frt_count", "unanswered", "resolution_count"):
            key = {"frt_count": "frt", "resolution_count": "resolution"}.get(column, column)
            expected = cards[key].summary.count if key in ("frt", "resolution") else cards[key].value
            assert table[column].sum() == expected, column


def test_agent_activity(data):
    frame = agent_activity(data, RANGE)
    assert frame.columns.tolist() == ["agent_id", "outgoing_messages", "first_replies", "frt_median", "frt_mean",
                                      "replies", "reply_median", "reply_mean"]
    # People only: the automated reply of conversation 5 never ranks as an agent, even when counted.
    assert frame.agent_id.tolist() == [7, 8] and frame.replies.tolist() == [1, 0]
    assert frame.outgoing_messages.tolist() == [3, 2] and frame.first_replies.tolist() == [1, 1]
    assert frame.frt_median.tolist() == [120, 600] and frame.reply_median.iloc[0] == 600
    assert frame.reply_median.iloc[1:].isna().all()
    assert agent_activity(data, RANGE_ANY).agent_id.tolist() == [7, 8]


def test_waiting_now_longest_first_with_sla_breach(data):
    frame = waiting_now(data, NOW)
    assert frame.conversation_id.tolist() == [3, 2]
    assert frame.waiting_since.tolist() == [ts("2026-06-02 09:30"), ts("2026-06-02 12:00")]
    assert frame.waiting_s.tolist() == [12600, 3600] and frame.breach.tolist() == [True, True]
    assert frame.contact_name.tolist() == ["Contact 3", "Contact 2"] and frame.unread.tolist() == [0, 1]
    hours = BusinessHours.parse({d: [["09:00", "12:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})
    business = waiting_now(office().build(AnalyticsSettings(timezone="UTC", business_hours=hours)), NOW, business=True)
    assert business.waiting_business_s.tolist() == [9000, 0] and business.breach.tolist() == [True, False]
    assert waiting_now(data, NOW, Filters(device_ids={1})).conversation_id.tolist() == [2]
    group = Workspace().add(1, ("2026-06-02 09:00", "in"), is_group=True).build()
    assert waiting_now(group, NOW).empty and len(waiting_now(group, NOW, Filters(include_groups=True))) == 1


def test_waiting_splits_active_and_stale_and_an_away_message_does_not_end_a_wait():
    ws = (Workspace()
          .add(1, ("2026-05-20 10:00", "in"))  # abandoned: waiting for 13 days
          .add(2, ("2026-06-02 12:50", "in"), ("2026-06-02 12:50:05", "out"))  # only the away message
          .add(3, ("2026-06-01 12:00", "in"), ("2026-06-01 12:01", "out", 7), ("2026-06-01 13:30", "in")))
    frame = waiting_now(ws.build(), NOW)
    assert frame.conversation_id.tolist() == [3, 2, 1]  # active ones first, longest first
    assert frame.stale.tolist() == [False, False, True] and frame.breach.tolist() == [True, True, False]
    assert frame.waiting_s.tolist() == [23.5 * 3600, 600, 13 * 86400 + 3 * 3600]
    figures = backlog(frame)
    assert (figures.active, figures.over_target, figures.stale) == (2, 2, 1)
    assert (figures.longest_s, figures.median_s) == (23.5 * 3600, (23.5 * 3600 + 600) / 2)
    counted = waiting_now(ws.build(), NOW, Filters(count_automated=True))
    assert counted.conversation_id.tolist() == [3, 1]
    shorter = waiting_now(ws.build(AnalyticsSettings(timezone="UTC", session_gap=12 * 3600)), NOW)
    assert shorter.stale.tolist() == [False, True, True]  # 23.5 h is past a 12 h gap


def test_drill_down_lists_the_cycles_behind_each_number(data):
    def ids(metric, filters=RANGE, **selector):
        frame = drill_down(data, metric, filters, **selector)
        return sorted(zip(frame.conversation_id, frame.contribution, strict=True))

    assert ids("cycles", day=date(2026, 6, 1)) == [(1, 1), (2, 1), (4, 1)]
    assert ids("cycles", week=date(2026, 6, 1)) == [(1, 1), (2, 1), (2, 1), (3, 1), (4, 1), (5, 1)]
    assert ids("inbound_messages", cell=(0, 8)) == [(1, 2)]
    assert ids("messages_in", cell=(0, 8)) == [(1, 2)]
    assert ids("inbound_messages", cell=(1, 12)) == [(2, 1)]
    assert ids("cycles", cell=(1, 9)) == [(3, 1)]
    assert ids("messages_out", group=("agent", 7)) == [(1, 2), (4, 1)]
    assert ids("messages_out", group=("agent", None)) == [(5, 1)]
    assert ids("cycles", group=("inbox", None)) == [(3, 1)]
    assert ids("frt", bucket="5–15m") == [(2, 1)]
    assert ids("unanswered") == [(2, 1), (5, 1)]
    assert ids("unanswered", RANGE_ANY) == [(2, 1)]
    assert ids("automated") == [(5, 1)]
    assert ids("reply", group=("agent", 7)) == [(1, 1)]
    assert ids("solved") == [(1, 1), (5, 1)]
    assert sorted(drill_down(data, "frt", RANGE).value) == [120, 600]
    frame = drill_down(data, "frt", RANGE_ANY)
    assert sorted(frame.value) == [30, 120, 600]
    assert {"contact_name", "contact_phone", "device_name", "cycle_id", "start"} <= set(frame.columns)


def test_every_card_equals_its_drill_down(data):
    for filters in (RANGE, RANGE_ANY, Filters(include_groups=True), Filters(agent_ids={7, None}),
                    Filters(agent_ids={None}, count_automated=True), Filters(device_ids={2})):
        cards = headline(data, filters)
        for key, card in cards.items():
            frame = drill_down(data, key, filters)
            if key == "automated_share":
                assert card.summary.count == len(frame), (key, filters)
            elif key in ("frt", "resolution", "reply", "automated"):
                assert card.summary.count == frame.contribution.sum(), (key, filters)
                if key != "reply":
                    assert card.value == summarise(frame.value.to_numpy(), 1).median
            elif key == "frt_within":
                assert card.value == (frame.contribution.mean() if len(frame) else None)
            elif key == "contacts":
                assert card.value == frame.contact_id.nunique()
            else:
                assert card.value == frame.contribution.sum(), (key, filters)


def test_missing_inputs_say_so_instead_of_a_number():
    no_solved = office().build(available={"sender_user_id", "inbox_id"})
    cards = headline(no_solved, RANGE)
    assert cards["resolution"] == Missing("solved_at", "resolution time") and isinstance(cards["solved"], Missing)
    assert isinstance(cards["frt"], Card) and isinstance(resolution_summary(no_solved), Missing)
    assert "solved" not in volume(no_solved).frame and "solved" in volume(no_solved).missing
    table = breakdown(no_solved, "device")
    assert "resolution_median" not in table.frame and "resolution_median" in table.missing
    assert isinstance(drill_down(no_solved, "resolution"), Missing)
    assert "not available" in str(cards["resolution"])

    no_agents = office().build(available={"solved_at", "inbox_id"})
    assert breakdown(no_agents, "agent") == Missing("sender_user_id", "per-agent table")
    assert isinstance(agent_activity(no_agents), Missing)
    assert all(isinstance(card, Missing) for card in headline(no_agents, Filters(agent_ids={7})).values())
    assert isinstance(volume(no_agents, Filters(agent_ids={7})), Missing)
    assert isinstance(drill_down(no_agents, "cycles", group=("agent", 7)), Missing)
    assert frt_summary(no_agents).count == 3  # FRT itself needs no agent: every reply counts without senders
    assert headline(no_agents)["automated"] == Missing("sender_user_id", "automated replies")

    no_inbox = office().build(available={"solved_at", "sender_user_id"})
    assert isinstance(breakdown(no_inbox, "inbox"), Missing)
    assert isinstance(heatmap(no_inbox, Filters(inbox_ids={10})), Missing)
    assert isinstance(waiting_now(no_inbox, NOW, Filters(inbox_ids={10})), Missing)


def test_every_metric_says_how_it_drills_down():
    from dashboard.analytics.metrics.drill import DRILLS
    from dashboard.analytics.metrics.model import METRICS

    assert set(DRILLS) == set(METRICS)
