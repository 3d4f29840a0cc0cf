"""Conversations and messages: both send endpoints, status, read, inbound messages and media."""

from __future__ import annotations

import base64

import pytest

from tests.sandbox.helpers import (
    AGENT,
    CONTACT,
    CONVERSATION,
    MESSAGE,
    PNG,
    TIMESTAMP,
    assert_error,
    assert_shape,
    conversation,
    inbound,
    phone,
    request,
    signed_in,
    unique,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _send(client, **body) -> dict:
    response = client.post("/messages/send", json=body)
    assert response.status_code == 201, response.text
    return response.json()


# ---- POST /messages/send --------------------------------------------------------------------

def test_send_text_to_a_new_number(demo_sandbox, demo):
    number, name = phone(), unique("Budi")
    result = _send(demo, to=number, body="Halo, pesanan Anda sudah dikirim", name=name)
    assert set(result) == {"conversation_id", "message"}
    message = assert_shape(result["message"], MESSAGE)
    assert message["conversation_id"] == result["conversation_id"]
    assert message["from_me"] is True and message["body"] == "Halo, pesanan Anda sudah dikirim"
    assert message["status"] == "sent" and message["sender_user_id"] is None  # an API-key send
    assert message["media_type"] == "" and message["media_url"] == "" and message["reply_to"] == ""
    assert message["wa_message_id"] and TIMESTAMP.match(message["timestamp"])
    found = assert_shape(conversation(demo_sandbox, result["conversation_id"]), CONVERSATION)
    assert found["device_id"] == 1  # the first connected device
    assert found["device_name"] == "CS Sales Jakarta" and found["device_phone"] == "+6281110001001"
    assert found["inbox_id"] == 1
    assert found["contact_phone"] == number and found["contact_name"] == name
    assert found["last_message"] == message["body"] and found["last_message_at"] == message["timestamp"]
    assert found["status"] == "open" and found["solved_at"] is None and found["is_group"] is False
    contact = demo.get("/contacts", params={"q": number}).json()
    assert [assert_shape(c, CONTACT)["name"] for c in contact] == [name]


def test_name_only_names_new_contacts(demo):
    number = phone()
    _send(demo, to=number, body="one", name="First Name")
    _send(demo, to=number, body="two", name="Second Name")
    assert [c["name"] for c in demo.get("/contacts", params={"q": number}).json()] == ["First Name"]


def test_a_new_number_without_a_name_is_named_by_its_number(demo):
    number = phone()
    _send(demo, to=number, body="hi")
    assert demo.get("/contacts", params={"q": number}).json()[0]["name"] == number


def test_one_conversation_per_contact_per_device(demo_sandbox, demo):
    number = phone()
    first = _send(demo, to=number, body="one")["conversation_id"]
    assert _send(demo, to=number, body="two")["conversation_id"] == first
    assert _send(demo, to=number, body="three", device_id=1)["conversation_id"] == first
    other = _send(demo, to=number, body="four", device_id=2)["conversation_id"]
    assert other != first
    assert conversation(demo_sandbox, other)["device_id"] == 2
    assert [m["body"] for m in demo.get(f"/conversations/{first}/messages").json()] == ["one", "two", "three"]
    assert [m["body"] for m in demo.get(f"/conversations/{other}/messages").json()] == ["four"]
    assert len(demo.get("/contacts", params={"q": number}).json()) == 1


@pytest.mark.parametrize(("sender", "device_id"), [("+6281110002002", 2), ("6281110004004@s.whatsapp.net", 4),
                                                   ("+6281110001001", 1)])
def test_from_picks_the_device_by_phone_or_wa_jid(demo_sandbox, demo, sender, device_id):
    result = _send(demo, to=phone(), body="hi", **{"from": sender})
    assert conversation(demo_sandbox, result["conversation_id"])["device_id"] == device_id


def test_device_id_and_a_matching_from_are_fine(demo_sandbox, demo):
    result = _send(demo, to=phone(), body="hi", device_id=2, **{"from": "+6281110002002"})
    assert conversation(demo_sandbox, result["conversation_id"])["device_id"] == 2


def test_a_user_send_records_the_sender(demo_sandbox):
    with signed_in(demo_sandbox, AGENT) as agent:
        result = _send(agent, to=phone(), body="dari agen")
        assert result["message"]["sender_user_id"] == agent.user["id"]
        assert conversation(demo_sandbox, result["conversation_id"], agent.token)["device_id"] == 1


@pytest.mark.parametrize(("mime", "media_type", "data"), [
    ("image/png", "image", PNG), ("application/pdf", "document", PDF), ("audio/ogg", "audio", b"OggS\x00\x02"),
    ("video/mp4", "video", b"\x00\x00\x00\x18ftypmp42"), ("text/csv", "document", b"a,b\n1,2\n"),
])
def test_send_media(demo_sandbox, demo, demo_root, mime, media_type, data):
    result = _send(demo, to=phone(), media_base64=_b64(data), media_mime=mime, media_filename="file.bin",
                   body="caption")
    message = result["message"]
    assert message["media_type"] == media_type and message["media_mime"] == mime
    assert message["media_filename"] == "file.bin" and message["body"] == "caption"
    assert message["media_url"].startswith("/media/")
    served = demo_root.get(message["media_url"])
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"].split(";")[0] == mime
    also = demo.get(message["media_url"].removeprefix("/"))  # /api/v1/media/... too
    assert also.status_code == 200 and also.content == data
    assert_error(request("GET", demo_sandbox.base_url + message["media_url"]), 401)
    assert_error(request("GET", demo_sandbox.base_url + message["media_url"],
                         headers={"Authorization": "ceox_wrongkey123"}), 401)


def test_media_without_a_caption(demo_sandbox, demo):
    result = _send(demo, to=phone(), media_base64=_b64(PNG), media_mime="image/png")
    assert result["message"]["body"] == ""
    assert conversation(demo_sandbox, result["conversation_id"])["last_message"]  # some preview of the image


# ---- POST /conversations/{id}/messages (PascalCase) -----------------------------------------

@pytest.fixture
def thread(demo_sandbox) -> int:
    """A new conversation on device 1 that starts with one incoming message."""
    return inbound(demo_sandbox, 1, phone(), body="Halo, saya mau tanya")["conversation_id"]


def test_reply_in_a_conversation(demo_sandbox, demo, thread):
    incoming = demo.get(f"/conversations/{thread}/messages").json()[0]
    response = demo.post(f"/conversations/{thread}/messages",
                         json={"Body": "Tentu, silakan", "ReplyTo": incoming["wa_message_id"]})
    assert response.status_code == 201
    reply = assert_shape(response.json(), MESSAGE)
    assert reply["conversation_id"] == thread and reply["from_me"] is True and reply["body"] == "Tentu, silakan"
    assert reply["reply_to"] == incoming["wa_message_id"] and reply["status"] == "sent"
    assert reply["wa_message_id"] != incoming["wa_message_id"]
    messages = demo.get(f"/conversations/{thread}/messages").json()
    assert [m["id"] for m in messages] == [incoming["id"], reply["id"]]  # oldest first
    assert conversation(demo_sandbox, thread)["last_message"] == "Tentu, silakan"


def test_media_in_a_conversation(demo_root, demo, thread):
    response = demo.post(f"/conversations/{thread}/messages",
                         json={"MediaBase64": _b64(PDF), "MediaMime": "application/pdf",
                               "MediaFilename": "invoice.pdf"})
    assert response.status_code == 201
    message = response.json()
    assert message["media_type"] == "document" and message["media_filename"] == "invoice.pdf"
    assert message["body"] == "" and message["media_mime"] == "application/pdf"
    assert demo_root.get(message["media_url"]).content == PDF


def test_a_reply_to_from_another_conversation_answers_400(demo_sandbox, demo, thread):
    other = inbound(demo_sandbox, 1, phone())["message"]["wa_message_id"]
    assert_error(demo.post(f"/conversations/{thread}/messages", json={"Body": "x", "ReplyTo": other}), 400, "reply")


def test_messages_are_oldest_first(demo):
    longest = 0
    for found in demo.get("/conversations", params={"status": "solved", "limit": 20}).json():
        messages = demo.get(f"/conversations/{found['id']}/messages").json()
        assert [m["timestamp"] for m in messages] == sorted(m["timestamp"] for m in messages)
        assert all(assert_shape(m, MESSAGE)["conversation_id"] == found["id"] for m in messages)
        assert messages[-1]["timestamp"] == found["last_message_at"]
        longest = max(longest, len(messages))
    assert longest >= 3


# ---- GET /conversations ---------------------------------------------------------------------

def test_conversation_list_filters_by_status(demo):
    default = demo.get("/conversations").json()
    opened = demo.get("/conversations", params={"status": "open"}).json()
    solved = demo.get("/conversations", params={"status": "solved"}).json()
    everything = demo.get("/conversations", params={"status": "all"}).json()
    assert default == opened
    assert opened and solved
    assert {c["status"] for c in opened} == {"open"} and {c["status"] for c in solved} == {"solved"}
    assert all(c["solved_at"] is None for c in opened)
    assert all(TIMESTAMP.match(c["solved_at"]) for c in solved)
    assert {c["id"] for c in everything} == {c["id"] for c in opened} | {c["id"] for c in solved}
    assert len(everything) == len(opened) + len(solved)
    stamps = [c["last_message_at"] for c in everything]
    assert stamps == sorted(stamps, reverse=True)  # most recent first


def test_conversation_list_pages(demo):
    everything = demo.get("/conversations", params={"status": "all"}).json()
    first = demo.get("/conversations", params={"status": "all", "limit": 7}).json()
    second = demo.get("/conversations", params={"status": "all", "limit": 7, "offset": 7}).json()
    assert first == everything[:7] and second == everything[7:14]
    assert demo.get("/conversations", params={"status": "all", "offset": len(everything)}).json() == []
    assert len(demo.get("/conversations", params={"status": "all", "offset": 3}).json()) == len(everything) - 3


def test_solving_and_reopening(demo_sandbox, demo, thread):
    response = demo.post(f"/conversations/{thread}/status", json={"status": "solved"})
    assert response.status_code == 200
    solved = assert_shape(response.json(), CONVERSATION)
    assert solved["id"] == thread and solved["status"] == "solved" and TIMESTAMP.match(solved["solved_at"])
    assert thread not in [c["id"] for c in demo.get("/conversations").json()]
    assert thread in [c["id"] for c in demo.get("/conversations", params={"status": "solved"}).json()]
    again = demo.post(f"/conversations/{thread}/status", json={"status": "solved"}).json()
    assert again["solved_at"] == solved["solved_at"]  # solving twice keeps the first time
    reopened = demo.post(f"/conversations/{thread}/status", json={"status": "open"}).json()
    assert reopened["status"] == "open" and reopened["solved_at"] is None
    assert thread in [c["id"] for c in demo.get("/conversations").json()]


def test_read_clears_unread(demo_sandbox, demo):
    number = phone()
    first = inbound(demo_sandbox, 2, number, body="one")
    inbound(demo_sandbox, 2, number, body="two")
    thread = first["conversation_id"]
    assert conversation(demo_sandbox, thread)["unread"] == 2
    response = demo.post(f"/conversations/{thread}/read")
    assert response.status_code == 204 and response.content == b""
    assert conversation(demo_sandbox, thread)["unread"] == 0
    assert demo.post(f"/conversations/{thread}/read").status_code == 204  # idempotent


# ---- POST /sandbox/inbound ------------------------------------------------------------------

def test_inbound_creates_a_conversation(demo_sandbox, demo):
    number, name = phone(), unique("Siti")
    result = inbound(demo_sandbox, 4, number, body="Apakah toko buka?", name=name)
    assert set(result) == {"conversation_id", "message"}
    message = assert_shape(result["message"], MESSAGE)
    assert message["from_me"] is False and message["status"] == "received" and message["sender_user_id"] is None
    assert message["body"] == "Apakah toko buka?"
    found = conversation(demo_sandbox, result["conversation_id"])
    assert found["device_id"] == 4 and found["contact_phone"] == number and found["contact_name"] == name
    assert found["unread"] == 1 and found["status"] == "open" and found["last_message"] == "Apakah toko buka?"
    assert TIMESTAMP.match(found["created_at"])
    assert inbound(demo_sandbox, 4, number, name="Other Name")["conversation_id"] == result["conversation_id"]
    assert demo.get("/contacts", params={"q": number}).json()[0]["name"] == name


def test_inbound_reopens_a_solved_conversation(demo_sandbox, demo, thread):
    assert conversation(demo_sandbox, thread)["unread"] == 1
    assert demo.post(f"/conversations/{thread}/status", json={"status": "solved"}).status_code == 200
    inbound(demo_sandbox, 1, conversation(demo_sandbox, thread)["contact_phone"], body="Masih ada pertanyaan")
    reopened = conversation(demo_sandbox, thread)
    assert reopened["status"] == "open" and reopened["solved_at"] is None
    assert reopened["unread"] == 2 and reopened["last_message"] == "Masih ada pertanyaan"


def test_inbound_media_and_groups(demo_sandbox, demo_root):
    result = inbound(demo_sandbox, 2, phone(), body="", media_type="image", is_group=True)
    message = result["message"]
    assert message["media_type"] == "image" and message["media_url"].startswith("/media/")
    served = demo_root.get(message["media_url"])
    assert served.status_code == 200 and served.headers["content-type"].startswith("image/")
    assert conversation(demo_sandbox, result["conversation_id"])["is_group"] is True
