"""The Conversations page through AppTest: filters, the thread with media and quoted replies, replying with
text or a file (checked first; a failed send keeps both), mark read, solve and reopen, and contact names
and message bodies that look like HTML or Markdown shown as plain text."""

from __future__ import annotations

import itertools

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard.connection import connect, sign_in
from tests.conftest import FAST_RETRIES
from tests.ui.conftest import APP, as_read, assert_clean, markdown_texts

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


def page_app(sandbox: SandboxServer, run: bool = True) -> AppTest:
    """The app on this page, connected to `sandbox`; cached reads start empty, as this module changes data."""
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["workspace"] = connect(sandbox.api_url, api_key=sandbox.api_key, source="demo")
    at.switch_page(PAGE)
    return at.run() if run else at


def assert_plain(at: AppTest, text: str) -> None:
    """`text` is on the page as plain text, and never went into Markdown."""
    assert any(text in t.value for t in at.text), [t.value for t in at.text]
    assert not any("**bold**" in m or "onerror" in m for m in markdown_texts(at))


def open_conversation(at: AppTest, phone: str, status: str = "Open") -> AppTest:
    at.radio(key="conversation_status").set_value(status)
    at.text_input(key="conversation_search").input(phone)
    return at.run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def heading(at: AppTest) -> str:
    return next(s.value for s in at.subheader if s.value.startswith("Conversation #"))


def test_lists_open_conversations_and_filters_them(own_demo, api):
    at = page_app(own_demo)
    assert_clean(at)
    open_count = len(api.conversations.list())
    assert at.caption[0].value == f"{open_count:,} of {open_count:,} conversations"
    table = at.dataframe[0].value
    assert len(table) == open_count and set(table["status"]) == {"open"}

    at.toggle(key="conversation_unread").set_value(True).run()
    unread = [c for c in api.conversations.list() if c.unread > 0]
    assert len(at.dataframe[0].value) == len(unread) and (at.dataframe[0].value["unread"] > 0).all()

    at.toggle(key="conversation_unread").set_value(False)
    at.multiselect(key="conversation_devices").set_value([2]).run()
    assert set(at.dataframe[0].value["device"]) == {"Support Center"}
    at.multiselect(key="conversation_devices").set_value([])
    at.multiselect(key="conversation_inboxes").set_value([4]).run()
    assert set(at.dataframe[0].value["inbox"]) == {"VIP"}
    at.multiselect(key="conversation_inboxes").set_value([])

    at.radio(key="conversation_status").set_value("All").run()
    everything = api.conversations.list(status="all")
    assert len(at.dataframe[0].value) == len(everything)
    target = everything[17]
    at.text_input(key="conversation_search").input(target.contact_phone[-8:]).run()
    assert target.id in at.dataframe[0].value["id"].tolist()
    at.text_input(key="conversation_search").input(target.contact_name.upper()).run()
    assert target.id in at.dataframe[0].value["id"].tolist()
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
    # Other media load on demand, then download.
    assert not at.get("download_button") or len(at.get("download_button")) == 1
    button(at, "Load attachment").click().run()
    assert_clean(at)
    assert len(at.get("download_button")) == 2


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
    assert "Halo kak, ada yang bisa dibantu?" in [t.value for t in at.text]


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


def test_mark_read_solve_and_reopen(own_demo, api):
    phone = new_phone()
    cid = api.sandbox.inbound(device_id=2, from_=phone, body="Ada promo?").conversation_id
    at = open_conversation(page_app(own_demo), phone)
    assert "1 unread" in at.text[1].value
    button(at, "Mark read").click().run()
    assert_clean(at)
    assert next(c for c in api.conversations.list() if c.id == cid).unread == 0
    assert button(at, "Mark read").disabled

    button(at, "Solve").click().run()
    assert_clean(at)
    assert next(c for c in api.conversations.list(status="solved") if c.id == cid).status == "solved"
    assert at.info[0].value == "No conversation matches these filters."  # it left the Open list

    at = open_conversation(at, phone, "Solved")
    button(at, "Reopen").click().run()
    assert_clean(at)
    assert next(c for c in api.conversations.list() if c.id == cid).status == "open"


def test_contact_names_and_bodies_that_look_like_markup_show_as_plain_text(own_demo, api):
    phone = new_phone()
    cid = api.sandbox.inbound(device_id=1, from_=phone, name=XSS_NAME, body="**not bold** <b>x</b>").conversation_id
    at = open_conversation(page_app(own_demo), phone)
    assert_clean(at)
    assert_plain(at, XSS_NAME)
    assert_plain(at, "**not bold** <b>x</b>")
    assert at.dataframe[0].value["contact"].tolist() == [XSS_NAME]
    picker = at.selectbox(key="open_conversation")
    assert picker.options == [f"#{cid} · {XSS_NAME} · {phone} · CS Sales Jakarta · open · 1 unread"]


def test_without_chats_send_the_thread_is_read_only(own_demo):
    manager = sign_in(own_demo.api_url, "manager@demo.ceox.local", "ceox-demo-2026", allow_private=True)
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["workspace"] = manager
    at.switch_page(PAGE)
    at.run()
    assert_clean(at)
    assert button(at, "Solve").disabled and button(at, "Mark read").disabled
    assert not [b for b in at.button if b.label == "Send reply"]
    assert any("need chats.send" in c.value for c in at.caption)


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
    second = at.dataframe[0].value["id"].tolist()[1]
    at.session_state["conversation_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    assert at.selectbox(key="open_conversation").value == second
    assert heading(at) == f"Conversation #{second}"
