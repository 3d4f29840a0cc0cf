"""The Analytics, Agents and Live board pages through AppTest, on a demo workspace.

The cold sync with progress then warm runs from the cache; filters and the business-hours toggle;
drill-down from cards, bars, heatmap cells and table rows (chart and table selections are set in
session state, as the browser would send them); the settings form's validation; inputs the service
does not return named on the page; cards, tables and CSV exports agreeing; and scoping: the demo
Manager's analytics cover every inbox, the demo Analyst's only its own.

The module shares one demo sandbox and one data directory (so each credential syncs once). The
sandbox keeps one conversation in four: every kind of conversation, inbox, agent and cycle of the
demo, and a quarter of the requests for each cold sync.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.seed import DEMO_PASSWORD
from ceox_sandbox.server import SandboxServer
from dashboard import preferences
from dashboard.analytics import (
    AnalyticsSettings,
    BusinessHours,
    Cycles,
    Filters,
    agent_activity,
    automated_summary,
    backlog,
    build_cycles,
    cycles_csv,
    frt_distribution,
    frt_summary,
    headline,
    heatmap,
    series_csv,
    trends,
    waiting_now,
)
from dashboard.connection import Workspace, connect, sign_in
from dashboard.sync import Cache, background_sync
from dashboard.sync import background as sync_background
from dashboard.sync import store as cache_store
from tests.analytics.independent import Workspace as IndependentWorkspace
from tests.conftest import FAST_RETRIES
from tests.ui.conftest import APP, as_read, assert_clean, markdown_texts
from ui import analytics as ui
from ui.analytics import charts as ui_charts
from ui.analytics import sync as analytics_sync

ANALYTICS, AGENTS, LIVE = "app_pages/analytics.py", "app_pages/agents.py", "app_pages/live_board.py"
KEEP_ONE_IN = 4
TABLES_TAB = "By device, inbox, agent"
XSS_NAME = "<img src=x onerror=alert(1)> **bold** [link](http://x)"


@pytest.fixture(scope="module")
def demo() -> Iterator[SandboxServer]:
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        with server.state.store.tx() as db:
            where = f"conversation_id IN (SELECT id FROM conversations WHERE id % {KEEP_ONE_IN} != 0)"
            db.execute(f"DELETE FROM messages WHERE {where}")
            db.execute(f"DELETE FROM conversations WHERE id % {KEEP_ONE_IN} != 0")
        yield server


@pytest.fixture(scope="module")
def shared_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("analytics-data")


@pytest.fixture(autouse=True)
def private_data_dir(shared_data_dir, monkeypatch):
    """Overrides the per-test data directory: the module's caches are synced once and reused."""
    monkeypatch.setenv("CEOX_DATA_DIR", str(shared_data_dir))
    monkeypatch.delenv("CEOX_API_KEY", raising=False)
    monkeypatch.delenv("CEOX_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def admin(demo) -> Workspace:
    return connect(demo.api_url, api_key=demo.api_key, source="demo")


@pytest.fixture(scope="module")
def manager(demo) -> Workspace:
    return sign_in(demo.api_url, "manager@demo.ceox.local", DEMO_PASSWORD, allow_private=True)


@pytest.fixture(scope="module")
def analyst(demo) -> Workspace:
    return sign_in(demo.api_url, "analyst@demo.ceox.local", DEMO_PASSWORD, allow_private=True)


@pytest.fixture(scope="module")
def api(demo) -> Iterator[Client]:
    with Client(demo.api_url, api_key=demo.api_key, use_env=False) as client:
        yield client


def page_app(workspace: Workspace, page: str = ANALYTICS, **state) -> AppTest:
    """The page, once the background sync has the whole history (so that figures compared with a
    computation here come from the same rows)."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["workspace"] = workspace
    at.run()
    at.switch_page(page)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert_clean(at)
    if wait_for_history(workspace):
        at.run()
        assert_clean(at)
    return at


def wait_for_history(workspace: Workspace, timeout_s: float = 120) -> bool:
    """Wait until the background sync of the workspace's cache is idle with the whole history; True when
    it was not at first."""
    runner = background_sync(Cache.for_workspace(workspace))
    waited = False
    deadline = time.monotonic() + timeout_s
    while runner.state().running or runner.coverage().history_share < 1:
        assert time.monotonic() < deadline, "the background sync did not finish"
        waited = True
        time.sleep(0.05)
    return waited


def engine_cycles(workspace: Workspace, settings: AnalyticsSettings | None = None) -> Cycles:
    """The cycles the page computes, built here from the same cache with the same settings."""
    conversations, messages, available = Cache.for_workspace(workspace).frames()
    settings = settings or preferences.analytics_settings(workspace.workspace_id).resolved(None)
    return build_cycles(conversations, messages, settings, available)


def page_filters(at: AppTest, **extra) -> Filters:
    start, end = at.date_input(key="analytics_dates").value
    return Filters(start=start, end=end, **extra)


def metric(at: AppTest, label: str) -> str:
    return next(m for m in at.metric if m.label == label).value


def count(at: AppTest, label: str) -> int:
    return int(metric(at, label).replace(",", ""))


def table(at: AppTest, key: str) -> pd.DataFrame:
    return next(d for d in at.dataframe if d.key == key).value


def with_columns(at: AppTest, *columns: str) -> list[pd.DataFrame]:
    """The tables showing these columns (a read-only st.dataframe has no key AppTest can see)."""
    return [frame for frame in (d.value for d in at.dataframe) if set(columns) <= set(frame.columns)]


def drill_rows(at: AppTest) -> pd.DataFrame:
    """The one drill-down table on the page."""
    (rows,) = with_columns(at, "conversation", "counted")
    return rows


def open_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state["analytics_tab"] = tab
    at.run()
    assert_clean(at)
    return at


# --- the cache: cold sync, warm runs, refresh, clear -------------------------------------------------------


def test_first_open_syncs_with_progress_then_runs_from_the_cache(admin, tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "fresh"))
    builds = []
    real_build = analytics_sync.build_cycles
    monkeypatch.setattr(analytics_sync, "build_cycles", lambda *a, **k: builds.append(1) or real_build(*a, **k))

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["workspace"] = admin
    at.run()
    at.switch_page(ANALYTICS).run()
    assert_clean(at)
    # The first open waits for the period on screen, not for the one before it or the whole history.
    assert count(at, "Cycles") > 0
    today = datetime.now(UTC).date()
    window = ui.period_window(today - timedelta(days=6), today, UTC, previous=False)
    cache = Cache.for_workspace(admin)
    assert cache.coverage(window).window_final
    assert any(c.value.startswith("Figures for the last 7 days are complete; history ") for c in at.caption)

    assert wait_for_history(admin) or cache.last_synced_at() is not None
    info = cache.info()
    assert info.last_synced_at is not None and info.conversations > 0
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    at.run()  # picks up the whole history; no waiting
    assert_clean(at)
    assert not [e for e in at.main.children.values() if e.type == "status"]
    assert f"{info.conversations:,} conversations" in at.caption[0].value
    assert any(c.value == "Figures for the last 7 days are complete; history 100% loaded." for c in at.caption)
    built = len(builds)
    at.run()  # warm: the cycles come from st.cache_resource
    assert len(builds) == built

    at.button(key="analytics_refresh").click().run()
    assert_clean(at)
    (toast,) = [t.value for t in at.toast]
    assert toast.startswith("Refreshing in the background")
    wait_for_history(admin)
    assert cache.info().generation > info.generation  # the refresh ran, in the background

    at.button(key="analytics_clear").click().run()
    assert_clean(at)
    assert not Cache.for_workspace(admin).info().exists
    assert "cleared" in at.info[0].value and not at.metric  # nothing syncs by itself after a clear
    at.button(key="analytics_sync_now").click().run()
    assert_clean(at)
    wait_for_history(admin)
    assert Cache.for_workspace(admin).info().conversations == info.conversations
    assert count(at, "Cycles") > 0


def test_the_cards_show_changes_only_once_the_period_before_is_loaded(demo, api, monkeypatch):
    """The first visit shows the period's cards as soon as they are final; the changes against the period
    before wait for that period, which the sync fetches next."""
    supervisor = sign_in(demo.api_url, "supervisor@demo.ceox.local", DEMO_PASSWORD, allow_private=True)
    zone = preferences.analytics_settings(supervisor.workspace_id).resolved(None).zone
    today = datetime.now(zone).date()
    period = ui.period_window(today - timedelta(days=6), today, zone, previous=False)
    compared = ui.period_window(today - timedelta(days=6), today, zone)
    cache = Cache.for_workspace(supervisor)
    # A first sync that stopped once the period was final (newest threads first): the period before is not.
    stop = threading.Event()
    with supervisor.client() as client:
        cache.refresh(client, priority=lambda: compared, stop=stop,
                      on_saved=lambda: cache.coverage(period).window_final and stop.set())
    assert cache.coverage(period).window_final and not cache.coverage(compared).window_final
    # Hold the background sync back: after a failed refresh it waits (here an hour) before trying by itself.
    monkeypatch.setattr(sync_background, "RETRY_AFTER_S", 3600.0)
    runner = background_sync(cache)
    api.sandbox.set_faults(error_rate=1.0)
    try:
        runner.keep_fresh(supervisor.client, compared)
        deadline = time.monotonic() + 120
        while runner.state().problem is None or runner.state().running:
            assert time.monotonic() < deadline, "the refresh did not fail"
            time.sleep(0.05)
    finally:
        api.sandbox.set_faults()

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["workspace"] = supervisor
    at.run()
    at.switch_page(ANALYTICS).run()
    assert_clean(at)
    assert not cache.coverage(compared).window_final  # still held back: what the page showed was this state
    cards = [m for m in at.metric if m.label in ui.CARD_LABELS.values()]
    assert count(at, "Cycles") > 0 and len(cards) == len(ui.CARDS)
    assert [(m.label, m.delta) for m in cards if m.delta] == []  # AppTest reads "no delta" as ""
    assert any(c.value.startswith("Figures for the last 7 days are complete;") and
               "The changes against the period before show once it is loaded." in c.value for c in at.caption)

    runner.request()
    wait_for_history(supervisor)
    at.run()
    assert_clean(at)
    assert next(m for m in at.metric if m.label == "Cycles").delta
    assert not any("The changes against the period before" in c.value for c in at.caption)


# --- figures -----------------------------------------------------------------------------------------------


def test_cards_tables_and_csv_agree_on_the_demo(admin):
    at = page_app(admin)
    data = engine_cycles(admin)
    filters = page_filters(at)
    assert filters.end == datetime.now(UTC).date() and (filters.end - filters.start).days == 6  # last 7 days
    cards = {label: count(at, label) for label in ("Cycles", "Messages in", "Messages out", "Contacts", "Solved",
                                                   "Unanswered")}
    frt = frt_summary(data, filters)
    assert metric(at, "First response") == ui.duration(frt.median)
    assert metric(at, "Within FRT target") == f"{frt.within_target:.0%}"
    assert f"n {frt.count:,}" in next(c.value for c in at.caption if c.value.startswith("median"))
    assert "Bucketed by cycle start in UTC" in at.caption[1].value
    previous = headline(data, filters)["cycles"].previous
    assert next(m for m in at.metric if m.label == "Cycles").delta.startswith(f"{cards['Cycles'] - previous:+,}")

    # The per device / inbox / agent tables add up to the cards.
    open_tab(at, TABLES_TAB)
    for by in ("device", "inbox", "agent"):
        rows = table(at, f"analytics_{by}_table")
        assert rows["cycles"].sum() == cards["Cycles"], by
        assert rows["messages_in"].sum() == cards["Messages in"], by
        assert rows["messages_out"].sum() == cards["Messages out"], by
        assert rows["unanswered"].sum() == cards["Unanswered"], by
        assert rows["frt_count"].sum() == frt.count, by
    assert set(table(at, "analytics_inbox_table")["name"]) == {"Sales", "Support", "Billing", "VIP"}
    assert "Budi Santoso" in set(table(at, "analytics_agent_table")["name"])

    # So do the CSV exports, computed from the same cycles with the page's filters.
    rows = pd.read_csv(BytesIO(cycles_csv(data, filters)))  # a spreadsheet's defaults: the header comes first
    assert len(rows) == cards["Cycles"]
    assert rows["messages_in"].sum() == cards["Messages in"]
    assert rows["messages_out"].sum() == cards["Messages out"]
    assert rows["contact_id"].nunique() == cards["Contacts"]
    assert rows["solved_at"].notna().sum() == cards["Solved"]
    counted = rows[rows["counted_in_response"]]
    assert counted["state"].isin(["missed", "waiting"]).sum() == cards["Unanswered"]
    assert abs(counted["frt_s"].median() - frt.median) <= 0.5  # whole seconds in the file
    assert counted["frt_s"].notna().sum() == frt.count
    daily = pd.read_csv(BytesIO(series_csv(data, filters)))
    assert len(daily) == 7  # a row per day of the period
    assert daily["cycles"].sum() == cards["Cycles"] and daily["messages_in"].sum() == cards["Messages in"]
    assert cycles_csv(data, filters).startswith(b"cycle_id,conversation_id,")


def test_filters_business_hours_and_weekly_trends(admin):
    at = page_app(admin)
    data = engine_cycles(admin)
    wall = frt_summary(data, page_filters(at))

    at.multiselect(key="analytics_inboxes").select(2).run()
    assert_clean(at)
    filters = page_filters(at, inbox_ids={2})
    assert count(at, "Cycles") == headline(data, filters)["cycles"].value
    assert metric(at, "First response") == ui.duration(frt_summary(data, filters).median)

    at.multiselect(key="analytics_inboxes").unselect(2)
    at.toggle(key="analytics_groups").set_value(True).run()
    with_groups = page_filters(at, include_groups=True)
    assert count(at, "Unanswered") == headline(data, with_groups)["unanswered"].value
    assert count(at, "Cycles") == headline(data, with_groups)["cycles"].value  # volume always counts groups

    today = datetime.now(UTC).date()
    narrow = (today - timedelta(days=6), today)
    at.toggle(key="analytics_groups").set_value(False)
    at.date_input(key="analytics_dates").set_value(narrow).run()
    assert count(at, "Cycles") == headline(data, Filters(*narrow))["cycles"].value

    # Business hours: the same cycles, only the time inside open hours counts.
    hours = BusinessHours.parse({day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")})
    preferences.save_analytics_settings(admin.workspace_id, AnalyticsSettings(business_hours=hours))
    try:
        at = page_app(admin)
        at.toggle(key="analytics_business").set_value(True).run()
        assert_clean(at)
        assert "Durations: business hours." in at.caption[1].value
        business_data = engine_cycles(admin)
        business = frt_summary(business_data, page_filters(at), business=True)
        assert metric(at, "First response") == ui.duration(business.median)
        assert business.count == wall.count and business.median <= wall.median

        at.segmented_control(key="analytics_period").set_value("week").run()
        assert_clean(at)
        weeks = trends(business_data, page_filters(at), "week", business=True).frame
        week = weeks.loc[weeks["frt_count"].idxmax(), "week"].date().isoformat()
        at.session_state["analytics_frt_chart"] = {"selection": {"pick": [{"period": week}]}}
        at.run()
        assert_clean(at)
        assert at.text[0].value == f"First responses of the cycles started in the week of {week}"
        assert len(drill_rows(at)) == weeks["frt_count"].max()
    finally:
        preferences.save_analytics_settings(admin.workspace_id, None)


def drawn_charts(at: AppTest) -> dict[str, pd.DataFrame]:
    """Each chart on the page by its title, with the rows it draws (decoded from the Arrow data sent)."""
    charts = {}
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        assert "data" not in spec and not chart.proto.datasets  # the rows go as the chart's own data
        charts[spec["title"]] = pa.ipc.open_stream(chart.proto.data.data).read_pandas()
    return charts


def test_the_trend_charts_draw_the_filters_on_screen_and_follow_their_changes(admin):
    """Wiring (the trend figures themselves are checked against an independent computation elsewhere):
    each chart draws the trends of the filters on screen, and switching to weeks draws new charts, never
    one made for other inputs (a chart's drawing is cached by its inputs)."""
    at = page_app(admin)
    data = engine_cycles(admin)
    daily = trends(data, page_filters(at), "day").frame
    charts = drawn_charts(at)
    volume = charts["Cycles started per day"]
    assert sorted(set(volume["period"])) == list(ui.period_keys(daily["day"]))
    assert volume["cycles"].sum() == daily["inbound_cycles"].sum() + daily["outbound_cycles"].sum() > 0
    response = charts["Median first response per day (hover for mean and p90)"]
    assert response["answered"].tolist() == daily["frt_count"].tolist()

    at.segmented_control(key="analytics_period").set_value("week").run()
    assert_clean(at)
    weekly = trends(data, page_filters(at), "week").frame
    charts = drawn_charts(at)
    assert sorted(charts) == ["Cycles started per week", "Median first response per week (hover for mean and p90)"]
    assert sorted(set(charts["Cycles started per week"]["period"])) == list(ui.period_keys(weekly["week"]))
    response = charts["Median first response per week (hover for mean and p90)"]
    assert response["answered"].tolist() == weekly["frt_count"].tolist()


def test_a_chart_of_more_rows_than_altairs_inline_limit_draws():
    """Eight years of days, two bars each: over the 5,000 rows Altair allows inside a spec. The rows go
    beside the spec instead (and the spec is cached without them)."""
    days = pd.DataFrame({"day": pd.date_range("2018-01-01", periods=3_000, freq="D"),
                         "inbound_cycles": 1, "outbound_cycles": 2})
    spec, rows = ui_charts._drawing(ui.volume_chart, "volume", days, "day")
    assert "data" not in spec and "datasets" not in spec
    assert len(rows) == 6_000 and rows["cycles"].sum() == 9_000


# --- drill-down --------------------------------------------------------------------------------------------


def test_drill_down_from_cards_bars_heatmap_cells_and_table_rows(admin):
    at = page_app(admin)
    data = engine_cycles(admin)
    filters = page_filters(at)

    at.button(key="drill_card_frt").click().run()
    assert_clean(at)
    rows = drill_rows(at)
    assert len(rows) == frt_summary(data, filters).count and rows["frt"].notna().all()
    assert rows["conversation"].str.fullmatch(r"#\d+").all()
    assert at.text[0].value == "First response"

    at.button(key="drill_card_messages_in").click().run()
    assert drill_rows(at)["counted"].sum() == count(at, "Messages in")

    # A stacked bar of the volume chart: one day's customer-initiated cycles.
    series = trends(data, filters).frame
    busiest = series.loc[series["inbound_cycles"].idxmax()]
    day = busiest["day"].date().isoformat()
    at.session_state["analytics_volume_chart"] = {
        "selection": {"pick": [{"period": day, "initiator": "customer"}]}}
    at.run()
    assert_clean(at)
    rows = drill_rows(at)
    assert len(rows) == busiest["inbound_cycles"]
    assert (rows["start"].dt.date.astype(str) == day).all() and (rows["initiator"] == "customer").all()
    assert at.text[0].value == f"Customer-initiated cycles started on {day}"  # one drill-down at a time

    # A bar of the FRT distribution.
    open_tab(at, "First response")
    buckets = frt_distribution(data, filters).set_index("bucket")["cycles"]
    at.session_state["analytics_distribution_chart"] = {"selection": {"pick": [{"bucket": "1–5m"}]}}
    at.run()
    rows = drill_rows(at)
    assert len(rows) == buckets["1–5m"] and rows["frt"].str.fullmatch(r"[1-4]m \d\ds|5m 00s").all()
    at.session_state["analytics_distribution_chart"] = {"selection": {"pick": [{"bucket": "unanswered"}]}}
    at.run()
    assert len(drill_rows(at)) == buckets["unanswered"] == count(at, "Unanswered")

    # A heatmap cell: the cycles with inbound messages on that weekday and hour.
    open_tab(at, "Heatmap")
    cells = heatmap(data, filters)
    top = cells.loc[cells["inbound_messages"].idxmax()]
    at.session_state["analytics_heatmap_chart"] = {
        "selection": {"pick": [{"weekday": int(top["weekday"]), "hour": int(top["hour"])}]}}
    at.run()
    assert_clean(at)
    assert drill_rows(at)["counted"].sum() == top["inbound_messages"]
    assert at.text[0].value.startswith(f"Inbound messages on {ui.WEEKDAY_NAMES[int(top['weekday'])]}s, ")

    # A row of the per-inbox table.
    open_tab(at, TABLES_TAB)
    inboxes = table(at, "analytics_inbox_table")
    at.session_state["analytics_inbox_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    rows = drill_rows(at)
    assert len(rows) == inboxes["cycles"].iloc[1] and (rows["inbox"] == inboxes["name"].iloc[1]).all()

    at.button(key=f"analytics_drill_{admin.identity}_close_inbox").click().run()
    assert not with_columns(at, "conversation", "counted")


def test_human_replies_by_default_and_a_switch_that_counts_automated_ones(admin):
    at = page_app(admin)
    data = engine_cycles(admin)
    human = frt_summary(data, page_filters(at))
    automated = automated_summary(data, page_filters(at))
    assert metric(at, "First response") == ui.duration(human.median)
    assert metric(at, "First automated reply") == ui.duration(automated.median)
    assert any(c.value.startswith(f"{automated.count:,} cycles got one") for c in at.caption)
    assert any("Only replies written by a person count as responses" in c.value for c in at.caption)
    assert not next(m for m in at.metric if m.label == "Solved").delta  # latest solves only: no comparison

    at.toggle(key="analytics_automated").set_value(True).run()
    assert_clean(at)
    counted = frt_summary(data, page_filters(at, count_automated=True))
    assert counted.median < human.median  # the demo's away messages answer within seconds
    assert metric(at, "First response") == ui.duration(counted.median)
    assert any("Automated replies count as responses" in c.value for c in at.caption)


def test_a_drill_down_never_crosses_to_another_user(admin, analyst):
    at = page_app(admin)
    at.button(key="drill_card_frt").click().run()
    assert len(drill_rows(at)) > 0
    at.session_state["workspace"] = analyst  # another user signs in, in the same browser session
    at.run()
    assert_clean(at)
    assert not with_columns(at, "conversation", "counted")
    at.session_state["workspace"] = admin
    at.run()
    assert len(drill_rows(at)) > 0  # the admin's own drill-down is still the admin's


def test_automated_senders_never_appear_among_the_agents(admin):
    at = page_app(admin, AGENTS)
    rows = table(at, "agents_table")
    assert len(rows) > 0 and not rows["agent"].str.startswith("no agent").any()
    at.toggle(key="agents_automated").set_value(True).run()
    assert_clean(at)
    assert not table(at, "agents_table")["agent"].str.startswith("no agent").any()
    assert rows["frt_median"].str.fullmatch(r"\d+m \d\ds|\d+s|\d+h \d\dm|\d+d \d+h|—").all()  # one duration style


def test_charts_export_as_png(admin):
    data = engine_cycles(admin)
    image = ui.chart_png(ui.heatmap_chart(heatmap(data), data.timezone))
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 5_000


def test_selected_periods_read_from_text_or_epoch_milliseconds():
    assert ui.selected_day("2026-11-03") == "2026-11-03"
    assert ui.selected_day("2026-11-03T00:00:00.000Z") == "2026-11-03"
    assert ui.selected_day(1_793_750_400_000) == "2026-11-04"
    assert ui.selected_day(None) is None and ui.selected_day("soon") is None


# --- settings ----------------------------------------------------------------------------------------------


def save_button(at: AppTest):
    return next(b for b in at.button if b.label == "Save settings")


def test_settings_are_validated_then_saved_for_the_workspace(admin):
    at = page_app(admin)
    at.text_input(key="analytics_settings_timezone").input("Mars/Olympus")
    at.session_state["analytics_settings_hours"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"weekday": "Tue", "start": "25:00", "end": "17:00"},
                       {"weekday": "Wed", "start": "09:00", "end": "09:00"}]}
    at.text_area(key="analytics_settings_holidays").input("2026-13-01")
    save_button(at).click().run()
    assert_clean(at)
    shown = as_read(at.error[0].value)
    assert "The settings were not saved" in shown
    assert "'Mars/Olympus' is not a known timezone" in shown
    assert "row 1 (Tue): '25:00' is not a time of day; write times as HH:MM" in shown
    assert "row 2 (Wed): 09:00–09:00 is empty" in shown
    assert "Holidays: '2026-13-01' is not a date" in shown
    assert "analytics" not in preferences.load(admin.workspace_id)  # nothing saved

    try:
        at.text_input(key="analytics_settings_timezone").input("Asia/Jakarta")
        at.session_state["analytics_settings_hours"] = {
            "edited_rows": {}, "deleted_rows": [],
            "added_rows": [{"weekday": "Fri", "start": "22:00", "end": "06:00"},
                           {"weekday": "Mon", "start": "08:00", "end": "12:00"},
                           {"weekday": "Mon", "start": "13:00", "end": "17:00"}]}
        at.text_area(key="analytics_settings_holidays").input("2026-12-25")
        at.number_input(key="analytics_settings_frt").set_value(2.0)
        save_button(at).click().run()
        assert_clean(at)
        assert not at.error
        saved = preferences.analytics_settings(admin.workspace_id)
        assert saved.timezone == "Asia/Jakarta" and saved.targets.frt == 120
        assert saved.business_hours.weekly[4][0].overnight
        assert [i.to_pair() for i in saved.business_hours.weekly[0]] == [["08:00", "12:00"], ["13:00", "17:00"]]
        assert saved.business_hours.holidays == {date(2026, 12, 25)}
        assert "Times in **Asia/Jakarta** (set in the settings)" in at.caption[1].value
        assert "first response 2m 00s" in at.caption[1].value
        data = engine_cycles(admin)
        assert data.timezone == "Asia/Jakarta"
        assert metric(at, "Within FRT target") == f"{frt_summary(data, page_filters(at)).within_target:.0%}"
        assert table(at, "analytics_settings_hours").shape[0] == 3  # the form shows what was saved

        next(b for b in at.button if b.label == "Back to defaults").click().run()
        assert_clean(at)
        assert preferences.analytics_settings(admin.workspace_id) == AnalyticsSettings()
        assert "Times in **UTC**" in at.caption[1].value
    finally:
        preferences.save_analytics_settings(admin.workspace_id, None)


# --- inputs the service does not return -------------------------------------------------------------------


def test_missing_inputs_are_named_instead_of_numbers(admin, tmp_path, monkeypatch):
    """A service without sender_user_id and solved_at: the cache records what the list and threads carried."""
    source = Cache.for_workspace(admin)
    page_app(admin)  # the shared cache is synced
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "partial"))
    target = Cache.for_workspace(admin).path
    with sqlite3.connect(source.path) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    db = cache_store.connect(target, create=False)
    with cache_store.transaction(db):
        cache_store.write_available(db, {"inbox_id"})
    db.close()

    at = page_app(admin)
    assert metric(at, "Resolution") == "—" and metric(at, "Solved") == "—"
    captions = [c.value for c in at.caption]
    assert captions.count("Not available: the service does not return solved_at.") == 2
    assert metric(at, "First response") != "—"  # still computable: it needs no agent
    assert at.multiselect(key="analytics_agents").disabled
    open_tab(at, TABLES_TAB)
    assert "Not available: the service does not return sender_user_id." in [i.value for i in at.info]
    assert "resolution_median" not in table(at, "analytics_inbox_table")

    at = page_app(admin, AGENTS)
    assert at.info[0].value.startswith("Agent metrics are not available: the service does not return sender_user_id")


# --- scoping -----------------------------------------------------------------------------------------------


def test_the_manager_sees_every_inbox_and_the_analyst_only_its_own(admin, manager, analyst, api):
    listed = {c.id: c.inbox_id for c in api.conversations.list(status="all")}
    admin_cycles = count(page_app(admin), "Cycles")

    at = page_app(manager)
    conversations, _, _ = Cache.for_workspace(manager).frames()
    assert set(conversations["id"]) == set(listed)
    assert set(conversations["inbox_id"]) == {1, 2, 3, 4}
    assert count(at, "Cycles") == admin_cycles
    assert at.multiselect(key="analytics_inboxes").options == ["Sales", "Support", "Billing", "VIP"]
    open_tab(at, TABLES_TAB)
    assert set(table(at, "analytics_inbox_table")["name"]) == {"Sales", "Support", "Billing", "VIP"}
    # The Manager cannot read /users; the members of its inboxes still name the agents.
    assert "Budi Santoso" in set(table(at, "analytics_agent_table")["name"])

    at = page_app(analyst)
    conversations, _, _ = Cache.for_workspace(analyst).frames()
    support = {i for i, inbox in listed.items() if inbox == 2}
    assert set(conversations["id"]) == support
    assert at.multiselect(key="analytics_inboxes").options == ["Support"]
    assert 0 < count(at, "Cycles") < admin_cycles
    open_tab(at, TABLES_TAB)
    assert list(table(at, "analytics_inbox_table")["name"]) == ["Support"]
    assert set(table(at, "analytics_device_table")["name"]) == {"Support Center"}
    assert Cache.for_workspace(analyst).path != Cache.for_workspace(manager).path


# --- agents ------------------------------------------------------------------------------------------------


def test_agents_page_lists_activity_and_drills_down_per_agent(admin, manager):
    at = page_app(admin, AGENTS)
    data = engine_cycles(admin)
    start, end = at.date_input(key="agents_dates").value
    activity = agent_activity(data, Filters(start=start, end=end))
    rows = table(at, "agents_table")
    assert rows["first_replies"].sum() == activity["first_replies"].sum() == frt_summary(
        data, Filters(start=start, end=end)).count
    budi = rows[rows["agent"] == "Budi Santoso"].iloc[0]
    assert budi["status"] == "online"
    assert any(c.value.endswith("Agent names and statuses from the users list.") for c in at.caption)

    at.session_state["agents_frt_chart"] = {"selection": {"pick": [{"agent_key": budi["agent_key"]}]}}
    at.run()
    assert_clean(at)
    listed = drill_rows(at)
    assert len(listed) == budi["first_replies"] and (listed["agent"] == "Budi Santoso").all()
    at.segmented_control(key="agents_drill_metric").set_value("messages_out").run()
    assert_clean(at)
    assert drill_rows(at)["counted"].sum() == budi["outgoing_messages"]

    at.session_state["agents_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    assert at.text[0].value == rows["agent"].iloc[0]
    assert len(drill_rows(at)) > 0

    at = page_app(manager, AGENTS)
    assert any("Agent names and statuses from the members of your inboxes" in c.value for c in at.caption)
    assert "Budi Santoso" in set(table(at, "agents_table")["agent"])


# --- live board --------------------------------------------------------------------------------------------


def test_live_board_shows_who_waits_and_picks_up_new_messages(admin, api):
    at = page_app(admin, LIVE)
    data = engine_cycles(admin)
    waiting = waiting_now(data, pd.Timestamp.now(tz="UTC"))
    figures = backlog(waiting)
    assert figures.active > 0 and figures.stale > 0  # the demo has abandoned chats too
    assert count(at, "Waiting now") == figures.active
    assert count(at, "Over the FRT target") == figures.over_target == int(waiting["breach"].sum())
    assert count(at, "Stale") == figures.stale
    # The same split counted again from the API by the plain-Python definitions (not the dashboard's engine);
    # a wait may cross into stale between the two looks, so look again until they agree or time is up.
    conversations = api.conversations.list(status="all")
    raw = IndependentWorkspace(conversations, api.conversations.fetch_threads([c.id for c in conversations]))
    deadline = time.monotonic() + 60
    while True:
        waits = raw.waiting(datetime.now(UTC))
        stale = sum(seconds > 24 * 3600 for seconds in waits.values())
        shown = (count(at, "Waiting now"), count(at, "Stale"))
        if shown == (len(waits) - stale, stale):
            break
        assert time.monotonic() < deadline, (shown, (len(waits) - stale, stale))
        at.run()
    assert metric(at, "Longest wait") == ui.duration(figures.longest_s)
    assert figures.longest_s <= 24 * 3600  # the SLA figures cover active waits only
    conversations = data.conversations
    open_one_to_one = (conversations["status"] == "open") & ~conversations["is_group"]
    assert count(at, "Open conversations") == int(open_one_to_one.sum())
    assert count(at, "Agents online") == 8  # the demo's online users
    links = at.get("page_link")
    assert len(links) == 3
    first = int(waiting["conversation_id"].iloc[0])  # the longest active wait, linked to the Conversations page
    assert (links[0].proto.page, links[0].proto.query_string) == ("conversations", f"conversation={first}")
    (inboxes,) = with_columns(at, "inbox", "open", "breaches")
    assert inboxes["waiting"].sum() == figures.active and inboxes["stale"].sum() == figures.stale

    # A new customer message (from a contact whose name looks like HTML and Markdown) waits at once:
    # the board's refresh fetches it, and the name only ever shows as table data.
    api.sandbox.inbound(device_id=1, from_="+628770000001", name=XSS_NAME, body="Halo, ada yang bisa bantu?")
    at.run()
    assert_clean(at)
    assert count(at, "Waiting now") == figures.active + 1
    shown, stale = with_columns(at, "contact", "waiting")  # the active waits, then the stale ones
    assert len(stale) == figures.stale
    assert XSS_NAME in set(shown["contact"])
    assert not any("onerror" in text or "**bold**" in text for text in markdown_texts(at))

