"""Every capability rule of docs/contract.md's table, and inbox scoping for user tokens."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.sandbox.helpers import (
    BILLING,
    CONVERSATION,
    DEVICE,
    INBOX,
    MANAGER,
    PASSWORD,
    PNG,
    SALES,
    SUPPORT,
    USER,
    VIP,
    add_device,
    api,
    assert_error,
    assert_shape,
    email,
    inbound,
    make_role,
    make_user,
    phone,
    signed_in,
    unique,
    user_with_caps,
)


@dataclass
class World:
    """Targets for the capability table, made with the API key in the scratch workspace."""

    inbox: int  # the users under test are members of it
    device: int  # connected, in `inbox`
    spare_device: int  # in no inbox
    conversation: int  # on `device`
    user: int  # a member of `inbox`
    role: int  # assigned to nobody
    webhook: int
    name: str  # unused names, email, phone and url, for creating things
    email: str
    phone: str
    url: str


@pytest.fixture
def world(scratch_sandbox, scratch) -> Iterator[World]:
    inbox = scratch.post("/inboxes", json={"name": unique("Team")}).json()["id"]
    device = add_device(scratch_sandbox, unique("Main"), phone(), inbox_id=inbox)
    spare = add_device(scratch_sandbox, unique("Spare"), phone())
    conversation = inbound(scratch_sandbox, device, phone())["conversation_id"]
    agent_role = make_role(scratch_sandbox, ["chats.send"])
    user = make_user(scratch_sandbox, agent_role["id"], [inbox])["id"]
    role = make_role(scratch_sandbox)["id"]
    webhook = scratch.post("/webhooks", json={"url": f"http://127.0.0.1:9/{unique('unused')}"}).json()["id"]
    yield World(inbox, device, spare, conversation, user, role, webhook, unique("Name"), email(), phone(),
                f"http://127.0.0.1:9/{unique('hook')}")  # refused at once if ever delivered to
    scratch.delete(f"/webhooks/{webhook}")  # later inbound messages in this workspace need not try it


# (capability, method, path, body, success status); `{name}` is filled from the World.
RULES = [
    ("chats.send", "POST", "/conversations/{conversation}/messages", {"Body": "hello"}, 201),
    ("chats.send", "POST", "/conversations/{conversation}/read", None, 204),
    ("chats.send", "POST", "/conversations/{conversation}/status", {"status": "solved"}, 200),
    ("chats.send", "POST", "/messages/send", {"to": "{phone}", "body": "hi"}, 201),
    ("chats.send", "POST", "/messages/send",
     {"to": "{phone}", "media_base64": base64.b64encode(PNG).decode(), "media_mime": "image/png"}, 201),
    ("webhooks.manage", "GET", "/webhooks", None, 200),
    ("webhooks.manage", "POST", "/webhooks", {"url": "{url}"}, 201),
    ("webhooks.manage", "DELETE", "/webhooks/{webhook}", None, 204),
    ("contacts.manage", "POST", "/contacts", {"name": "Budi", "phone": "{phone}"}, 201),
    ("users.manage", "GET", "/users", None, 200),
    ("users.manage", "POST", "/users",
     {"name": "New", "email": "{email}", "password": PASSWORD, "role_id": "{role}"}, 201),
    ("users.manage", "PUT", "/users/{user}", {"status": "idle"}, 200),
    ("users.manage", "PATCH", "/users/{user}", {"status": "idle"}, 200),
    ("users.manage", "DELETE", "/users/{user}", None, 204),
    ("users.manage", "PUT", "/users/{user}/password", {"password": "a-new-password"}, 204),
    ("roles.manage", "POST", "/roles", {"name": "{name}"}, 201),
    ("roles.manage", "PUT", "/roles/{role}", {"capabilities": ["analytics.view"]}, 200),
    ("roles.manage", "PATCH", "/roles/{role}", {"name": "{name}"}, 200),
    ("roles.manage", "DELETE", "/roles/{role}", None, 204),
    ("inboxes.manage", "POST", "/inboxes", {"name": "{name}"}, 201),
    ("inboxes.manage", "PUT", "/inboxes/{inbox}", {"description": "changed"}, 200),
    ("inboxes.manage", "PATCH", "/inboxes/{inbox}", {"color": "#123456"}, 200),
    ("inboxes.manage", "DELETE", "/inboxes/{inbox}", None, 204),
    ("inboxes.manage", "POST", "/inboxes/{inbox}/members", {"user_id": "{user}"}, 204),
    ("inboxes.manage", "DELETE", "/inboxes/{inbox}/members/{user}", None, 204),
    ("inboxes.manage", "POST", "/inboxes/{inbox}/devices", {"device_id": "{spare_device}"}, 204),
    ("inboxes.manage", "DELETE", "/inboxes/{inbox}/devices/{device}", None, 204),
]


def _fill(template, world: World):
    values = vars(world)
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template[1:-1] in values:
            return values[template[1:-1]]
        return template.format(**values)
    if isinstance(template, dict):
        return {key: _fill(value, world) for key, value in template.items()}
    return template


@pytest.mark.parametrize(("capability", "method", "path", "body", "success"), RULES,
                         ids=[f"{r[1]} {r[2]}" for r in RULES])
def test_capability_rule(scratch_sandbox, world, capability, method, path, body, success):
    path, body = _fill(path, world), _fill(body, world)
    others = [c for c in ("chats.send", "webhooks.manage", "contacts.manage", "users.manage", "roles.manage",
                          "inboxes.manage", "analytics.view") if c != capability]
    with user_with_caps(scratch_sandbox, others, [world.inbox]) as lacking:
        response = lacking.request(method, path, json=body)
        assert_error(response, 403, capability)
        assert response.json()["capability"] == capability
    with user_with_caps(scratch_sandbox, [capability], [world.inbox]) as holder:
        response = holder.request(method, path, json=body)
        assert response.status_code == success, response.text
        if success == 204:
            assert response.content == b""
        else:
            assert isinstance(response.json(), (dict, list))


def test_sent_messages_name_the_user_who_sent_them(scratch_sandbox, world):
    with user_with_caps(scratch_sandbox, ["chats.send"], [world.inbox]) as agent:
        response = agent.post(f"/conversations/{world.conversation}/messages", json={"Body": "from a person"})
        assert response.status_code == 201
        assert response.json()["sender_user_id"] == agent.user["id"]
        sent = agent.post("/messages/send", json={"to": phone(), "body": "hi"}).json()
        assert sent["message"]["sender_user_id"] == agent.user["id"]


@pytest.mark.parametrize(("method", "path", "body", "success"), [
    ("GET", "/roles", None, 200),
    ("GET", "/me", None, 200),
    ("PUT", "/me/password", {"current_password": PASSWORD, "new_password": "another-password"}, 204),
    ("GET", "/conversations", None, 200),
    ("GET", "/conversations/{conversation}/messages", None, 200),
    ("GET", "/contacts", None, 200),
    ("GET", "/devices", None, 200),
    ("GET", "/wa/status", None, 200),
    ("GET", "/inboxes", None, 200),
    ("GET", "/inboxes/{inbox}/members", None, 200),
])
def test_reading_needs_no_capability(scratch_sandbox, world, method, path, body, success):
    with user_with_caps(scratch_sandbox, [], [world.inbox]) as nobody:
        response = nobody.request(method, _fill(path, world), json=body)
    assert response.status_code == success, response.text
    if success == 200:
        assert response.json()  # something of the user's own inbox, or their own account


def test_get_roles_lists_every_role_for_anyone(demo_sandbox, demo):
    with user_with_caps(demo_sandbox, []) as nobody:
        assert nobody.get("/roles").json() == demo.get("/roles").json()


def test_a_user_without_capabilities_can_change_their_own_password(demo_sandbox):
    with user_with_caps(demo_sandbox, []) as nobody:
        response = nobody.put("/me/password", json={"current_password": PASSWORD, "new_password": "brand-new-pw"})
        assert response.status_code == 204 and response.content == b""
        email_address = nobody.user["email"]
    with signed_in(demo_sandbox, email_address, "brand-new-pw") as again:
        assert again.get("/me").json()["user"]["email"] == email_address


def test_capability_errors_do_not_depend_on_the_target_existing(demo_sandbox):
    """403 (missing capability) comes before 404, so the answer says what to ask an admin for."""
    with user_with_caps(demo_sandbox, []) as nobody:
        response = nobody.delete("/users/999999")
    assert_error(response, 403, "users.manage")


# ---- inbox scoping --------------------------------------------------------------------------

@pytest.fixture
def everything(demo_sandbox) -> dict:
    """What the API key sees in the demo workspace: every conversation and contact."""
    with api(demo_sandbox) as admin:
        return {"conversations": admin.get("/conversations", params={"status": "all"}).json(),
                "contacts": admin.get("/contacts").json(), "devices": admin.get("/devices").json()}


def _conversations_of(everything: dict, *inboxes: int) -> list[dict]:
    return [c for c in everything["conversations"] if c["inbox_id"] in inboxes]


def test_a_scoped_user_sees_only_their_inboxes(demo_sandbox, everything):
    with user_with_caps(demo_sandbox, [], [SUPPORT, VIP]) as scoped:
        devices = scoped.get("/devices").json()
        assert [assert_shape(d, DEVICE)["id"] for d in devices] == [2, 4]
        assert [d["device_id"] for d in scoped.get("/wa/status").json()["devices"]] == [2, 4]
        inboxes = scoped.get("/inboxes").json()
        assert [assert_shape(i, INBOX)["name"] for i in inboxes] == ["Support", "VIP"]
        conversations = scoped.get("/conversations", params={"status": "all"}).json()
        expected = _conversations_of(everything, SUPPORT, VIP)
        assert len(expected) > 100
        assert {c["id"] for c in conversations} == {c["id"] for c in expected}
        assert {assert_shape(c, CONVERSATION)["device_id"] for c in conversations} == {2, 4}
        contacts = {c["id"] for c in scoped.get("/contacts").json()}
        assert contacts == {c["contact_id"] for c in expected}
        assert len(contacts) < len(everything["contacts"])
        members = scoped.get(f"/inboxes/{SUPPORT}/members").json()
        assert scoped.user["id"] in [assert_shape(m, USER)["id"] for m in members]
        assert all(SUPPORT in m["inbox_ids"] for m in members)


def test_a_user_in_no_inbox_sees_nothing(demo_sandbox):
    with user_with_caps(demo_sandbox, ["chats.send"], []) as lonely:
        for path in ("/devices", "/conversations", "/contacts", "/inboxes"):
            assert lonely.get(path).json() == [], path
        assert lonely.get("/wa/status").json() == {"devices": []}
        assert lonely.get("/roles").status_code == 200
        assert_error(lonely.post("/messages/send", json={"to": phone(), "body": "hi"}), 409, "device")


def test_inbox_view_all_sees_everything(demo_sandbox, everything):
    with signed_in(demo_sandbox, MANAGER) as manager:
        assert manager.user["inbox_ids"] == []
        assert manager.get("/devices").json() == everything["devices"]
        assert len(manager.get("/inboxes").json()) == 4
        ids = {c["id"] for c in manager.get("/conversations", params={"status": "all"}).json()}
        assert ids == {c["id"] for c in everything["conversations"]}
        assert len(manager.get("/contacts").json()) == len(everything["contacts"])
        sales = _conversations_of(everything, SALES)[0]
        assert manager.get(f"/conversations/{sales['id']}/messages").status_code == 200
        assert manager.get(f"/inboxes/{SALES}/members").status_code == 200


def test_objects_outside_the_users_inboxes_answer_404(demo_sandbox, everything):
    sales = _conversations_of(everything, SALES)[0]["id"]
    with user_with_caps(demo_sandbox, ["chats.send", "inboxes.manage"], [SUPPORT]) as scoped:
        cases = [
            ("GET", f"/conversations/{sales}/messages", None),
            ("POST", f"/conversations/{sales}/messages", {"Body": "hello"}),
            ("POST", f"/conversations/{sales}/read", None),
            ("POST", f"/conversations/{sales}/status", {"status": "solved"}),
            ("GET", f"/inboxes/{SALES}/members", None),
            ("PUT", f"/inboxes/{SALES}", {"name": "Hijacked"}),
            ("PATCH", f"/inboxes/{SALES}", {"description": "hijacked"}),
            ("DELETE", f"/inboxes/{SALES}", None),
            ("POST", f"/inboxes/{SALES}/members", {"user_id": 1}),
            ("DELETE", f"/inboxes/{SALES}/members/2", None),
            ("POST", f"/inboxes/{SALES}/devices", {"device_id": 2}),
            ("DELETE", f"/inboxes/{SALES}/devices/1", None),
        ]
        for method, path, body in cases:
            assert_error(scoped.request(method, path, json=body), 404, "not found")
        # A device outside the user's inboxes is as unknown as a missing one (never reveal it exists).
        assert_error(scoped.post(f"/inboxes/{SUPPORT}/devices", json={"device_id": 1}), 400, "device_id")
        assert_error(scoped.post("/messages/send", json={"to": phone(), "body": "x", "device_id": 1}), 400,
                     "device_id")
        assert_error(scoped.post("/messages/send", json={"to": phone(), "body": "x", "from": "+6281110001001"}),
                     400, "from")
    with api(demo_sandbox) as admin:
        sales_inbox = admin.get("/inboxes").json()[0]
        assert sales_inbox["name"] == "Sales" and sales_inbox["device_ids"] == [1]
        assert 2 in sales_inbox["member_ids"]
        assert admin.get("/devices").json() == everything["devices"]
        assert next(c for c in admin.get("/conversations", params={"status": "all"}).json()
                    if c["id"] == sales)["status"] == _conversations_of(everything, SALES)[0]["status"]


def test_media_follows_inbox_scope(demo_sandbox):
    in_sales = inbound(demo_sandbox, 1, phone(), body="", media_type="image")["message"]["media_url"]
    in_support = inbound(demo_sandbox, 2, phone(), body="", media_type="image")["message"]["media_url"]
    with user_with_caps(demo_sandbox, [], [SUPPORT]) as scoped, \
            api(demo_sandbox, scoped.token, root=True) as root:
        assert root.get(in_support).status_code == 200
        assert_error(root.get(in_sales), 404)
        assert scoped.get(in_support.removeprefix("/")).status_code == 200  # also under /api/v1
        assert_error(scoped.get(in_sales.removeprefix("/")), 404)
    with api(demo_sandbox, root=True) as admin:
        assert admin.get(in_sales).status_code == 200


def test_scoped_sender_uses_the_first_connected_device_of_their_inboxes(demo_sandbox):
    with user_with_caps(demo_sandbox, ["chats.send"], [BILLING, VIP]) as scoped:
        sent = scoped.post("/messages/send", json={"to": phone(), "body": "hello"})
        assert sent.status_code == 201, sent.text
        assert next(c for c in scoped.get("/conversations").json()
                    if c["id"] == sent.json()["conversation_id"])["device_id"] == VIP
    with user_with_caps(demo_sandbox, ["chats.send"], [BILLING]) as billing_only:
        assert_error(billing_only.post("/messages/send", json={"to": phone(), "body": "hello"}), 409)


def test_scope_follows_membership_changes_at_once(demo_sandbox, demo):
    with user_with_caps(demo_sandbox, [], [SUPPORT]) as scoped:
        assert [d["id"] for d in scoped.get("/devices").json()] == [2]
        assert demo.put(f"/users/{scoped.user['id']}", json={"inbox_ids": [VIP]}).status_code == 200
        assert [d["id"] for d in scoped.get("/devices").json()] == [4]
        assert demo.post(f"/inboxes/{SALES}/members", json={"user_id": scoped.user["id"]}).status_code == 204
        assert [d["id"] for d in scoped.get("/devices").json()] == [1, 4]
        assert demo.delete(f"/inboxes/{SALES}/members/{scoped.user['id']}").status_code == 204
        assert [d["id"] for d in scoped.get("/devices").json()] == [4]


def test_a_scoped_creator_becomes_a_member_of_the_inbox_it_makes(demo_sandbox, demo):
    with user_with_caps(demo_sandbox, ["inboxes.manage"], [SUPPORT]) as creator:
        created = creator.post("/inboxes", json={"name": unique("Inbox")})
        assert created.status_code == 201
        inbox = created.json()
        assert creator.user["id"] in inbox["member_ids"]
        assert inbox["id"] in [i["id"] for i in creator.get("/inboxes").json()]
        assert creator.put(f"/inboxes/{inbox['id']}", json={"description": "mine"}).json()["description"] == "mine"
        assert creator.delete(f"/inboxes/{inbox['id']}").status_code == 204
    assert inbox["id"] not in [i["id"] for i in demo.get("/inboxes").json()]
