"""`streamlit run app.py` in a real Chromium: the demo workspace opens with no configuration."""

from __future__ import annotations

from playwright.sync_api import expect


def test_demo_workspace_opens_with_its_counts(page, dashboard_url):
    page.goto(dashboard_url)
    expect(page.get_by_text("DEMO WORKSPACE", exact=True)).to_be_visible(timeout=60_000)
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Conversations")
    expect(metric).to_contain_text("2,", timeout=60_000)
    page.get_by_role("button", name="Count messages").click()
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Messages")).to_contain_text(",", timeout=90_000)
    expect(page.get_by_text("devices connected")).to_be_visible()
    assert "Traceback" not in page.content()
