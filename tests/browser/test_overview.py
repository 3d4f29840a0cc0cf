"""`streamlit run app.py` in a real Chromium: the demo workspace opens with no configuration, and the
Overview's numbers are the workspace's own, counted again here through the API."""

from __future__ import annotations

from playwright.sync_api import expect

from ceox_api import Client
from tests.browser.conftest import assert_no_exception


def metric(page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


def test_demo_workspace_opens_with_its_counts(page, dashboard_url, demo_api):
    page.goto(dashboard_url)
    expect(page.get_by_text("DEMO WORKSPACE", exact=True)).to_be_visible(timeout=60_000)
    api_url, api_key = demo_api
    with Client(api_url, api_key=api_key, use_env=False) as client:
        conversations = client.conversations.list(status="all")
        devices = client.devices.list()
        threads = client.conversations.fetch_threads([c.id for c in conversations])
    expect(metric(page, "Conversations")).to_have_text(f"{len(conversations):,}", timeout=60_000)
    expect(metric(page, "Open")).to_have_text(f"{sum(c.status == 'open' for c in conversations):,}")
    expect(metric(page, "Devices")).to_have_text(f"{len(devices):,}")
    page.get_by_role("button", name="Count messages").click()
    messages = sum(len(thread) for thread in threads.values())
    expect(metric(page, "Messages")).to_have_text(f"{messages:,}", timeout=90_000)
    expect(page.get_by_text("devices connected")).to_be_visible()
    assert_no_exception(page)
