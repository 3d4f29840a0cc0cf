"""`streamlit run app.py` in Chromium: a link opens exactly its conversation; reply, solve and reopen keep the
list, the picker and the thread on the same conversation (checked against the API); the Live board's
"Open conversation" stays in the same tab and signed-in session; the page fits list, thread and reply box
on a 1440×900 screen (screenshot in test-artifacts/)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from ceox_api import Client
from ceox_api.models import Conversation
from tests.browser.conftest import ROOT, assert_no_exception, wait_for_script_run

ARTIFACTS = ROOT / "test-artifacts"
DEMO_PASSWORD = "ceox-demo-2026"


@pytest.fixture
def api(demo_api):
    api_url, api_key = demo_api
    with Client(api_url, api_key=api_key, use_env=False) as client:
        yield client


@pytest.fixture
def wide(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def thread_heading(page: Page):
    return page.get_by_role("heading", name=re.compile(r"^Conversation #\d+$"))


def picker(page: Page):
    return page.get_by_role("combobox", name="Open conversation")


def selected_row(page: Page):
    """The list's selected row as the grid tells assistive technology (the cells are drawn on a canvas)."""
    return page.get_by_test_id("stDataFrame").first.locator('[role="row"][aria-selected="true"]')


def assert_one_conversation(page: Page, conversation: Conversation) -> None:
    """Thread, picker, list selection and address bar all name `conversation`."""
    expect(thread_heading(page)).to_have_text(f"Conversation #{conversation.id}", timeout=30_000)
    expect(picker(page)).to_have_value(re.compile(rf"^#{conversation.id} · "), timeout=30_000)
    expect(page).to_have_url(re.compile(rf"[?&]conversation={conversation.id}$"))
    expect(selected_row(page)).to_have_count(1)
    expect(selected_row(page)).to_contain_text(conversation.contact_name or conversation.contact_phone)
    wait_for_script_run(page)


def thread_text(page: Page) -> str:
    return page.locator(".st-key-thread_box").inner_text()


def test_a_link_opens_that_conversation_and_actions_keep_it_open(wide: Page, dashboard_url, api):
    page = wide
    everything = api.conversations.list(status="all")
    solved = next(c for c in everything if c.status == "solved")
    # An open conversation on a connected device, so that a reply can go out.
    connected = {s.device_id for s in api.wa.status() if s.status == "connected"}
    target = next(c for c in everything if c.status == "open" and not c.is_group and c.device_id in connected)

    for conversation in (solved, target):
        page.goto(f"{dashboard_url}/conversations?conversation={conversation.id}")
        expect(thread_heading(page)).to_have_text(f"Conversation #{conversation.id}", timeout=60_000)
        expect(page.get_by_text(f"{conversation.contact_phone}", exact=False).first).to_be_visible()
        assert_one_conversation(page, conversation)
        assert_no_exception(page)

    missing = max(c.id for c in everything) + 1000
    page.goto(f"{dashboard_url}/conversations?conversation={missing}")
    expect(page.get_by_text(f"Conversation #{missing} is not one you can see")).to_be_visible(timeout=60_000)
    expect(thread_heading(page)).to_have_count(0)
    assert_no_exception(page)

    # Reply, then solve, then reopen: after each step the same conversation, in its new state.
    page.goto(f"{dashboard_url}/conversations?conversation={target.id}")
    assert_one_conversation(page, target)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "conversations-1440x900.png"))
    # List, thread and reply box on one 1440×900 screen, without scrolling.
    for part in (page.get_by_test_id("stDataFrame").first, page.locator(".st-key-thread_box"),
                 page.get_by_role("button", name="Send reply")):
        box = part.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900, box

    reply = f"Baik kak, kami cek dulu ya ({target.id})"
    page.get_by_role("textbox", name="Reply").fill(reply)
    page.get_by_role("button", name="Send reply").click()
    wait_for_script_run(page)
    expect(page.locator(".st-key-thread_box").get_by_text(reply)).to_be_visible(timeout=30_000)
    assert_one_conversation(page, target)
    assert "From this dashboard" in thread_text(page)
    assert api.conversations.messages(target.id)[-1].body == reply

    page.get_by_role("button", name="Solve").click()
    wait_for_script_run(page)
    expect(page.get_by_role("button", name="Reopen")).to_be_visible(timeout=30_000)
    assert_one_conversation(page, target)
    assert next(c for c in api.conversations.list(status="all") if c.id == target.id).status == "solved"
    expect(picker(page)).to_have_value(re.compile(r" · solved$"))

    page.get_by_role("button", name="Reopen").click()
    expect(page.get_by_role("button", name="Solve")).to_be_visible(timeout=30_000)
    assert_one_conversation(page, target)
    assert next(c for c in api.conversations.list(status="all") if c.id == target.id).status == "open"
    assert_no_exception(page)


def sign_in(page: Page, dashboard_url: str, api_url: str, email: str) -> None:
    page.goto(f"{dashboard_url}/connect")
    page.get_by_role("tab", name="Sign in as a user").click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Sign in"))
    form.get_by_role("textbox", name="Base URL", exact=True).fill(api_url)
    form.get_by_role("textbox", name="Email", exact=True).fill(email)
    form.get_by_role("textbox", name="Password", exact=True).fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"<{email}>", timeout=30_000)


def test_the_live_boards_link_opens_the_conversation_in_the_same_session(page: Page, dashboard_url, demo_api):
    email = "supervisor@demo.ceox.local"
    sign_in(page, dashboard_url, demo_api[0], email)
    page.get_by_test_id("stSidebarNav").get_by_text("Live board", exact=True).click()
    link = page.get_by_role("link", name=re.compile(r"^.*Open conversation #\d+$")).first
    expect(link).to_be_visible(timeout=180_000)  # after the first sync of the supervisor's cache
    conversation_id = int(re.search(r"#(\d+)$", link.inner_text().strip()).group(1))
    link.click()
    with Client(demo_api[0], api_key=demo_api[1], use_env=False) as api:
        assert_one_conversation(page, next(c for c in api.conversations.list(status="all") if c.id == conversation_id))
    assert len(page.context.pages) == 1  # the same tab
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"<{email}>")  # the same signed-in session
    assert_no_exception(page)
