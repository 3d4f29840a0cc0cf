"""Property tests: invariants that hold for any workspace and schedule."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.analytics import (
    AnalyticsSettings,
    BusinessHours,
    Filters,
    Interval,
    breakdown,
    build_cycles,
    conversations_frame,
    cycle_rows,
    headline,
    heatmap,
    messages_frame,
    volume,
)
from dashboard.analytics.business_hours import BusinessClock
from dashboard.analytics.settings import MINUTES_PER_DAY

BASE = pd.Timestamp("2026-03-25 00:00", tz="UTC")  # a week around Berlin's spring DST change
ZONES = ("UTC", "Europe/Berlin", "Asia/Jakarta")

# Clock times on the quarter hour, outside 02:00–02:59 (skipped or repeated on Berlin's DST days;
# those are covered by hand-built tests).
clock = st.integers(0, 95).map(lambda q: q * 15).filter(lambda m: m // 60 != 2)
interval = st.tuples(clock, clock).filter(lambda p: p[0] != p[1]).map(
    lambda p: Interval.parse(f"{p[0] // 60:02d}:{p[0] % 60:02d}", f"{p[1] // 60:02d}:{p[1] % 60:02d}"))
schedules = st.builds(
    BusinessHours,
    st.lists(st.lists(interval, max_size=2).map(tuple), min_size=7, max_size=7).map(tuple),
    st.frozensets(st.dates(date(2026, 3, 20), date(2026, 4, 10)), max_size=3))
analytics_settings = st.builds(AnalyticsSettings, timezone=st.sampled_from(ZONES), business_hours=schedules,
                               session_gap=st.sampled_from([3600.0, 86400.0]))
gaps = st.one_of(st.sampled_from([0, 1, 5, 1439, 1440, 1441]), st.integers(0, 3000))  # minutes


@st.composite
def workspaces(draw):
    conversations, messages = [], []
    for cid in range(1, draw(st.integers(1, 4)) + 1):
        at = draw(st.integers(0, 6 * 24 * 60))
        for gap in draw(st.lists(gaps, min_size=1, max_size=10)):
            at += gap
            out = draw(st.booleans())
            messages.append({"conversation_id": cid, "from_me": out, "timestamp": BASE + pd.Timedelta(minutes=at),
                             "sender_user_id": draw(st.sampled_from([None, 1, 2])) if out else None})
        solved = draw(st.one_of(st.none(), st.integers(0, 10 * 24 * 60)))
        conversations.append({
            "id": cid, "contact_id": cid % 3, "contact_name": f"c{cid}", "is_group": draw(st.booleans()),
            "device_id": draw(st.sampled_from([1, 2])), "inbox_id": draw(st.sampled_from([None, 1])),
            "status": "solved" if solved is not None and draw(st.booleans()) else "open",
            "solved_at": None if solved is None else BASE + pd.Timedelta(minutes=solved)})
    ids = draw(st.permutations(range(1, len(messages) + 1)))
    for message, message_id in zip(messages, ids, strict=True):
        message["id"] = message_id
    return conversations_frame(conversations), messages_frame(messages)


@settings(max_examples=60, deadline=None)
@given(workspaces(), analytics_settings, st.randoms(use_true_random=False))
def test_invariants(workspace, config, random):
    conversations, messages = workspace
    data = build_cycles(conversations, messages, config)
    cycles, replies = data.cycles, data.replies

    # Durations: non-negative, business time never more than wall-clock time.
    for wall, business in ((cycles.frt_s, cycles.frt_business_s), (replies.wait_s, replies.wait_business_s),
                           (cycles.frt_s_any, cycles.frt_business_s_any),
                           (data.replies_any.wait_s, data.replies_any.wait_business_s),
                           (cycles.auto_s, cycles.auto_business_s),
                           (cycles.resolution_s, cycles.resolution_business_s)):
        assert (wall.isna() == business.isna()).all()
        assert (wall.dropna() >= 0).all() and (business.dropna() >= 0).all()
        assert (business.dropna() <= wall.dropna() + 1e-9).all()
    assert (cycles.frt_s_any.notna() == ((cycles.initiator == "inbound") & (cycles.messages_out > 0))).all()
    # A human first reply is one of the replies, so never earlier than the first of them.
    human = cycles.frt_s.notna()
    assert (cycles.frt_s_any[human] <= cycles.frt_s[human]).all() and (human <= cycles.frt_s_any.notna()).all()
    assert ((cycles.frt_s_any == cycles.frt_s) | (cycles.frt_s_any == cycles.auto_s) | ~cycles.frt_s_any.notna()).all()

    # Every message is in exactly one cycle; cycles of a conversation follow each other.
    assert (cycles.messages_in + cycles.messages_out).sum() == len(messages)
    assert (cycles.groupby("conversation_id").seq.diff().dropna() == 1).all()
    assert (cycles.groupby("conversation_id").start.diff().dropna() > pd.Timedelta(0)).all()
    assert cycles.contains_solve.sum() <= conversations.solved_at.notna().sum()

    # Message rows in any order give the same tables.
    shuffled = messages.iloc[random.sample(range(len(messages)), len(messages))].reset_index(drop=True)
    again = build_cycles(conversations, shuffled, config)
    for name in ("cycles", "replies", "replies_any", "inbound_cells", "agent_messages"):
        pd.testing.assert_frame_equal(getattr(data, name), getattr(again, name))

    # Totals agree across cards, series, heatmap, tables and export rows.
    cards = headline(data)
    daily = volume(data).frame
    weekly = volume(data, period="week").frame
    cells = heatmap(data)
    assert daily.cycles.sum() == weekly.cycles.sum() == cells.cycles_started.sum() == cards["cycles"].value
    assert len(cycles) == cards["cycles"].value == len(cycle_rows(data))
    assert cells.inbound_messages.sum() == daily.messages_in.sum() == cards["messages_in"].value
    assert daily.messages_out.sum() == cards["messages_out"].value
    for by in ("device", "inbox", "agent"):
        for automated, frt, waits in ((False, cycles.frt_s, replies.wait_s),
                                      (True, cycles.frt_s_any, data.replies_any.wait_s)):
            table = breakdown(data, by, Filters(include_groups=True, count_automated=automated)).frame
            assert table.cycles.sum() == len(cycles) and table.messages_out.sum() == cards["messages_out"].value
            assert table.frt_count.sum() == frt.notna().sum()
            assert table.reply_count.sum() == waits.notna().sum()


def reference_seconds(hours: BusinessHours, zone: ZoneInfo, start: datetime, end: datetime) -> float:
    """Open seconds from start to end, day by day with zoneinfo (slow and plain)."""
    weekly = ((Interval(0, MINUTES_PER_DAY),),) * 7 if hours.always_open else hours.weekly
    pieces = []
    day = start.astimezone(zone).date() - timedelta(days=2)
    while day <= end.astimezone(zone).date() + timedelta(days=1):
        for spec in weekly[day.weekday()]:
            parts = [(day, spec.start, min(spec.end, MINUTES_PER_DAY))]
            if spec.end > MINUTES_PER_DAY:
                parts.append((day + timedelta(days=1), 0, spec.end - MINUTES_PER_DAY))
            for on, lo, hi in parts:
                if on not in hours.holidays:
                    pieces.append((_instant(on, lo, zone), _instant(on, hi, zone)))
        day += timedelta(days=1)
    total, reach = 0.0, None
    for lo, hi in sorted(pieces):  # union, clipped to [start, end]
        lo = max(lo, reach or lo)
        lo, hi = max(lo, start), min(hi, end)
        if hi > lo:
            total += (hi - lo).total_seconds()
        reach = max(reach or hi, hi)
    return total


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return local.replace(tzinfo=zone).astimezone(UTC)


@settings(max_examples=80, deadline=None)
@given(schedules, st.sampled_from(ZONES), st.lists(st.tuples(st.integers(0, 12 * 86400), st.integers(0, 3 * 86400)),
                                                   min_size=1, max_size=5))
def test_business_seconds_match_a_day_by_day_reference(hours, zone_name, spans):
    zone = ZoneInfo(zone_name)
    starts = np.array([BASE.value + s * 10**9 for s, _ in spans])
    ends = np.array([BASE.value + (s + d) * 10**9 for s, d in spans])
    clock = BusinessClock(hours, zone, int(starts.min()), int(ends.max()))
    result = clock.seconds(starts, ends)
    for (s, d), value in zip(spans, result, strict=True):
        start = BASE.to_pydatetime() + timedelta(seconds=s)
        assert value == reference_seconds(hours, zone, start, start + timedelta(seconds=d))
        assert 0 <= value <= d
