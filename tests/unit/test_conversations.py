"""Conversation helpers: list filters, thread entries with quotes, attachment checks, and media fetched with
the credential only from the service's own host."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ceox_api import Client
from ceox_api.errors import RequestRefused
from ceox_api.models import Conversation, Message
from dashboard import conversations as chats
from dashboard.connection import connect
from dashboard.outbound import same_origin_url

MIB = 1024 * 1024


def conversation(id_, name="", phone="+6281100000000", device_id=1, inbox_id=1, unread=0, status="open",
                 last=None):
    return Conversation(id=id_, contact_name=name, contact_phone=phone, device_id=device_id, inbox_id=inbox_id,
                        unread=unread, device_name="Sales", status=status, last_message_at=last)


LIST = [conversation(1, "Budi Santoso", "+6281234567890", 1, 1, 2), conversation(2, "Sari", "+6289876543210", 2, 2),
        conversation(3, "", "+6281234500000", 2, None, 1, "solved")]


@pytest.mark.parametrize("filters, ids", [
    ({}, {1, 2, 3}),
    ({"status": "open"}, {1, 2}),
    ({"status": "solved"}, {3}),
    ({"device_ids": [2]}, {2, 3}),
    ({"inbox_ids": [1, 2]}, {1, 2}),
    ({"unread_only": True}, {1, 3}),
    ({"query": "budi"}, {1}),
    ({"query": "  SARI "}, {2}),
    ({"query": "+62812345"}, {1, 3}),
    ({"query": "812 345"}, {1, 3}),  # spaces and dashes in a typed number are ignored
    ({"query": "812-3456789"}, {1}),
    ({"query": "99"}, set()),
    ({"device_ids": [2], "unread_only": True, "query": "0000"}, {3}),
])
def test_filters_combine(filters, ids):
    assert {c.id for c in chats.filter_conversations(LIST, **filters)} == ids


def test_the_list_shows_the_latest_activity_first():
    day = datetime(2026, 5, 1, tzinfo=UTC)
    listed = [conversation(1, last=day), conversation(2), conversation(3, last=day + timedelta(hours=2)),
              conversation(4, last=day)]
    assert [c.id for c in chats.filter_conversations(listed)] == [3, 4, 1, 2]


@pytest.mark.parametrize("link, expected", [
    ("68", 68), (" #68 ", 68), ("0", None), ("-3", None), ("abc", None), ("6 8", None), ("", None), (None, None),
    ("٣", None), ("9" * 40, None), ("1e3", None),
])
def test_a_link_names_a_conversation_number_or_nothing(link, expected):
    assert chats.linked_id(link) == expected


def test_the_open_conversation_is_always_in_the_list_page():
    shown = [conversation(i) for i in range(1, 121)]  # three pages of 50
    on_page = chats.list_page(shown, 0, shown[10])
    assert [c.id for c in on_page.rows] == list(range(1, 51)) and not on_page.pinned and on_page.pages == 3
    elsewhere = chats.list_page(shown, 0, shown[70])
    assert [c.id for c in elsewhere.rows][:2] == [71, 1] and elsewhere.pinned and len(elsewhere.rows) == 51
    filtered_out = chats.list_page(shown, 9, conversation(500, status="solved"))
    assert filtered_out.page == 2 and [c.id for c in filtered_out.rows][:2] == [500, 101]
    assert chats.page_of(shown, 71) == 1 and chats.page_of(shown, 500) is None
    assert chats.list_page([], 0, None) == chats.ListPage([], 0, 1, False)


def test_the_frame_and_labels_keep_names_as_they_are():
    frame = chats.conversations_frame([conversation(7, "<b>**x**</b>", unread=3), conversation(8)], [])
    assert frame["contact"].tolist() == ["<b>**x**</b>", "+6281100000000"]
    assert frame["unread"].tolist()[0] == 3 and frame["unread"].isna().tolist()[1]  # no badge when all read
    assert chats.label(conversation(7, "<b>**x**</b>", unread=3)) == (
        "#7 · <b>**x**</b> · +6281100000000 · Sales · open · 3 unread")
    assert chats.label(conversation(8)) == "#8 · +6281100000000 · +6281100000000 · Sales · open"


def test_thread_entries_quote_the_replied_message_and_name_the_sender():
    at = datetime(2026, 5, 1, 3, 30, tzinfo=UTC)
    messages = [Message(id=1, wa_message_id="A", body="Halo", from_me=False, timestamp=at),
                Message(id=2, wa_message_id="B", body="Hai kak", from_me=True, sender_user_id=4, reply_to="A"),
                Message(id=3, wa_message_id="C", body="", media_type="image", from_me=True, reply_to="GONE"),
                Message(id=4, body="Dari dashboard", from_me=True),
                Message(id=5, body="Dari Siti di dashboard", from_me=True, sender_user_id=4),
                Message(id=6, body="Siapa?", from_me=True, sender_user_id=99)]
    entries = chats.thread(messages, "Budi", {4: "Siti Rahayu"}, sent_here={4, 5}, zone=ZoneInfo("Asia/Jakarta"))
    assert [(e.who, e.sender) for e in entries] == [
        ("Budi", chats.Sender.CONTACT), ("Siti Rahayu", chats.Sender.AGENT), ("Automated", chats.Sender.AUTOMATED),
        ("From this dashboard", chats.Sender.DASHBOARD), ("Siti Rahayu · from this dashboard", chats.Sender.DASHBOARD),
        ("Agent #99", chats.Sender.AGENT)]
    assert entries[0].when == "2026-05-01 10:30" and entries[1].when == ""
    assert entries[1].quoted.body == "Halo" and not entries[1].quoted_missing
    assert entries[2].quoted is None and entries[2].quoted_missing
    assert chats.snippet(messages[2]) == "[image]" and chats.snippet(Message(id=9, body="x " * 100), 10) == "x x x x x…"


def test_messages_sent_from_the_dashboard_are_remembered_per_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path))
    chats.remember_sent("w1", 7, 100)
    chats.remember_sent("w1", 7, 100)
    chats.remember_sent("w1", 8, 101)
    chats.remember_sent("w2", 7, 102)
    assert chats.sent_here("w1", 7) == {100} and chats.sent_here("w2", 7) == {102} and chats.sent_here("w3", 7) == set()


@pytest.mark.parametrize("name, declared, size, kind, mime", [
    ("photo.jpg", "image/jpeg", 100, "image", "image/jpeg"),
    ("photo.JPG", "application/octet-stream", 100, "image", "image/jpeg"),
    ("voice.opus", "", 100, "audio", "audio/ogg"),
    ("report.pdf", "application/pdf", 100 * MIB, "document", "application/pdf"),
    ("sheet.xlsx", None, 10, "document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("clip.mp4", "video/mp4", 16 * MIB, "video", "video/mp4"),
])
def test_allowed_attachments(name, declared, size, kind, mime):
    attachment, problem = chats.check_attachment(name, declared, b"x" * size)
    assert problem is None and (attachment.kind, attachment.mime, attachment.filename) == (kind, mime, name)


@pytest.mark.parametrize("name, declared, size, problem", [
    ("tool.exe", "application/x-msdownload", 10, "which WhatsApp does not take"),
    ("page.html", "text/html", 10, "of type text/html"),
    ("noextension", "", 10, "of type unknown"),
    ("big.png", "image/png", 16 * MIB + 1, "image files may be at most 16 MiB"),
    ("big.mp4", "video/mp4", 16 * MIB + 1, "video files may be at most 16 MiB"),
    ("huge.pdf", "application/pdf", 100 * MIB + 1, "document files may be at most 100 MiB"),
    ("empty.png", "image/png", 0, "empty.png is empty."),
])
def test_refused_attachments(name, declared, size, problem):
    attachment, reason = chats.check_attachment(name, declared, b"x" * size)
    assert attachment is None and problem in reason


def test_a_message_needs_text_or_a_file():
    assert chats.check_body("  ", None) == "Type a message or attach a file."
    assert chats.check_body("", chats.Attachment(b"x", "image/png", "a.png", "image")) is None
    assert "at most 4,096" in chats.check_body("x" * 5000, None)


def test_media_addresses_resolve_against_the_services_origin_and_stay_there():
    base = "https://api-wa.fantecno.net/api/v1"
    assert same_origin_url(base, "/media/ab12.jpg") == "https://api-wa.fantecno.net/media/ab12.jpg"
    assert same_origin_url(base, "https://API-WA.fantecno.net/media/x.jpg") == "https://API-WA.fantecno.net/media/x.jpg"
    for elsewhere in ("https://cdn.example.com/ab12.jpg", "http://api-wa.fantecno.net/media/x.jpg",
                      "https://api-wa.fantecno.net:8443/x.jpg", "//127.0.0.1/x", "file:///etc/passwd"):
        with pytest.raises(RequestRefused, match="another address"):
            same_origin_url(base, elsewhere)


def test_media_is_fetched_with_the_credential(demo_sandbox):
    workspace = connect(demo_sandbox.api_url, api_key=demo_sandbox.api_key, allow_private=True)
    with Client(demo_sandbox.api_url, api_key=demo_sandbox.api_key, use_env=False) as client:
        sent = client.sandbox.inbound(device_id=1, from_="+6287700000999", media_type="image")
    data, mime = chats.fetch_media(workspace, sent.message.media_url)
    assert data.startswith(b"\x89PNG") and mime == "image/png"
    with pytest.raises(chats.MediaError, match="answered 404"):
        chats.fetch_media(workspace, "/media/missing.png")
    with pytest.raises(chats.MediaError, match="larger than"):
        chats.fetch_media(workspace, sent.message.media_url, max_bytes=10)
