"""In Chromium: a fake CEOX service (on loopback, in this test) whose message's attachment points at a second
local server. Connected through the Connect page as a person would, loading the attachment never reaches the
second server, and the page says why."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.security.fake_ceox import API_KEY, Attachment, fake_ceox, recorder


def test_an_attachment_on_another_server_is_never_fetched(page: Page, dashboard_url: str):
    with recorder() as internal, fake_ceox(Attachment(media_url=internal.url + "/latest/meta-data/iam",
                                                      media_type="document",
                                                      media_mime="application/pdf")) as service:
        page.goto(f"{dashboard_url}/connect")
        expect(page.get_by_role("heading", name="Connect")).to_be_visible(timeout=60_000)
        page.get_by_role("tab", name="API key").click()
        form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Check and connect"))
        form.get_by_role("textbox", name="Base URL", exact=True).fill(service.url + "/api/v1")
        form.get_by_role("textbox", name="API key", exact=True).fill(API_KEY)
        form.get_by_role("button", name="Check and connect").click()
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_contain_text("127.0.0.1", timeout=30_000)

        sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Conversations").click()
        expect(page.get_by_role("heading", name="Conversation #1")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Load attachment").click()
        expect(page.get_by_text("stored at another address than the workspace's")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("button", name="Download", exact=True)).to_have_count(0)
        assert "/api/v1/me" in service.hits  # the fake service itself was used
        assert internal.hits == []
