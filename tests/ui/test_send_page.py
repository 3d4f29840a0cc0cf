"""The Send page through AppTest: to a new number or an existing contact, text or a file with caption,
checked before sending; a failed send keeps the text and the file and is not retried."""

from __future__ import annotations

from functools import partial

import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard.connection import sign_in
from tests.conftest import FAST_RETRIES
from tests.ui.conftest import APP, as_read, assert_clean, markdown_texts, open_app
from tests.ui.test_conversations_page import XSS_NAME

PAGE = "app_pages/send.py"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture(scope="module")
def own_demo():
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


@pytest.fixture
def api(own_demo):
    with Client(own_demo.api_url, api_key=own_demo.api_key, use_env=False) as client:
        yield client


page_app = partial(open_app, page=PAGE)


def send(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label == "Send").click().run()


def thread_of(api: Client, phone: str):
    conversation = next((c for c in api.conversations.list(status="all") if c.contact_phone == phone), None)
    return conversation, api.conversations.messages(conversation.id) if conversation else []


def test_text_to_a_new_number_names_the_new_contact(own_demo, api):
    at = page_app(own_demo)
    assert_clean(at)
    at.text_input(key="send_to").input(" +6285500000001 ")
    at.text_input(key="send_name").input("Pak Joko")
    at.text_area(key="send_body_0").input("Selamat pagi, pesanan Anda sudah dikirim.")
    send(at)
    assert_clean(at)
    conversation, messages = thread_of(api, "+6285500000001")
    assert conversation.contact_name == "Pak Joko"
    assert [m.body for m in messages] == ["Selamat pagi, pesanan Anda sudah dikirim."]
    assert at.success[0].value == f"Sent: message #{messages[0].id} in conversation #{conversation.id}."
    assert at.text_area(key="send_body_1").value == ""  # ready for the next message


@pytest.mark.parametrize("phone, body, problem", [
    ("081234567890", "hi", "is not an E.164 number"),
    ("", "hi", "Phone is required."),
    ("+6285500000002", "   ", "Type a message or attach a file."),
])
def test_input_is_checked_before_anything_is_sent(own_demo, api, phone, body, problem):
    at = page_app(own_demo)
    at.text_input(key="send_to").input(phone)
    at.text_area(key="send_body_0").input(body)
    send(at)
    assert_clean(at)
    assert problem in as_read(at.error[0].value)
    assert thread_of(api, "+6285500000002") == (None, [])


def test_a_file_with_a_caption_from_a_chosen_device(own_demo, api):
    at = page_app(own_demo)
    at.text_input(key="send_to").input("+6285500000003")
    at.selectbox(key="send_device").set_value(2)
    at.text_area(key="send_body_0").input("Brosur promo")
    at.file_uploader(key="send_file_0").set_value(("promo.png", PNG, "image/png"))
    send(at)
    assert_clean(at)
    conversation, messages = thread_of(api, "+6285500000003")
    assert conversation.device_id == 2
    assert (messages[0].media_type, messages[0].media_mime, messages[0].body) == ("image", "image/png", "Brosur promo")


def test_an_oversized_file_is_refused_before_sending(own_demo, api):
    at = page_app(own_demo)
    at.text_input(key="send_to").input("+6285500000004")
    at.file_uploader(key="send_file_0").set_value(("voice.ogg", bytes(16 * 1024 * 1024 + 1), "audio/ogg"))
    send(at)
    assert "audio files may be at most 16 MiB" in at.error[0].value
    assert thread_of(api, "+6285500000004") == (None, [])


def test_a_failed_send_keeps_the_text_and_the_file(own_demo, api):
    at = page_app(own_demo)
    at.text_input(key="send_to").input("+6285500000005")
    at.selectbox(key="send_device").set_value(3)  # disconnected: the service answers 409
    at.text_area(key="send_body_0").input("Tagihan bulan ini terlampir")
    at.file_uploader(key="send_file_0").set_value(("tagihan.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))
    send(at)
    assert_clean(at)
    assert at.error[0].value.startswith("Not sent:") and "Your text and file are kept" in at.error[0].value
    assert at.text_area(key="send_body_0").value == "Tagihan bulan ini terlampir"
    assert at.file_uploader(key="send_file_0").value.name == "tagihan.pdf"
    assert at.text_input(key="send_to").value == "+6285500000005"
    assert not thread_of(api, "+6285500000005")[1]


def test_an_existing_contact_is_found_and_its_name_shown_as_plain_text(own_demo, api):
    api.sandbox.inbound(device_id=1, from_="+6285500000006", name=XSS_NAME, body="Halo")
    at = page_app(own_demo)
    at.radio(key="send_recipient_mode").set_value("An existing contact").run()
    at.text_input(key="send_contact_search").input("+6285500000006").run()
    picker = at.selectbox(key="send_contact")
    assert picker.options == [f"{XSS_NAME} · +6285500000006"]
    assert not any("**bold**" in m or "onerror" in m for m in markdown_texts(at))
    picker.select_index(0)
    at.text_area(key="send_body_0").input("Terima kasih sudah menghubungi kami")
    send(at)
    assert_clean(at)
    assert thread_of(api, "+6285500000006")[1][-1].body == "Terima kasih sudah menghubungi kami"


def test_the_page_is_not_offered_without_chats_send(own_demo):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["workspace"] = sign_in(own_demo.api_url, "manager@demo.ceox.local", "ceox-demo-2026",
                                            allow_private=True)
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
