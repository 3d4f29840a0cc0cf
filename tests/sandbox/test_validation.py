"""Every validation error docs/contract.md names: 400 (or 404/409/413) with `{"error"}` naming what is wrong."""

from __future__ import annotations

import base64

import pytest

from tests.sandbox.helpers import (
    DISCONNECTED_DEVICE,
    PASSWORD,
    PNG,
    assert_error,
    email,
    inbound,
    login,
    make_role,
    make_user,
    phone,
    unique,
    user_with_caps,
)

MIB = 1024 * 1024
PNG_B64 = base64.b64encode(PNG).decode()
BAD_PHONES = ["081234567890", "6281234567890", "+0812345678", "+62 812 3456 7890", "+62-812-3456", "+62812345678901234",
              "+62", "", "+6281234567890\n", "\n+6281234567890", "+62812345６７８", "+62abc4567890"]
BAD_EMAILS = ["not-an-email", "a@b", "@example.com", "budi@", "bu di@example.com", "budi@exa mple.com", ""]
BAD_COLOURS = ["red", "#12345", "#1234567", "16a34a", "#gggggg", "#16a34a\n", "rgb(1,2,3)"]


@pytest.fixture(scope="module")
def role_id(scratch_sandbox) -> int:
    return make_role(scratch_sandbox)["id"]


def _user_body(role_id: int, **changes) -> dict:
    return {"name": "Budi", "email": email(), "password": PASSWORD, "role_id": role_id, "inbox_ids": [], **changes}


# ---- phone numbers (E.164) ------------------------------------------------------------------

@pytest.mark.parametrize("bad", BAD_PHONES)
def test_send_to_must_be_e164(demo, bad):
    assert_error(demo.post("/messages/send", json={"to": bad, "body": "hi"}), 400, "to", "E.164")


@pytest.mark.parametrize("bad", BAD_PHONES)
def test_contact_phone_must_be_e164(scratch, bad):
    assert_error(scratch.post("/contacts", json={"name": "Budi", "phone": bad}), 400, "phone", "E.164")


@pytest.mark.parametrize("bad", BAD_PHONES)
def test_inbound_from_must_be_e164(demo_root, bad):
    response = demo_root.post("/sandbox/inbound", json={"device_id": 1, "from": bad, "body": "hi"})
    assert_error(response, 400, "from", "E.164")


@pytest.mark.parametrize("good", ["+6281234567890", "+12025550123", "+4915112345678"])
def test_e164_numbers_are_accepted(scratch, good):
    response = scratch.post("/contacts", json={"name": unique("Good"), "phone": good})
    assert response.status_code == 201, response.text
    assert scratch.get("/contacts", params={"q": good}).json()[0]["phone"] == good


# ---- passwords ------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["", "short", "1234567"])
def test_new_user_password_needs_8_characters(scratch, role_id, bad):
    assert_error(scratch.post("/users", json=_user_body(role_id, password=bad)), 400, "password", "8")


def test_a_password_of_exactly_8_characters_is_fine(scratch_sandbox, scratch, role_id):
    body = _user_body(role_id, password="12345678")
    assert scratch.post("/users", json=body).status_code == 201
    assert login(scratch_sandbox, body["email"], "12345678")


def test_password_reset_needs_8_characters(scratch_sandbox, scratch, role_id):
    user = make_user(scratch_sandbox, role_id)
    assert_error(scratch.put(f"/users/{user['id']}/password", json={"password": "1234567"}), 400, "password", "8")
    assert login(scratch_sandbox, user["email"])  # unchanged


def test_my_new_password_needs_8_characters(scratch_sandbox):
    with user_with_caps(scratch_sandbox) as user:
        response = user.put("/me/password", json={"current_password": PASSWORD, "new_password": "1234567"})
        assert_error(response, 400, "new_password", "8")


def test_my_current_password_must_be_right(scratch_sandbox):
    with user_with_caps(scratch_sandbox) as user:
        response = user.put("/me/password", json={"current_password": "not-my-password", "new_password": "12345678"})
        assert_error(response, 400, "current_password")
        assert login(scratch_sandbox, user.user["email"])  # unchanged


def test_an_api_key_has_no_password_to_change(demo):
    response = demo.put("/me/password", json={"current_password": PASSWORD, "new_password": "12345678"})
    assert_error(response, 400, "API key")


@pytest.mark.parametrize("body", [{}, {"current_password": PASSWORD}, {"new_password": "12345678"}])
def test_my_password_change_needs_both_fields(scratch_sandbox, body):
    with user_with_caps(scratch_sandbox) as user:
        missing = ({"current_password", "new_password"} - set(body)).pop()
        assert_error(user.put("/me/password", json=body), 400, missing)


# ---- users ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", BAD_EMAILS)
def test_user_email_must_be_an_address(scratch, role_id, bad):
    assert_error(scratch.post("/users", json=_user_body(role_id, email=bad)), 400, "email")


@pytest.mark.parametrize("bad", BAD_EMAILS)
def test_user_email_update_must_be_an_address(scratch_sandbox, scratch, role_id, bad):
    user = make_user(scratch_sandbox, role_id)
    assert_error(scratch.put(f"/users/{user['id']}", json={"email": bad}), 400, "email")


def test_duplicate_email_answers_409(scratch_sandbox, scratch, role_id):
    first = make_user(scratch_sandbox, role_id)
    assert_error(scratch.post("/users", json=_user_body(role_id, email=first["email"])), 409, first["email"])
    assert_error(scratch.post("/users", json=_user_body(role_id, email=first["email"].upper())), 409)
    second = make_user(scratch_sandbox, role_id)
    assert_error(scratch.put(f"/users/{second['id']}", json={"email": first["email"]}), 409, "email")
    assert scratch.put(f"/users/{first['id']}", json={"email": first["email"]}).status_code == 200  # own address


@pytest.mark.parametrize(("field", "bad"), [
    ("status", "busy"), ("status", "ONLINE"), ("status", ""), ("role_id", 0), ("role_id", "x"), ("inbox_ids", 1),
    ("inbox_ids", [0]), ("name", ""), ("name", "   "), ("name", "a\x00b"), ("name", None), ("email", None),
])
def test_user_update_values_are_checked(scratch_sandbox, scratch, role_id, field, bad):
    user = make_user(scratch_sandbox, role_id)
    assert_error(scratch.put(f"/users/{user['id']}", json={field: bad}), 400, field)
    assert scratch.put(f"/users/{user['id']}", json={}).json() == user  # nothing changed


def test_unknown_ids_in_user_bodies_answer_400(scratch_sandbox, scratch, role_id):
    assert_error(scratch.post("/users", json=_user_body(999_999)), 400, "role_id", "999999")
    assert_error(scratch.post("/users", json=_user_body(role_id, inbox_ids=[999_998])), 400, "inbox_ids", "999998")
    user = make_user(scratch_sandbox, role_id)
    assert_error(scratch.put(f"/users/{user['id']}", json={"role_id": 999_999}), 400, "role_id")
    assert_error(scratch.put(f"/users/{user['id']}", json={"inbox_ids": [999_999]}), 400, "inbox_ids")


def test_deleting_your_own_user_answers_400(scratch_sandbox):
    with user_with_caps(scratch_sandbox, ["users.manage"]) as manager:
        assert_error(manager.delete(f"/users/{manager.user['id']}"), 400, "own")
        assert manager.get("/me").status_code == 200


# ---- roles ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [["chats.sendd"], ["users.manage", "admin"], ["CHATS.SEND"], [""], "chats.send", [1]])
def test_unknown_capabilities_answer_400(scratch, role_id, bad):
    error = assert_error(scratch.put(f"/roles/{role_id}", json={"capabilities": bad}), 400, "capabilit")
    if isinstance(bad, list) and all(isinstance(b, str) and b for b in bad):
        assert any(b in error for b in bad if b not in ("users.manage",)), error
    assert scratch.put(f"/roles/{role_id}", json={}).json()["capabilities"] == []


def test_renaming_a_system_role_answers_400(demo):
    error = assert_error(demo.put("/roles/1", json={"name": "Boss"}), 400, "system")
    assert "Admin" in error
    assert_error(demo.patch("/roles/2", json={"name": "Helper"}), 400, "system")
    assert [r["name"] for r in demo.get("/roles").json()[:2]] == ["Admin", "Agent"]
    assert demo.put("/roles/2", json={"name": "Agent"}).status_code == 200  # its own name: no change


def test_deleting_a_system_role_answers_400(demo):
    assert_error(demo.delete("/roles/2"), 400, "system")
    assert demo.get("/roles").json()[1]["name"] == "Agent"


def test_deleting_a_role_still_assigned_answers_409_with_the_count(scratch_sandbox, scratch):
    role = make_role(scratch_sandbox)
    users = [make_user(scratch_sandbox, role["id"]) for _ in range(3)]
    error = assert_error(scratch.delete(f"/roles/{role['id']}"), 409, "3 users")
    assert role["name"] in error
    for user in users:
        assert scratch.delete(f"/users/{user['id']}").status_code == 204
    assert scratch.delete(f"/roles/{role['id']}").status_code == 204


def test_duplicate_role_name_answers_409(scratch_sandbox, scratch):
    role = make_role(scratch_sandbox)
    assert_error(scratch.post("/roles", json={"name": role["name"]}), 409, role["name"])


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": " "}, {"name": None}, {"name": 5}, {"name": "x" * 201}])
def test_role_names_are_checked(scratch, body):
    assert_error(scratch.post("/roles", json=body), 400, "name")


# ---- inboxes --------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", BAD_COLOURS)
def test_inbox_colours_are_rrggbb(scratch, bad):
    assert_error(scratch.post("/inboxes", json={"name": unique("Inbox"), "color": bad}), 400, "color")


@pytest.mark.parametrize("bad", BAD_COLOURS)
def test_inbox_colour_updates_are_rrggbb(scratch, bad):
    inbox = scratch.post("/inboxes", json={"name": unique("Inbox"), "color": "#16a34a"}).json()
    assert_error(scratch.put(f"/inboxes/{inbox['id']}", json={"color": bad}), 400, "color")
    assert scratch.put(f"/inboxes/{inbox['id']}", json={}).json()["color"] == "#16a34a"


def test_upper_case_colours_are_fine(scratch):
    response = scratch.post("/inboxes", json={"name": unique("Inbox"), "color": "#ABCDEF"})
    assert response.status_code == 201 and response.json()["color"].lower() == "#abcdef"


def test_unknown_ids_in_inbox_bodies_answer_400(scratch):
    inbox = scratch.post("/inboxes", json={"name": unique("Inbox")}).json()["id"]
    assert_error(scratch.post(f"/inboxes/{inbox}/members", json={"user_id": 999_999}), 400, "user_id", "999999")
    assert_error(scratch.post(f"/inboxes/{inbox}/devices", json={"device_id": 999_999}), 400, "device_id")
    assert_error(scratch.post(f"/inboxes/{inbox}/members", json={}), 400, "user_id")
    assert_error(scratch.post(f"/inboxes/{inbox}/devices", json={"device_id": "two"}), 400, "device_id")


def test_duplicate_inbox_name_answers_409(scratch):
    name = unique("Inbox")
    assert scratch.post("/inboxes", json={"name": name}).status_code == 201
    assert_error(scratch.post("/inboxes", json={"name": name}), 409, name)


# ---- contacts -------------------------------------------------------------------------------

def test_duplicate_contact_phone_answers_409(scratch):
    number = phone()
    assert scratch.post("/contacts", json={"name": "Budi", "phone": number}).status_code == 201
    assert_error(scratch.post("/contacts", json={"name": "Someone else", "phone": number}), 409, number)


def test_contact_needs_a_name(scratch):
    assert_error(scratch.post("/contacts", json={"name": " ", "phone": phone()}), 400, "name")
    assert_error(scratch.post("/contacts", json={"phone": phone()}), 400, "name")


# ---- messages and media ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def sales_conversation(demo_sandbox) -> int:
    return inbound(demo_sandbox, 1, phone())["conversation_id"]


@pytest.mark.parametrize("bad", ["not base64!", "aGVsbG8", "aGVsbG8===", "😀😀😀😀", "aGVs bG8="])
def test_media_must_be_base64(demo, sales_conversation, bad):
    response = demo.post("/messages/send", json={"to": phone(), "media_base64": bad, "media_mime": "image/png"})
    assert_error(response, 400, "base64")
    response = demo.post(f"/conversations/{sales_conversation}/messages",
                         json={"MediaBase64": bad, "MediaMime": "image/png"})
    assert_error(response, 400, "base64")


def test_media_needs_a_mime_type(demo, sales_conversation):
    assert_error(demo.post("/messages/send", json={"to": phone(), "media_base64": PNG_B64}), 400, "mime")
    assert_error(demo.post("/messages/send", json={"to": phone(), "media_base64": PNG_B64, "media_mime": " "}),
                 400, "mime")
    assert_error(demo.post(f"/conversations/{sales_conversation}/messages", json={"MediaBase64": PNG_B64}), 400, "mime")
    assert_error(demo.post("/messages/send", json={"to": phone(), "media_base64": PNG_B64, "media_mime": "png"}),
                 400, "mime")


def test_a_message_needs_a_body_or_media(demo, sales_conversation):
    assert_error(demo.post("/messages/send", json={"to": phone()}), 400, "body")
    assert_error(demo.post("/messages/send", json={"to": phone(), "body": "   "}), 400, "body")
    assert_error(demo.post(f"/conversations/{sales_conversation}/messages", json={}), 400, "Body")
    # snake_case is not this endpoint's spelling: `body` alone is no Body
    assert_error(demo.post(f"/conversations/{sales_conversation}/messages", json={"body": "hi"}), 400, "Body")


def test_unknown_reply_to_answers_400(demo, sales_conversation):
    response = demo.post(f"/conversations/{sales_conversation}/messages", json={"Body": "hi", "ReplyTo": "3EB0NOPE"})
    assert_error(response, 400, "reply")


def _media(size: int) -> str:
    return base64.b64encode(bytes(size)).decode()


def test_images_over_16_mib_answer_413(demo):
    response = demo.post("/messages/send", json={"to": phone(), "media_base64": _media(16 * MIB + 1),
                                                 "media_mime": "image/jpeg"})
    assert_error(response, 413, "16")


def test_a_17_mib_document_is_fine(demo):
    response = demo.post("/messages/send", json={"to": phone(), "media_base64": _media(17 * MIB),
                                                 "media_mime": "application/pdf", "media_filename": "big.pdf"})
    assert response.status_code == 201, response.text[:300]
    message = response.json()["message"]
    assert message["media_type"] == "document" and message["media_filename"] == "big.pdf"
    served = demo.get(message["media_url"].removeprefix("/"))
    assert served.status_code == 200 and len(served.content) == 17 * MIB


def test_documents_over_100_mib_answer_413(demo):
    encoded = b"A" * (4 * ((100 * MIB + 3) // 3))  # base64 of 100 MiB + 3 zero bytes, built without copies
    body = b'{"to": "' + phone().encode() + b'", "media_mime": "application/pdf", "media_base64": "' + encoded + b'"}'
    response = demo.post("/messages/send", content=body, headers={"Content-Type": "application/json"}, timeout=120)
    assert_error(response, 413, "100")


@pytest.mark.parametrize("bad", ["closed", "OPEN", "", None, 1, ["open"]])
def test_conversation_status_values_are_checked(demo, sales_conversation, bad):
    response = demo.post(f"/conversations/{sales_conversation}/status", json={"status": bad})
    assert_error(response, 400, "status")


@pytest.mark.parametrize("bad", ["closed", "OPEN", ""])
def test_conversation_list_status_values_are_checked(demo, bad):
    assert_error(demo.get("/conversations", params={"status": bad}), 400, "status")


@pytest.mark.parametrize(("name", "value"), [("limit", "0"), ("limit", "-1"), ("limit", "x"), ("offset", "-1"),
                                             ("offset", "1.5"), ("limit", str(10**30))])
def test_conversation_list_paging_values_are_checked(demo, name, value):
    assert_error(demo.get("/conversations", params={name: value}), 400, name)


def test_unknown_device_id_in_a_send_answers_400(demo):
    response = demo.post("/messages/send", json={"to": phone(), "body": "hi", "device_id": 999_999})
    assert_error(response, 400, "device_id")


def test_device_id_and_from_must_agree(demo):
    response = demo.post("/messages/send", json={"to": phone(), "body": "hi", "device_id": 1,
                                                 "from": "+6281110002002"})
    assert_error(response, 400, "from")


def test_unknown_from_answers_400(demo):
    response = demo.post("/messages/send", json={"to": phone(), "body": "hi", "from": "+6289999999999"})
    assert_error(response, 400, "from")


def test_inbound_checks_its_body(demo_root):
    assert_error(demo_root.post("/sandbox/inbound", json={"device_id": 999_999, "from": phone(), "body": "x"}),
                 400, "device_id")
    assert_error(demo_root.post("/sandbox/inbound", json={"device_id": 1, "from": phone()}), 400, "body")
    assert_error(demo_root.post("/sandbox/inbound", json={"device_id": 1, "from": phone(), "media_type": "gif"}),
                 400, "media_type")
    assert_error(demo_root.post("/sandbox/inbound", json={"from": phone(), "body": "x"}), 400, "device_id")


def test_sending_through_the_disconnected_device_answers_409(demo_sandbox, demo):
    response = demo.post("/messages/send", json={"to": phone(), "body": "hi", "device_id": DISCONNECTED_DEVICE})
    assert_error(response, 409, "disconnected")
    billing = inbound(demo_sandbox, DISCONNECTED_DEVICE, phone())["conversation_id"]
    assert_error(demo.post(f"/conversations/{billing}/messages", json={"Body": "hi"}), 409, "disconnected")
    assert len(demo.get(f"/conversations/{billing}/messages").json()) == 1  # nothing was stored


# ---- ids in the path ------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/conversations/999999/messages", None),
    ("POST", "/conversations/999999/messages", {"Body": "hi"}),
    ("POST", "/conversations/999999/read", None),
    ("POST", "/conversations/999999/status", {"status": "open"}),
    ("DELETE", "/webhooks/999999", None),
    ("PUT", "/users/999999", {"name": "x"}),
    ("PATCH", "/users/999999", {"name": "x"}),
    ("DELETE", "/users/999999", None),
    ("PUT", "/users/999999/password", {"password": "12345678"}),
    ("PUT", "/roles/999999", {"name": "x"}),
    ("DELETE", "/roles/999999", None),
    ("PUT", "/inboxes/999999", {"name": "x"}),
    ("DELETE", "/inboxes/999999", None),
    ("GET", "/inboxes/999999/members", None),
    ("POST", "/inboxes/999999/members", {"user_id": 1}),
    ("DELETE", "/inboxes/999999/members/1", None),
    ("DELETE", "/inboxes/1/members/999999", None),
    ("POST", "/inboxes/999999/devices", {"device_id": 1}),
    ("DELETE", "/inboxes/999999/devices/1", None),
    ("DELETE", "/inboxes/1/devices/999999", None),
    ("DELETE", "/inboxes/2/devices/1", None),  # device 1 is not in inbox 2
    ("GET", "/media/nothing-here.png", None),
])
def test_unknown_ids_in_the_path_answer_404(demo, method, path, body):
    assert_error(demo.request(method, path, json=body), 404, "not found")


@pytest.mark.parametrize("path", ["/sandbox/api-keys/999999", "/media/nothing-here.png"])
def test_unknown_sandbox_paths_answer_404(demo_root, path):
    method = "DELETE" if "api-keys" in path else "GET"
    assert_error(demo_root.request(method, path), 404, "not found")


@pytest.mark.parametrize("ident", ["0", "-1", str(10**30), "abc", "1.5"])
def test_malformed_path_ids_answer_400_or_404(demo, ident):
    response = demo.get(f"/conversations/{ident}/messages")
    assert response.status_code in (400, 404)
    assert_error(response, response.status_code)


def test_errors_name_the_field(scratch, role_id):
    error = assert_error(scratch.post("/users", json=_user_body(role_id, email="nope", password="short")), 400)
    assert "email" in error and "password" in error
