"""The Conversations page through AppTest: filters, the thread with media and quoted replies, replying with
text or a file (checked first; a failed send keeps both), mark read, solve and reopen, and contact names
and message bodies that look like HTML or Markdown shown as plain text."""

from __future__ import annotations

import io
import itertools
import json
from functools import partial
from urllib.parse import urljoin

import httpx
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard.connection import sign_in
from tests.conftest import FAST_RETRIES
from tests.ui.conftest import APP, as_read, assert_clean, markdown_texts, open_app

PAGE = "app_pages/conversations.py"
XSS_NAME = "<img src=x onerror=alert(1)> **bold** [link](http://x)"
_phones = itertools.count(1)


@pytest.fixture(scope="module")
def own_demo():
    """A demo workspace for this module: its tests add conversations and change their state."""
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


@pytest.fixture
def api(own_demo):
    with Client(own_demo.api_url, api_key=own_demo.api_key, use_env=False) as client:
        yield client


def new_phone() -> str:
    return f"+62877{next(_phones):08d}"


page_app = partial(open_app, page=PAGE)


def assert_plain(at: AppTest, text: str) -> None:
    """`text` is on the page as plain text, and never went into Markdown."""
    assert any(text in t.value for t in at.text), [t.value for t in at.text]
    assert not any("**bold**" in m or "onerror" in m for m in markdown_texts(at))


def open_conversation(at: AppTest, phone: str, status: str = "Open") -> AppTest:
    """Search for `phone` and click its row, as a person would."""
    at.segmented_control(key="conversation_status").set_value(status)
    at.text_input(key="conversation_search").input(phone).run()
    frame = at.dataframe[0].value
    return click_row(at, int(frame.index[frame["phone"] == phone][0]))


def click_row(at: AppTest, row: int) -> AppTest:
    """A click on a row of the list (its selection state, as the browser sends it)."""
    # The element id is "$$ID-<hash>-<key>", and the key itself may hold a "-" (a negative hash).
    key = at.dataframe[0].proto.id.split("-", 2)[2]
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def listed(at: AppTest):
    """The list's rows that match the filters (without the open conversation when it is only kept pinned)."""
    frame = at.dataframe[0].value
    return frame.iloc[1:] if any("is kept first while it is open" in c.value for c in at.caption) else frame


def named(at: AppTest) -> tuple[int, int, list[int]]:
    """(the thread's conversation, the picker's, the list's selected rows' ids): one conversation, always."""
    frame = at.dataframe[0].value
    # Each open conversation gets a new table whose selection starts on it: the selection the browser shows.
    rows = json.loads(at.dataframe[0].proto.selection_default)["selection"]["rows"]
    return int(heading(at).removeprefix("Conversation #")), picker(at).value, [
        int(frame.iloc[r]["id"]) for r in rows]


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def picker(at: AppTest):
    return next(s for s in at.selectbox if s.label == "Open conversation")


def heading(at: AppTest) -> str:
    return next(s.value for s in at.subheader if s.value.startswith("Conversation #"))


def test_lists_open_conversations_and_filters_them(own_demo, api):
    at = page_app(own_demo)
    assert_clean(at)
    everything = api.conversations.list(status="all")
    open_ = [c for c in everything if c.status == "open"]
    unread_open = sum(c.unread > 0 for c in open_)
    assert at.caption[0].value == (f"{len(open_):,} of {len(everything):,} conversations · {unread_open:,} with "
                                   "unread messages")
    table = listed(at)
    assert len(table) == min(50, len(open_)) and set(table["status"]) == {"open"}  # one page of 50 at a time
    latest = max(open_, key=lambda c: (c.last_message_at, c.id))
    assert table["id"].iloc[0] == latest.id and named(at) == (latest.id, latest.id, [latest.id])

    at.toggle(key="conversation_unread").set_value(True).run()
    assert (listed(at)["unread"] > 0).all() and at.caption[0].value.startswith(f"{unread_open:,} of ")

    at.toggle(key="conversation_unread").set_value(False)
    at.multiselect(key="conversation_devices").set_value([2]).run()
    assert set(listed(at)["device"]) == {"Support Center"}
    at.multiselect(key="conversation_devices").set_value([])
    at.multiselect(key="conversation_inboxes").set_value([4]).run()
    assert set(listed(at)["inbox"]) == {"VIP"}
    at.multiselect(key="conversation_inboxes").set_value([])

    at.segmented_control(key="conversation_status").set_value("All").run()
    assert at.caption[0].value.startswith(f"{len(everything):,} of {len(everything):,} conversations")
    target = everything[17]
    at.text_input(key="conversation_search").input(target.contact_phone[-8:]).run()
    assert target.id in listed(at)["id"].tolist()
    at.text_input(key="conversation_search").input(target.contact_name.upper()).run()
    assert target.id in listed(at)["id"].tolist()
    assert_clean(at)


def test_a_large_list_pages_and_keeps_the_open_conversation_in_view(own_demo, api):
    at = page_app(own_demo)
    at.segmented_control(key="conversation_status").set_value("All").run()
    everything = api.conversations.list(status="all")
    pages = -(-len(everything) // 50)
    first = at.dataframe[0].value["id"].tolist()
    assert len(first) == 50 and at.get("pagination")[0].proto.num_pages == pages
    at.get("pagination")[0].set_value(3).run()
    third = at.dataframe[0].value["id"].tolist()
    # The open conversation (the latest) is kept first, then the third page's 50.
    assert third[0] == first[0] and len(third) == 51 and not set(third[1:]) & set(first)
    assert named(at)[0] == named(at)[1] == first[0] and named(at)[2] == [first[0]]
    assert_clean(at)


def test_the_thread_shows_text_media_and_quoted_replies(own_demo, api):
    phone = new_phone()
    first = api.sandbox.inbound(device_id=1, from_=phone, name="Dewi", body="Ini fotonya kak")
    api.sandbox.inbound(device_id=1, from_=phone, media_type="image")
    api.sandbox.inbound(device_id=1, from_=phone, media_type="document", body="Invoice terlampir")
    api.conversations.send(first.conversation_id, body="Baik kak, kami cek", reply_to=first.message.wa_message_id)
    at = open_conversation(page_app(own_demo), phone)
    assert_clean(at)
    assert heading(at) == f"Conversation #{first.conversation_id}"
    texts = [t.value for t in at.text]
    assert "Ini fotonya kak" in texts and "Baik kak, kami cek" in texts
    assert "│ replying to: Ini fotonya kak" in texts
    assert any(t.startswith("[image] ") for t in texts) and any(t.startswith("[document] ") for t in texts)
    assert len(at.get("image")) == 1  # the image is fetched server-side and shown inline
    # Sent with the API key by someone else: no person behind it, so it reads as automated.
    assert any(t.startswith("Automated · ") for t in texts)
    # Other media load on demand, then download.
    assert not at.get("download_button") or len(at.get("download_button")) == 1
    button(at, "Load attachment").click().run()
    assert_clean(at)
    assert len(at.get("download_button")) == 2


def test_agents_are_named_and_the_senders_told_apart(own_demo, api):
    users = {u.id: u.name for u in api.users.list()}
    conversation = next(c for c in api.conversations.list(status="all")[:200]
                        if any(m.sender_user_id for m in api.conversations.messages(c.id)))
    messages = api.conversations.messages(conversation.id)
    at = page_app(own_demo, run=False)
    at.query_params["conversation"] = str(conversation.id)
    at.run()
    assert_clean(at)
    headers = [t.value for t in at.text if " · " in t.value and t.value.count(" · ") == 2][-len(messages[-50:]):]
    expected = [users[m.sender_user_id] if m.sender_user_id else
                ("Automated" if m.from_me else conversation.contact_name or conversation.contact_phone)
                for m in messages[-50:]]
    assert [h.split(" · ")[0] for h in headers] == expected
    assert not any("Agent #" in h for h in headers)
    avatars = {m.proto.avatar for m in at.chat_message}
    assert ":material/support_agent:" in avatars and ":material/person:" in avatars


def test_the_demo_photos_are_big_enough_to_see(own_demo, api):
    conversations = sorted(api.conversations.list(status="all"), key=lambda c: c.id)[:300]  # seeded, not added
    photo = next(m for c in conversations for m in api.conversations.messages(c.id) if m.media_type == "image")
    answer = httpx.get(urljoin(own_demo.base_url + "/", photo.media_url.lstrip("/")),
                       headers={"Authorization": own_demo.api_key})
    width, height = Image.open(io.BytesIO(answer.content)).size
    assert width >= 320 and height >= 240


def test_a_reply_is_sent_and_the_box_cleared(own_demo, api):
    phone = new_phone()
    inbound = api.sandbox.inbound(device_id=1, from_=phone, name="Rina", body="Halo")
    at = open_conversation(page_app(own_demo), phone)
    cid = inbound.conversation_id
    at.text_area(key=f"reply_body_{cid}_0").input("Halo kak, ada yang bisa dibantu?")
    at.selectbox(key=f"reply_quote_{cid}_0").set_value(inbound.message.wa_message_id)
    button(at, "Send reply").click().run()
    assert_clean(at)
    sent = api.conversations.messages(cid)[-1]
    assert sent.from_me and sent.body == "Halo kak, ada yang bisa dibantu?"
    assert sent.reply_to == inbound.message.wa_message_id
    assert at.text_area(key=f"reply_body_{cid}_1").value == ""
    texts = [t.value for t in at.text]
    assert "Halo kak, ada yang bisa dibantu?" in texts
    assert texts[texts.index("Halo kak, ada yang bisa dibantu?") - 2].startswith("From this dashboard · ")
    assert named(at) == (cid, cid, [cid])


def test_a_file_reply_is_checked_then_sent_with_its_caption(own_demo, api):
    phone = new_phone()
    cid = api.sandbox.inbound(device_id=1, from_=phone, body="Minta katalog").conversation_id
    at = open_conversation(page_app(own_demo), phone)
    at.file_uploader(key=f"reply_file_{cid}_0").set_value(("empty.pdf", b"", "application/pdf"))
    button(at, "Send reply").click().run()
    assert as_read(at.error[0].value) == "empty.pdf is empty."
    at.file_uploader(key=f"reply_file_{cid}_0").set_value(("huge.png", b"\x89PNG" + bytes(17 * 1024 * 1024),
                                                          "image/png"))
    button(at, "Send reply").click().run()
    assert "image files may be at most 16 MiB" in at.error[0].value
    assert len(api.conversations.messages(cid)) == 1  # nothing was sent

    at.file_uploader(key=f"reply_file_{cid}_0").set_value(("katalog.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))
    at.text_area(key=f"reply_body_{cid}_0").input("Katalog terbaru")
    button(at, "Send reply").click().run()
    assert_clean(at)
    sent = api.conversations.messages(cid)[-1]
    assert (sent.media_type, sent.media_mime, sent.media_filename, sent.body) == (
        "document", "application/pdf", "katalog.pdf", "Katalog terbaru")


def test_a_failed_send_keeps_the_text_and_the_file_and_is_not_retried(own_demo, api):
    phone = new_phone()
    cid = api.sandbox.inbound(device_id=3, from_=phone, body="Tagihan saya?").conversation_id  # device 3 is offline
    at = open_conversation(page_app(own_demo), phone)
    at.text_area(key=f"reply_body_{cid}_0").input("Sudah kami proses")
    at.file_uploader(key=f"reply_file_{cid}_0").set_value(("bukti.png", b"\x89PNG\r\n\x1a\n", "image/png"))
    button(at, "Send reply").click().run()
    assert_clean(at)
    assert at.error[0].value.startswith("Not sent:") and "Your text and file are kept" in at.error[0].value
    assert at.text_area(key=f"reply_body_{cid}_0").value == "Sudah kami proses"
    assert at.file_uploader(key=f"reply_file_{cid}_0").value.name == "bukti.png"
    assert len(api.conversations.messages(cid)) == 1


def test_read_solve_and_reopen_keep_the_same_conversation_open(own_demo, api):
    phone = new_phone()
    cid = api.sandbox.inbound(device_id=2, from_=phone, body="Ada promo?").conversation_id
    at = open_conversation(page_app(own_demo), phone)
    assert "1 unread" in at.text[1].value
    button(at, "Read").click().run()
    assert_clean(at)
    assert next(c for c in api.conversations.list() if c.id == cid).unread == 0
    assert button(at, "Read").disabled and named(at) == (cid, cid, [cid])

    at.text_area(key=f"reply_body_{cid}_0").input("Ada kak, diskon 10%")
    button(at, "Send reply").click().run()
    button(at, "Solve").click().run()
    assert_clean(at)
    assert next(c for c in api.conversations.list(status="solved") if c.id == cid).status == "solved"
    # Solved, it left the Open list, but stays open, pinned first in the list, in the picker and the thread.
    assert named(at) == (cid, cid, [cid]) and at.dataframe[0].value["status"].iloc[0] == "solved"
    assert "solved" in at.text[1].value and at.query_params["conversation"] == str(cid)

    button(at, "Reopen").click().run()
    assert_clean(at)
    assert next(c for c in api.conversations.list() if c.id == cid).status == "open"
    assert named(at) == (cid, cid, [cid]) and "· open ·" in at.text[1].value


def test_a_link_opens_exactly_that_conversation(own_demo, api):
    solved = next(c for c in api.conversations.list(status="solved"))
    at = page_app(own_demo, run=False)
    at.query_params["conversation"] = str(solved.id)
    at.run()
    assert_clean(at)
    assert named(at) == (solved.id, solved.id, [solved.id])  # although the list shows open ones
    other = listed(at)["id"].iloc[3]
    picker(at).set_value(int(other)).run()
    assert named(at) == (other, other, [other]) and at.query_params["conversation"] == str(other)


@pytest.mark.parametrize("link, refusal", [
    ("abc", "This link does not name a conversation: its conversation number is not a number."),
    ("999999999", "Conversation #999999999 is not one you can see: it does not exist, or it belongs to an inbox "
                  "outside yours."),
])
def test_a_link_to_nothing_says_so(own_demo, link, refusal):
    at = page_app(own_demo, run=False)
    at.query_params["conversation"] = link
    at.run()
    assert_clean(at)
    assert [w.value for w in at.warning] == [refusal]
    assert not [s for s in at.subheader if s.value.startswith("Conversation #")]


def test_a_link_outside_a_scoped_users_inboxes_is_refused(own_demo, api):
    agent = sign_in(own_demo.api_url, "agent@demo.ceox.local", "ceox-demo-2026", allow_private=True)
    with agent.client() as client:
        theirs = {c.id for c in client.conversations.list(status="all")}
    outside = next(c.id for c in api.conversations.list(status="all") if c.id not in theirs)
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["workspace"] = agent
    at.switch_page(PAGE)
    at.query_params["conversation"] = str(outside)
    at.run()
    assert_clean(at)
    assert [w.value for w in at.warning] == [f"Conversation #{outside} is not one you can see: it does not exist, or "
                                             "it belongs to an inbox outside yours."]
    assert not [s for s in at.subheader if s.value.startswith("Conversation #")]
    assert not any(f"#{outside} " in t.value for t in at.text)


def test_contact_names_and_bodies_that_look_like_markup_show_as_plain_text(own_demo, api):
    phone = new_phone()
    cid = api.sandbox.inbound(device_id=1, from_=phone, name=XSS_NAME, body="**not bold** <b>x</b>").conversation_id
    at = open_conversation(page_app(own_demo), phone)
    assert_clean(at)
    assert_plain(at, XSS_NAME)
    assert_plain(at, "**not bold** <b>x</b>")
    assert listed(at)["contact"].tolist() == [XSS_NAME]
    assert picker(at).options == [f"#{cid} · {XSS_NAME} · {phone} · CS Sales Jakarta · open · 1 unread"]


def test_without_chats_send_the_thread_is_read_only(own_demo):
    manager = sign_in(own_demo.api_url, "manager@demo.ceox.local", "ceox-demo-2026", allow_private=True)
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["workspace"] = manager
    at.switch_page(PAGE)
    at.run()
    assert_clean(at)
    assert button(at, "Solve").disabled and button(at, "Read").disabled
    assert not [b for b in at.button if b.label == "Send reply"]
    assert any("need the “Send messages” capability" in c.value for c in at.caption)


def test_api_errors_show_as_sentences(own_demo, api):
    at = page_app(own_demo, run=False)
    api.sandbox.set_faults(error_rate=1.0)
    try:
        at.run()
    finally:
        api.sandbox.clear_faults()
    assert_clean(at)
    assert at.error and "The service failed" in at.error[0].value


def test_a_click_in_the_table_opens_that_conversation(own_demo, api):
    at = page_app(own_demo)
    second = int(at.dataframe[0].value["id"].tolist()[1])
    click_row(at, 1)
    assert_clean(at)
    assert named(at) == (second, second, [second])
    assert at.query_params["conversation"] == str(second)
