"""The Analytics page in a real Chromium on the demo workspace: cards in the browser's timezone, a
drill-down from a card and from a heatmap cell, and the per-cycle CSV agreeing with the cards."""

from __future__ import annotations

import re
import time

import pandas as pd
import pytest
from playwright.sync_api import Locator, Page, expect

from ceox_api import Client
from tests.browser.conftest import assert_no_exception
from tests.browser.test_conversations_inbox import sign_in

FIRST_OPEN_MS = 180_000  # the first open syncs every thread of the demo workspace


@pytest.fixture
def jakarta_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1200}, timezone_id="Asia/Jakarta",
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def settled(page: Page, timeout: float = 30_000) -> None:
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def card(page: Page, label: str) -> Locator:
    """The bordered container of one headline card (the innermost block holding its metric)."""
    metric = page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(
        label, exact=True))
    return page.get_by_test_id("stVerticalBlock").filter(has=metric).last


def number(text: str) -> int:
    return int(text.replace(",", ""))


# A bound for a stuck page, not the speed target: how fast the cards come (issue 17: within 3 s on the
# demo) depends on the machine, so it is measured by `python -m bench analytics_page` and recorded here as
# `final_cards_seconds`. What this test holds on any machine is the order: the period's cards are final
# while the history is still loading.
FINAL_CARDS_MS = 60_000
COMPLETE = re.compile(r"^Figures for the last 7 days are complete; history (\d+)% loaded")


def test_the_first_analytics_visit_shows_final_cards_for_the_default_period_before_the_history(
        page: Page, dashboard_url: str, demo_api, record_property):
    # A credential no other test opens Analytics with: its cache starts empty.
    sign_in(page, dashboard_url, demo_api[0], "admin@demo.ceox.local")
    settled(page, 60_000)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Analytics", exact=True).click()
    opened = time.monotonic()
    complete = page.get_by_text(COMPLETE)
    expect(complete).to_be_visible(timeout=FINAL_CARDS_MS)
    final_after_s = time.monotonic() - opened
    record_property("final_cards_seconds", round(final_after_s, 2))
    # The cards came first, the history after: it was still loading when they were final.
    assert int(COMPLETE.search(complete.inner_text())[1]) < 100, (final_after_s, complete.inner_text())
    cycles = page.get_by_test_id("stMetric").filter(has_text="Cycles").get_by_test_id("stMetricValue")
    expect(cycles).to_have_text(re.compile(r"^[1-9][\d,]*$"), timeout=1_000)
    # Once the rest is in, the page says so by itself and the figures of the period have not moved.
    shown = cycles.inner_text()
    expect(page.get_by_text("Figures for the last 7 days are complete; history 100% loaded.")).to_be_visible(
        timeout=FIRST_OPEN_MS)
    settled(page)
    assert cycles.inner_text() == shown
    assert_no_exception(page)


def test_analytics_cards_drill_down_and_csv(jakarta_page: Page, dashboard_url: str, tmp_path):
    page = jakarta_page
    page.goto(f"{dashboard_url}/analytics")
    expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible(timeout=60_000)
    cycles = page.get_by_test_id("stMetric").filter(has_text="Cycles").get_by_test_id("stMetricValue")
    expect(cycles).to_have_text(re.compile(r"^[\d,]+$"), timeout=FIRST_OPEN_MS)
    settled(page, FIRST_OPEN_MS)
    expect(page.get_by_text("Times in Asia/Jakarta (your browser's)")).to_be_visible()
    expect(page.get_by_text("Bucketed by cycle start in Asia/Jakarta", exact=False)).to_be_visible()
    card_cycles = number(cycles.inner_text())
    messages_in = number(page.get_by_test_id("stMetric").filter(has_text="Messages in")
                         .get_by_test_id("stMetricValue").inner_text())

    # A card's drill-down lists the cycles behind its number.
    frt_card = card(page, "First response")
    answered = number(re.search(r"· n ([\d,]+) ·", frt_card.inner_text())[1])
    frt_card.get_by_role("button", name="Conversations").click()
    expect(page.get_by_text("Conversations behind the number")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"^{answered:,} cycles in [\d,]+ conversations"))).to_be_visible()
    drill = (page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text("Conversations behind the number"))
             .filter(has=page.get_by_test_id("stDataFrame")).last)
    expect(drill.get_by_test_id("stDataFrame")).to_be_visible()
    expect(drill).to_contain_text("First response")
    settled(page)

    # A heatmap cell lists the cycles with inbound messages on that weekday and hour.
    page.get_by_role("tab", name="Heatmap").click()
    chart = page.get_by_test_id("stVegaLiteChart").filter(visible=True).first
    expect(chart).to_be_visible()
    settled(page)
    surface = chart.locator("svg.marks, canvas").first
    expect(surface).to_be_visible()
    box = surface.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)  # a weekday around midday
    expect(page.get_by_text(re.compile(r"^Inbound messages on \w+days, \d\d:00–\d\d:59 \(Asia/Jakarta\)$"))
           ).to_be_visible()
    expect(page.get_by_text(re.compile(r"^[\d,]+ cycles? in [\d,]+ conversations.*inbound messages in all"))
           ).to_be_visible()
    settled(page)

    # The per-cycle CSV has one row per cycle of the card, and the same messages.
    page.get_by_role("tab", name="Export").click()
    button = page.get_by_role("button", name="Per-cycle rows (CSV)")
    expect(button).to_be_visible()
    with page.expect_download(timeout=60_000) as download:
        button.click()
    # The rules travel in the file name (and a read-me file); the header is the first row.
    assert download.value.suggested_filename == "analytics_Asia-Jakarta_human-replies_wall-clock_cycles.csv"
    path = tmp_path / "cycles.csv"
    download.value.save_as(path)
    assert path.read_text().startswith("cycle_id,conversation_id,")
    rows = pd.read_csv(path)
    assert len(rows) == card_cycles
    assert rows["messages_in"].sum() == messages_in
    assert_no_exception(page)


def test_a_drill_down_row_opens_its_conversation_in_the_same_tab_and_session(jakarta_page: Page, dashboard_url: str,
                                                                            demo_api):
    page = jakarta_page
    # Signed in as a user: a new tab or session would open the demo with its API key instead.
    email = "supervisor@demo.ceox.local"
    sign_in(page, dashboard_url, demo_api[0], email)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Analytics", exact=True).click()
    cycles = page.get_by_test_id("stMetric").filter(has_text="Cycles").get_by_test_id("stMetricValue")
    expect(cycles).to_have_text(re.compile(r"^[\d,]+$"), timeout=FIRST_OPEN_MS)
    settled(page, FIRST_OPEN_MS)
    card(page, "First response").get_by_role("button", name="Conversations").click()
    drill = (page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text("Conversations behind the number"))
             .filter(has=page.get_by_test_id("stDataFrame")).last)
    grid = drill.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    settled(page)
    # The first row's conversation number, from the grid's accessibility table; then select that row.
    first_row = grid.locator("tbody tr").first.locator("td")
    expect(first_row.first).to_be_attached()
    numbers = [t for t in first_row.all_inner_texts() if re.fullmatch(r"#\d+", t.strip())]
    assert numbers, first_row.all_inner_texts()
    conversation_id = int(numbers[0].strip().lstrip("#"))
    grid.get_by_test_id("stDataFrameResizable").click(position={"x": 16, "y": 35 + 17})
    link = page.get_by_role("link", name=re.compile(r"Open conversation #\d+$"))
    expect(link).to_have_text(re.compile(rf"#{conversation_id}$"), timeout=30_000)
    link.click()
    expect(page.get_by_role("heading", name=f"Conversation #{conversation_id}")).to_be_visible(timeout=60_000)
    assert len(page.context.pages) == 1  # the same tab
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"<{email}>")  # the same signed-in session
    assert_no_exception(page)


LEFT = re.compile(r"([\d,]+) conversations of the period left to fetch")


def left_to_fetch(page: Page) -> int | None:
    """The first sync's "N conversations of the period left to fetch", or None once the period is final."""
    progress = page.get_by_text(LEFT)
    complete = page.get_by_text(re.compile(r"^Figures for .* are complete"))
    expect(progress.or_(complete).first).to_be_visible(timeout=60_000)
    if complete.count():
        return None
    return int(LEFT.search(progress.first.inner_text())[1].replace(",", ""))


def test_leaving_analytics_mid_first_sync_and_coming_back_continues_where_it_was(page: Page, dashboard_url: str,
                                                                                  demo_api):
    api_url, api_key = demo_api
    email = "manager@demo.ceox.local"  # a credential of its own: its cache starts empty
    with Client(api_url, api_key=api_key, use_env=False) as api:
        api.sandbox.set_faults(latency_ms=300)  # a slow service, so the first sync is still running when we leave
    try:
        sign_in(page, dashboard_url, api_url, email)
        nav = page.get_by_test_id("stSidebarNav")
        nav.get_by_role("link", name="Analytics", exact=True).click()
        bar = page.get_by_role("progressbar")
        # Leave once the first batch of the period is stored (the bar has moved) and before the end.
        expect(bar).to_have_attribute("aria-valuenow", re.compile(r"^[1-9]\d*"), timeout=90_000)
        at_leaving, shown_at_leaving = left_to_fetch(page), int(bar.get_attribute("aria-valuenow"))
        assert at_leaving is not None and at_leaving > 0

        nav.get_by_role("link", name="Devices", exact=True).click()
        expect(page.get_by_role("heading", name="Devices", level=1)).to_be_visible(timeout=60_000)
        nav.get_by_role("link", name="Analytics", exact=True).click()
        expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible(timeout=60_000)
        back = left_to_fetch(page)
        # The sync went on while the page was away (or ended), and the bar goes on from where it was.
        assert back is None or back <= at_leaving, (at_leaving, back)
        if back is not None:
            assert int(bar.get_attribute("aria-valuenow")) >= shown_at_leaving
        expect(page.get_by_test_id("stSidebar")).to_contain_text(f"<{email}>")
    finally:
        with Client(api_url, api_key=api_key, use_env=False) as api:
            api.sandbox.clear_faults()
    assert_no_exception(page)
