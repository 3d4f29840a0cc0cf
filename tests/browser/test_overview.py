"""`streamlit run app.py` in a real Chromium: the demo workspace opens with no configuration on the Overview,
whose figures are the workspace's own, counted again here through the API (waits by the plain-Python
definitions of tests/analytics/independent.py, not by the dashboard's engine)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from playwright.sync_api import expect

from ceox_api import Client
from tests.analytics.independent import Workspace
from tests.browser.conftest import assert_no_exception


def metric(page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


def test_demo_workspace_opens_with_its_counts(page, dashboard_url, demo_api):
    page.goto(dashboard_url)
    expect(page.get_by_text("DEMO WORKSPACE", exact=True)).to_be_visible(timeout=60_000)
    api_url, api_key = demo_api
    with Client(api_url, api_key=api_key, use_env=False) as client:
        conversations = client.conversations.list(status="all")
        statuses = client.wa.status()
        deliveries = client.sandbox.deliveries()
        threads = client.conversations.fetch_threads([c.id for c in conversations])
    expect(metric(page, "Open conversations")).to_have_text(
        f"{sum(c.status == 'open' for c in conversations):,}", timeout=60_000)
    expect(metric(page, "Devices disconnected")).to_have_text(f"{sum(s.status != 'connected' for s in statuses):,}")
    # The seeded webhooks have only ever been refused: failing from the first look, not "unknown".
    never_delivered = {d.webhook_id for d in deliveries} - {d.webhook_id for d in deliveries if d.status_code == 200}
    assert len(never_delivered) == 2
    expect(metric(page, "Webhooks failing")).to_have_text(f"{len(never_delivered):,}")

    # Waiting now, from the background sync's cache: shown without a click once the first sync is in. Waits
    # cross into stale as time passes, so the expected split is computed again at each look.
    raw = Workspace(conversations, threads)
    deadline = time.monotonic() + 180
    while True:
        shown = (metric(page, "Waiting now").all_inner_texts(), metric(page, "Stale").all_inner_texts())
        waits = raw.waiting(datetime.now(UTC))
        stale = sum(seconds > 24 * 3600 for seconds in waits.values())
        expected = ([f"{len(waits) - stale:,}"], [f"{stale:,}"])
        if shown == expected:
            break
        assert time.monotonic() < deadline, (shown, expected)
        page.wait_for_timeout(1000)
    assert len(waits) - stale > 0 and stale > 0
    expect(page.get_by_role("link", name="Live board: every wait, by inbox")).to_be_visible()
    assert_no_exception(page)
