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
    Labels,
    Missing,
    breakdown,
    build_cycles,
    cycles_csv,
    drill_down,
    file_stem,
    headline,
    rules_csv,
    series_csv,
    trends,
    workbook,
)
from dashboard.analytics.metrics import summarise

from .helpers import Workspace


def read(data: bytes) -> pd.DataFrame:
    """As a spreadsheet user would: `read_csv` with its default arguments."""
    return pd.read_csv(io.BytesIO(data))


def hostile() -> Workspace:
    ws = Workspace()
    ws.add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:01:30", "out"), ("2026-06-01 08:02", "out", 7),
           ("2026-06-01 08:10", "in"), ("2026-06-01 08:20:00.4", "out", 7), ("2026-06-01 08:30", "in"),
           ("2026-06-01 08:35", "out", 8), status="solved", solved_at="2026-06-01 09:00",
           contact_name="=HYPERLINK(\"http://x\")")
    ws.add(2, ("2026-06-01 18:30", "out", 7), contact_name="Budi #1, Jakarta")
    return ws


LABELS = Labels(agents={7: "@Sari", 8: "Dewi"}, inboxes={1: "Sales"})


def test_cycle_rows_open_in_a_spreadsheet_with_the_header_first_and_durations_in_whole_seconds():
    data = hostile().build(AnalyticsSettings(timezone="Asia/Jakarta"))
    rows = read(cycles_csv(data, labels=LABELS))
    assert rows.columns.tolist() == [
        "cycle_id", "conversation_id", "contact_id", "contact_name", "contact_phone", "device_id", "device_name",
        "inbox_id", "inbox_name", "is_group", "counted_in_response", "agent_id", "agent_name", "cycle_start", "day",
        "initiator", "state", "first_reply_at", "frt_s", "frt_min", "frt_business_s", "frt_business_min",
        "first_automated_s", "first_automated_min", "messages_in", "messages_out", "reply_count",
        "reply_median_s", "reply_median_min", "reply_times_s", "reply_median_business_s",
        "reply_median_business_min", "reply_times_business_s", "solved_at", "resolution_s", "resolution_min",
        "resolution_business_s", "resolution_business_min"]
    for column in ("cycle_id", "conversation_id", "agent_id", "frt_s", "frt_min", "messages_in", "resolution_s"):
        assert pd.api.types.is_numeric_dtype(rows[column]), column
    first, second = rows.to_dict("records")
    # Escaped against formula injection: a name, an agent name and a phone number that start like formulas.
    assert first["contact_name"] == "'=HYPERLINK(\"http://x\")" and second["contact_name"] == "Budi #1, Jakarta"
    assert first["contact_phone"] == "'+62810000001" and first["agent_name"] == "'@Sari"
    assert (first["agent_id"], first["inbox_id"], first["inbox_name"]) == (7, 1, "Sales")
    assert (first["cycle_start"], first["day"], first["first_reply_at"]) == (
        "2026-06-01T15:00:00+07:00", "2026-06-01", "2026-06-01T15:02:00+07:00")
    # Human replies by default: the 08:01:30 message had no sender.
    assert (first["frt_s"], first["frt_min"], first["first_automated_s"], first["first_automated_min"]) == (
        120, 2.0, 90, 1.5)
    assert (first["reply_count"], first["reply_median_s"], first["reply_median_min"], first["reply_times_s"]) == (
        2, 450, 7.5, "600;300")  # 600.4 s shows as 600
    assert (first["solved_at"], first["resolution_s"], first["resolution_min"]) == (
        "2026-06-01T16:00:00+07:00", 3600, 60.0)
    assert second["day"] == "2026-06-02" and second["initiator"] == "outbound" and np.isnan(second["frt_s"])
    counted = read(cycles_csv(data, Filters(count_automated=True), labels=LABELS)).to_dict("records")[0]
    assert counted["frt_s"] == 90 and np.isnan(counted["agent_id"]) and pd.isna(counted["agent_name"])


def test_the_rules_are_in_a_read_me_and_the_file_name_not_in_a_comment_line():
    data = hostile().build(AnalyticsSettings(timezone="Asia/Jakarta"))
    for exported in (cycles_csv(data), series_csv(data)):
        assert not exported.startswith(b"#")
    readme = read(rules_csv(data)).set_index("rule")["value"]
    assert readme.index.tolist()[:5] == ["Exported", "Timezone", "Bucketing", "Cycle", "Replies counted"]
    assert readme["Timezone"].startswith("Asia/Jakarta") and "cohort" in readme["Bucketing"]
    assert readme["Replies counted"].startswith("human replies only")
    assert file_stem(data, Filters(), False) == "analytics_Asia-Jakarta_human-replies_wall-clock"
    assert file_stem(data, Filters(count_automated=True), True) == "analytics_Asia-Jakarta_all-replies_business-hours"


def test_the_workbook_has_a_read_me_and_a_sheet_per_table():
    data = hostile().build(AnalyticsSettings(timezone="Asia/Jakarta"))
    sheets = pd.read_excel(io.BytesIO(workbook(data, labels=LABELS)), sheet_name=None)
    assert list(sheets) == ["Read me", "Cycles", "Day series"]
    assert sheets["Read me"].columns.tolist() == ["rule", "value"]
    cycles = sheets["Cycles"]
    pd.testing.assert_frame_equal(cycles[["frt_s", "reply_count", "messages_in"]],
                                  read(cycles_csv(data, labels=LABELS))[["frt_s", "reply_count", "messages_in"]],
                                  check_dtype=False)
    assert cycles["contact_name"].iloc[0] == "'=HYPERLINK(\"http://x\")" and cycles["agent_name"].iloc[0] == "'@Sari"
    assert sheets["Day series"]["cycles"].sum() == 2


def test_missing_inputs_leave_their_columns_out_and_say_so():
    ws = Workspace().add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out", 7))
    rows = read(cycles_csv(ws.build(available=set())))
    assert not {"agent_id", "agent_name", "inbox_id", "solved_at", "resolution_s", "first_automated_s"} & set(rows)
    readme = read(rules_csv(ws.build(available=set()))).set_index("rule")["value"]
    assert readme["Not available"] == ("agents and automated replies (the service does not return sender_user_id), "
                                       "inboxes (the service does not return inbox_id), resolution (the service "
                                       "does not return solved_at)")
    rows = read(series_csv(ws.build(available=set())))
    assert "resolution_median_s" not in rows and "solved" not in rows
    assert isinstance(cycles_csv(ws.build(available=set()), Filters(agent_ids={7})), Missing)


def test_series_csv_is_the_daily_trend():
    ws = Workspace().add(1, ("2026-06-01 08:00", "in"), ("2026-06-01 08:02", "out", 7), ("2026-06-03 08:00", "in"))
    rows = read(series_csv(ws.build(), business=True))
    assert rows.day.tolist() == ["2026-06-01", "2026-06-02", "2026-06-03"]
    assert rows.cycles.tolist() == [1, 0, 1] and rows.frt_median_s.tolist()[0] == 120
    assert rows.frt_median_min.tolist()[0] == 2.0 and rows.frt_within_pct.tolist()[0] == 100.0
    weekly = read(series_csv(ws.build(), period="week"))
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
    rows = read(cycles_csv(data, filters))
    csv_daily = read(series_csv(data, filters, "day", business))
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

    # The CSV holds whole seconds: the same cycles as the cards, each within half a second.
    for key, column in (("frt", f"frt{suffix}_s"), ("resolution", f"resolution{suffix}_s")):
        exact = drill_down(data, key, filters, business)
        assert cards[key].summary.count == len(exact) == response[column].notna().sum()
        assert cards[key].summary == summarise(exact.value.to_numpy(), cards[key].summary.target)
        shown = response.set_index("cycle_id")[column].dropna()
        exact_values = exact.set_index("cycle_id").value.sort_index().to_numpy()
        assert np.abs(shown.sort_index().to_numpy() - exact_values).max() <= 0.5
    if filters.agent_ids is None:  # reply lists in the CSV are per cycle, not per replying agent
        replies = np.array([float(v) for text in response[f"reply_times{suffix}_s"].dropna() for v in text.split(";")])
        assert cards["reply"].summary.count == replies.size == response.reply_count.sum()
        assert cards["reply"].summary.median == pytest.approx(np.median(replies), abs=0.5)
    for prefix in ("frt", "reply", "resolution"):
        assert daily[f"{prefix}_count"].sum() == cards[prefix].summary.count
    assert csv_daily.frt_median_s.dropna().tolist() == pytest.approx(daily.frt_median.dropna().tolist(), abs=0.5)

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
