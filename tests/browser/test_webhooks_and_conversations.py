"""`streamlit run app.py` in Chromium: the built-in receiver registered in one click and fed by the sandbox,
the receiver over real HTTP while no page is open, replying and solving through the UI, and a contact name
that looks like HTML and Markdown shown literally everywhere."""

from __future__ import annotations

import random
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import Page, expect

from ceox_api import Client
from tests.browser.conftest import assert_no_exception

XSS_NAME = "<img src=x onerror=alert(1)> **bold** [link](http://x)"
STORED = re.compile(r"([\d,]+) events? stored")
CATCHING_UP = "New messages are being fetched; the figures update when they are in."


def unique_phone() -> str:
    return "+62899" + "".join(random.choices("0123456789", k=8))


@pytest.fixture
def api(demo_api):
    api_url, api_key = demo_api
    with Client(api_url, api_key=api_key, use_env=False) as client:
        yield client


@pytest.fixture
def watched(page: Page) -> Page:
    """The page, failing the test if any script dialog (an injected alert) opens."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    assert dialogs == []


def open_page(page: Page, dashboard_url: str, path: str, heading: str) -> None:
    page.goto(f"{dashboard_url}/{path}")
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=60_000)


def plain_text(page: Page, text: str):
    """Elements written with st.text that contain `text`."""
    return page.locator('[data-testid="stText"]').filter(has_text=text)


def assert_no_markup(page: Page) -> None:
    """Nothing on the page was made into HTML or a link from the look-alike name."""
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('a[href="http://x"]').count() == 0
    assert_no_exception(page)


def assert_literal(page: Page, text: str, where: str = '[data-testid="stText"]') -> None:
    """`text` shows as itself in an element matching `where` (plain text by default), and no markup was made."""
    found = expect(page.locator(where).filter(has_text=text).first)
    # A table's cells are drawn on a canvas; their text is in an accessible grid that is not "visible".
    found.to_be_attached() if "gridcell" in where else found.to_be_visible()
    assert_no_markup(page)


def register_receiver(page: Page, dashboard_url: str) -> str:
    """The receiver's URL, registered in one click unless it is already."""
    open_page(page, dashboard_url, "webhooks", "Webhooks & API keys")
    registered = page.get_by_text(re.compile(r"Registered as webhook #\d+"))
    button = page.get_by_role("button", name="Use this dashboard as the receiver")
    expect(registered.or_(button)).to_be_visible()
    if button.is_visible():
        button.click()
    expect(registered).to_be_visible(timeout=15_000)
    url = page.locator('[data-testid="stCode"]').filter(has_text="/hooks/ceox/").first.inner_text().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/hooks/ceox/[\w-]+", url), url
    return url


def stored_count(page: Page) -> int:
    caption = page.get_by_text(STORED)
    expect(caption).to_be_visible()
    return int(STORED.search(caption.inner_text()).group(1).replace(",", ""))


def test_one_click_registers_the_receiver_and_an_inbound_message_appears_within_5_s(watched, dashboard_url, api):
    url = register_receiver(watched, dashboard_url)
    assert url in [hook.url for hook in api.webhooks.list()]
    body = f"Inbound while watching {random.randrange(10**9)}"
    api.sandbox.inbound(device_id=1, from_=unique_phone(), name=XSS_NAME, body=body)
    expect(plain_text(watched, body)).to_be_visible(timeout=5_000)
    assert_literal(watched, XSS_NAME)
    # The sandbox logged the delivery to this dashboard as a success.
    deliveries = [d for d in api.sandbox.deliveries() if d.url == url]
    assert deliveries and deliveries[-1].status_code == 200


def test_events_received_while_no_page_is_open_are_stored_and_shown_later(browser, watched, dashboard_url, api):
    url = register_receiver(watched, dashboard_url)
    before = stored_count(watched)
    watched.context.close()

    with httpx.Client(timeout=30) as http:
        assert http.post(url.rsplit("/", 1)[0] + "/wrong-secret", json={"event": "x"}).status_code == 404
        assert http.post(url, content=b"{oops").status_code == 400
        assert http.post(url, content=b"x" * (1024 * 1024 + 1)).status_code == 413
        marker = random.randrange(10**9)

        def deliver(n: int) -> int:
            payload = {"event": "message.received", "conversation_id": 1, "from": "+6281234567890", "name": "Budi",
                       "wa_message_id": f"BURST{marker}-{n}", "body": f"burst {n}", "media_type": "",
                       "media_url": "", "is_group": False, "timestamp": "2026-06-21T08:15:00Z"}
            return http.post(url, json=payload).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            assert list(pool.map(deliver, range(200))) == [200] * 200
    body = f"Inbound while nobody watched {marker}"
    api.sandbox.inbound(device_id=2, from_=unique_phone(), name="Sari", body=body)

    later = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        open_page(later, dashboard_url, "webhooks", "Webhooks & API keys")
        expect(plain_text(later, body)).to_be_visible(timeout=10_000)
        assert stored_count(later) == min(before + 201, 1000)
    finally:
        later.context.close()


def test_reply_and_solve_through_the_ui_with_the_contact_name_shown_literally(watched, dashboard_url, api):
    phone = unique_phone()
    inbound = api.sandbox.inbound(device_id=1, from_=phone, name=XSS_NAME, body="Halo, pesanan saya di mana?")
    conversation_id = inbound.conversation_id

    open_page(watched, dashboard_url, "conversations", "Conversations")
    search = watched.get_by_role("textbox", name="Search")
    search.fill(phone)
    search.press("Enter")
    expect(watched.get_by_role("heading", name=f"Conversation #{conversation_id}")).to_be_visible(timeout=15_000)
    assert_literal(watched, XSS_NAME)
    expect(watched.get_by_test_id("stChatMessageContent").get_by_text("Halo, pesanan saya di mana?")).to_be_visible()
    assert_literal(watched, XSS_NAME, '[role="gridcell"]')

    reply = f"Sedang dikirim kak {random.randrange(10**6)}"
    watched.get_by_role("textbox", name="Reply").fill(reply)
    watched.get_by_role("button", name="Send reply").click()
    expect(watched.get_by_test_id("stChatMessageContent").get_by_text(reply)).to_be_visible(timeout=15_000)
    thread = api.conversations.messages(conversation_id)
    assert thread[-1].body == reply and thread[-1].from_me

    watched.get_by_role("button", name="Solve").click()
    expect(watched.get_by_text(f"Conversation #{conversation_id} solved.")).to_be_visible(timeout=15_000)
    solved = next(c for c in api.conversations.list(status="all") if c.id == conversation_id)
    assert solved.status == "solved" and solved.solved_at is not None
    # A solved conversation leaves the Open list but stays open, kept first and saying why; it is found
    # under Solved, ready to reopen.
    expect(watched.get_by_text(f"Conversation #{conversation_id} (solved) is kept first while it is open: "
                               "it is not in this list.")).to_be_visible(timeout=15_000)
    watched.get_by_text("Solved", exact=True).click()
    expect(watched.get_by_role("heading", name=f"Conversation #{conversation_id}")).to_be_visible(timeout=15_000)
    watched.get_by_role("button", name="Reopen").click()
    expect(watched.get_by_text(f"Conversation #{conversation_id} reopened.")).to_be_visible(timeout=15_000)
    assert next(c for c in api.conversations.list() if c.id == conversation_id).status == "open"

    open_page(watched, dashboard_url, "contacts", "Contacts")
    contacts_search = watched.get_by_role("textbox", name="Search")
    contacts_search.fill(phone)
    contacts_search.press("Enter")
    assert_literal(watched, XSS_NAME, '[role="gridcell"]')

    open_page(watched, dashboard_url, "send", "Send a message")
    watched.get_by_text("An existing contact").click()
    find = watched.get_by_role("textbox", name="Find a contact")
    find.fill(phone)
    find.press("Enter")
    watched.get_by_label("Contact", exact=True).click()
    watched.get_by_role("option", name=f"{XSS_NAME} · {phone}").click()
    expect(watched.get_by_role("combobox", name="Contact", exact=True)).to_have_value(f"{XSS_NAME} · {phone}")
    assert_no_markup(watched)
    text = f"Dari halaman kirim {random.randrange(10**6)}"
    watched.get_by_role("textbox", name="Message (the caption when a file is attached)").fill(text)
    watched.get_by_role("button", name="Send", exact=True).click()
    expect(watched.get_by_text(re.compile(r"Sent: message #\d+ in conversation #\d+"))).to_be_visible(timeout=15_000)
    assert api.conversations.messages(conversation_id)[-1].body == text


def messages_in_card(page: Page):
    return (page.get_by_test_id("stMetric").filter(has=page.get_by_test_id("stMetricLabel").get_by_text(
        "Messages in", exact=True)).get_by_test_id("stMetricValue"))


def settled_messages_in(page: Page) -> int:
    """The "Messages in" figure once the page has taken in every change the dashboard knows of: nothing
    being fetched, the page idle, and the same figure on two looks a status cycle apart (a refresh that
    has just ended reruns the page once more)."""
    value = messages_in_card(page)
    expect(value).to_have_text(re.compile(r"^[\d,]+$"), timeout=180_000)  # after the first sync, if any
    deadline, last = time.monotonic() + 90, None
    while time.monotonic() < deadline:
        expect(page.get_by_text(CATCHING_UP)).to_have_count(0, timeout=60_000)
        expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                                timeout=60_000)
        current = int(value.inner_text().replace(",", ""))
        if current == last:
            return current
        last = current
        page.wait_for_timeout(2_500)  # longer than the status cycle (2 s): the stability window, not a wait
    raise AssertionError("the Messages in figure did not settle")


def test_an_inbound_message_reaches_the_open_thread_in_5_s_and_analytics_in_30_s_without_a_click(
        watched, dashboard_url, api):
    register_receiver(watched, dashboard_url)
    phone = unique_phone()
    first = api.sandbox.inbound(device_id=1, from_=phone, name="Wulan", body="Halo, mau tanya stok")
    open_page(watched, dashboard_url, f"conversations?conversation={first.conversation_id}",
              f"Conversation #{first.conversation_id}")
    body = f"Masih ada kak? {random.randrange(10**9)}"
    api.sandbox.inbound(device_id=1, from_=phone, name="Wulan", body=body)
    thread = watched.locator(".st-key-thread_box")
    expect(thread.get_by_text(body)).to_be_visible(timeout=5_000)

    open_page(watched, dashboard_url, "analytics", "Analytics")
    before = settled_messages_in(watched)
    api.sandbox.inbound(device_id=1, from_=unique_phone(), name="Sari", body="Pagi kak, ada promo?")
    expect(messages_in_card(watched)).to_have_text(f"{before + 1:,}", timeout=30_000)
    assert_no_exception(watched)
