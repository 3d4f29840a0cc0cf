"""CSV exports, and the consistency of cards, tables, series, drill-downs and CSV on a larger workspace."""

import io
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from bench.metrics import SETTINGS, synthetic_workspace
from dashboard.analytics import (
    AnalyticsSettings,
    Filters,
    Missing,
    breakdown,
    build_cycles,
    cycles_csv,
    drill_down,
    headline,
    series_csv,
    trends,
)
from dashboard.analytics.metrics import summarise

from .helpers import Workspace


def read(text: str) -> tuple[str, pd.DataFrame]:
    header, _, body = text.partition("\n")
    return header, pd.read_csv(io.StringIO(body), keep_default_na=False, na_values=[""], dtype={"contact_phone": str})


def test_cycles_csv_names_the_timezone_and_cohort_rule_and_has_one_row_per_cycle():
    ws = Workspace()
    ws.add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out", 7), ("2026-06-01 08:10", "in"),
           ("2026-06-01 08:20", "out", 7), ("2026-06-01 08:30", "in"), ("2026-06-01 08:35", "out", 8),
           status="solved", solved_at="2026-06-01 09:00", contact_name="=HYPERLINK(\"x\")")
    ws.add(2, ("2026-06-01 18:30", "out", 7), contact_name="Budi #1, Jakarta")
    data = ws.build(AnalyticsSettings(timezone="Asia/Jakarta"))
    header, rows = read(cycles_csv(data))
    assert header.startswith("# CEOX analytics, cycles; timezone Asia/Jakarta; "
                             "bucketed by cycle start in Asia/Jakarta (cohort); durations in seconds")
    assert rows.columns.tolist() == [
        "cycle_id", "conversation_id", "contact_id", "contact_name", "contact_phone", "device_id", "device_name",
        "inbox_id", "is_group", "counted_in_response", "agent_id", "cycle_start", "day", "initiator", "state",
        "first_reply_at", "frt_s", "frt_business_s", "messages_in", "messages_out", "reply_count", "reply_median_s",
        "reply_times_s", "reply_median_business_s", "reply_times_business_s", "solved_at", "resolution_s",
        "resolution_business_s"]
    first, second = rows.to_dict("records")
    assert first["contact_name"] == "'=HYPERLINK(\"x\")" and second["contact_name"] == "Budi #1, Jakarta"
    assert first["contact_phone"] == "'+62810000001"  # a + starts a formula too
    assert (first["cycle_start"], first["day"], first["first_reply_at"]) == (
        "2026-06-01T15:00:00+07:00", "2026-06-01", "2026-06-01T15:02:00+07:00")
    assert (first["frt_s"], first["reply_count"], first["reply_median_s"], first["reply_times_s"]) == (
        120, 2, 450, "600;300")
    assert (first["solved_at"], first["resolution_s"]) == ("2026-06-01T16:00:00+07:00", 3600)
    assert second["day"] == "2026-06-02" and second["initiator"] == "outbound" and np.isnan(second["frt_s"])


def test_missing_inputs_leave_their_columns_out_and_say_so():
    ws = Workspace().add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out", 7))
    header, rows = read(cycles_csv(ws.build(available=set())))
    assert not {"agent_id", "inbox_id", "solved_at", "resolution_s", "resolution_business_s"} & set(rows.columns)
    assert "not available: agent (the service did not return sender_user_id), inbox (the service did not return " \
           "inbox_id), resolution (the service did not return solved_at)" in header
    header, rows = read(series_csv(ws.build(available=set())))
    assert "resolution_median" not in rows and "solved" not in rows
    assert isinstance(cycles_csv(ws.build(available=set()), Filters(agent_ids={7})), Missing)


def test_series_csv_is_the_daily_trend():
    ws = Workspace().add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out", 7), ("2026-06-03 08:00", "in"))
    header, rows = read(series_csv(ws.build(), business=True))
    assert header.startswith("# CEOX analytics, day series, durations business hours; timezone UTC; "
                             "bucketed by cycle start in UTC (cohort)")
    assert rows.day.tolist() == ["2026-06-01", "2026-06-02", "2026-06-03"]
    assert rows.cycles.tolist() == [1, 0, 1] and rows.frt_median.tolist()[0] == 120
    _, weekly = read(series_csv(ws.build(), period="week"))
    assert weekly.week.tolist() == ["2026-06-01"] and weekly.days.tolist() == [7]


@pytest.fixture(scope="module")
def workspace():
    conversations, messages = synthetic_workspace(messages=30_000, conversations=1_200, seed=7)
    return build_cycles(conversations, messages, SETTINGS)


END = date(2026, 6, 28)
FILTERS = [
    Filters(start=END - timedelta(days=29), end=END),
    Filters(start=END - timedelta(days=29), end=END, include_groups=True),
    Filters(start=END - timedelta(days=6), end=END, device_ids={1, 3}, inbox_ids={2, None}),
    Filters(start=END - timedelta(days=59), end=END, agent_ids={5, 9, None}),
]


@pytest.mark.parametrize("business", [False, True])
@pytest.mark.parametrize("filters", FILTERS)
def test_cards_tables_series_drill_downs_and_csv_agree(workspace, filters, business):
    data = workspace
    cards = headline(data, filters, business)
    assert cards["cycles"].value > 0 and cards["frt"].summary.count > 0
    daily = trends(data, filters, "day", business).frame
    weekly = trends(data, filters, "week", business).frame
    _, rows = read(cycles_csv(data, filters))
    _, csv_daily = read(series_csv(data, filters, "day", business))
    suffix = "_business" if business else ""
    response = rows[rows.counted_in_response]

    counts = {"cycles": len(rows), "inbound_cycles": (rows.initiator == "inbound").sum(),
              "outbound_cycles": (rows.initiator == "outbound").sum(), "messages_in": rows.messages_in.sum(),
              "contacts": rows.contact_id.nunique(), "solved": rows.solved_at.notna().sum(),
              "unanswered": response.state.isin(["missed", "waiting"]).sum()}
    for key, expected in counts.items():
        assert cards[key].value == expected, key
        if key != "contacts":
            assert daily[key].sum() == weekly[key].sum() == csv_daily[key].sum() == expected, key
        assert drill_down(data, key, filters, business).contribution.sum() == expected or key == "contacts"
    if filters.agent_ids is None:
        assert cards["messages_out"].value == rows.messages_out.sum() == daily.messages_out.sum()
    assert cards["messages_out"].value == drill_down(data, "messages_out", filters).contribution.sum()

    frt = response[f"frt{suffix}_s"].dropna().to_numpy()
    resolution = response[f"resolution{suffix}_s"].dropna().to_numpy()
    assert cards["frt"].summary == summarise(frt, data.settings.targets.frt)
    assert cards["resolution"].summary == summarise(resolution, data.settings.targets.resolution)
    assert cards["frt_within"].value == np.mean(frt <= data.settings.targets.frt)
    if filters.agent_ids is None:  # reply lists in the CSV are per cycle, not per replying agent
        replies = np.array([float(v) for text in response[f"reply_times{suffix}_s"].dropna() for v in text.split(";")])
        assert cards["reply"].summary == summarise(replies, data.settings.targets.reply)
        assert response.reply_count.sum() == cards["reply"].summary.count
    for prefix in ("frt", "reply", "resolution"):
        assert daily[f"{prefix}_count"].sum() == cards[prefix].summary.count
    assert csv_daily.frt_median.dropna().tolist() == pytest.approx(daily.frt_median.dropna().tolist(), abs=0)

    for by in ("device", "inbox", "agent"):
        table = breakdown(data, by, filters, business).frame
        for column in ("cycles", "inbound_cycles", "messages_in", "messages_out", "unanswered"):
            assert table[column].sum() == cards[column].value, (by, column)
        for prefix in ("frt", "reply", "resolution"):
            assert table[f"{prefix}_count"].sum() == cards[prefix].summary.count, (by, prefix)
        key = {"device": "device_id", "inbox": "inbox_id", "agent": "agent_id"}[by]
        row = table.sort_values("frt_count").iloc[-1]
        ident = None if pd.isna(row[key]) else int(row[key])
        behind = drill_down(data, "frt", filters, business, group=(by, ident))
        assert len(behind) == row.frt_count
        assert summarise(behind.value.to_numpy(), 1).median == row.frt_median
