"""Users, roles, inboxes (members, devices), contacts and devices: status codes, shapes, partial updates."""

from __future__ import annotations

import pytest

from tests.sandbox.helpers import (
    ALL_CAPABILITIES,
    CONTACT,
    DEVICE,
    DEVICE_STATUS,
    INBOX,
    PASSWORD,
    ROLE,
    TIMESTAMP,
    USER,
    add_device,
    assert_error,
    assert_shape,
    email,
    login,
    make_role,
    make_user,
    phone,
    request,
    signed_in,
    unique,
)

# ---- roles ----------------------------------------------------------------------------------

def test_role_lifecycle(scratch):
    name = unique("Auditor")
    response = scratch.post("/roles", json={"name": name})
    assert response.status_code == 201
    role = assert_shape(response.json(), ROLE)
    assert role["name"] == name and role["is_system"] is False and role["capabilities"] == []
    assert role["user_count"] == 0
    assert role in scratch.get("/roles").json()

    response = scratch.put(f"/roles/{role['id']}", json={"capabilities": ["analytics.view", "chats.send"]})
    assert response.status_code == 200
    updated = assert_shape(response.json(), ROLE)
    assert updated["name"] == name  # not sent: unchanged
    assert sorted(updated["capabilities"]) == ["analytics.view", "chats.send"]

    renamed = scratch.put(f"/roles/{role['id']}", json={"name": name + "-2"}).json()
    assert renamed["name"] == name + "-2"
    assert sorted(renamed["capabilities"]) == ["analytics.view", "chats.send"]  # not sent: unchanged

    replaced = scratch.patch(f"/roles/{role['id']}", json={"capabilities": ["webhooks.manage"]}).json()
    assert replaced["capabilities"] == ["webhooks.manage"]  # the set is replaced, not merged
    assert scratch.put(f"/roles/{role['id']}", json={"capabilities": []}).json()["capabilities"] == []

    response = scratch.delete(f"/roles/{role['id']}")
    assert response.status_code == 204 and response.content == b""
    assert role["id"] not in [r["id"] for r in scratch.get("/roles").json()]
    assert_error(scratch.delete(f"/roles/{role['id']}"), 404)


def test_every_capability_can_be_granted(scratch):
    role = make_role_via(scratch)
    updated = scratch.put(f"/roles/{role['id']}", json={"capabilities": ALL_CAPABILITIES + ["chats.send"]}).json()
    assert sorted(updated["capabilities"]) == sorted(ALL_CAPABILITIES)  # duplicates collapse


def make_role_via(client) -> dict:
    response = client.post("/roles", json={"name": unique("role")})
    assert response.status_code == 201
    return response.json()


def test_demo_roles(demo):
    roles = demo.get("/roles").json()
    assert [(r["id"], r["name"], r["is_system"]) for r in roles[:5]] == [
        (1, "Admin", True), (2, "Agent", True), (3, "Supervisor", False), (4, "Manager", False), (5, "Analyst", False)]
    assert sorted(roles[0]["capabilities"]) == sorted(ALL_CAPABILITIES)
    assert roles[1]["capabilities"] == ["chats.send"]
    assert sorted(roles[3]["capabilities"]) == ["analytics.view", "inbox.view_all"]
    assert roles[4]["capabilities"] == ["analytics.view"]
    assert all(assert_shape(r, ROLE)["user_count"] >= 1 for r in roles[:5])


def test_user_count_follows_assignments(scratch_sandbox, scratch):
    role = make_role(scratch_sandbox)
    user = make_user(scratch_sandbox, role["id"])
    counts = {r["id"]: r["user_count"] for r in scratch.get("/roles").json()}
    assert counts[role["id"]] == 1
    other = make_role(scratch_sandbox)
    scratch.put(f"/users/{user['id']}", json={"role_id": other["id"]})
    counts = {r["id"]: r["user_count"] for r in scratch.get("/roles").json()}
    assert counts[role["id"]] == 0 and counts[other["id"]] == 1


# ---- users ----------------------------------------------------------------------------------

@pytest.fixture
def team(scratch) -> dict:
    """A role and two inboxes for the user tests."""
    role = make_role_via(scratch)
    inboxes = [scratch.post("/inboxes", json={"name": unique("Inbox")}).json()["id"] for _ in range(2)]
    return {"role": role, "inboxes": inboxes}


def test_user_lifecycle(scratch_sandbox, scratch, team):
    address = email()
    response = scratch.post("/users", json={"name": "Budi Santoso", "email": address, "password": PASSWORD,
                                            "role_id": team["role"]["id"], "inbox_ids": team["inboxes"][::-1]})
    assert response.status_code == 201
    user = assert_shape(response.json(), USER)
    assert user["name"] == "Budi Santoso" and user["email"] == address
    assert user["role_id"] == team["role"]["id"] and user["role_name"] == team["role"]["name"]
    assert user["status"] in ("online", "idle", "offline")
    assert sorted(user["inbox_ids"]) == sorted(team["inboxes"])
    assert TIMESTAMP.match(user["created_at"])
    assert user in scratch.get("/users").json()

    response = scratch.put(f"/users/{user['id']}", json={"name": "Budi S."})
    assert response.status_code == 200
    renamed = assert_shape(response.json(), USER)
    assert renamed["name"] == "Budi S."
    assert {k: v for k, v in renamed.items() if k != "name"} == {k: v for k, v in user.items() if k != "name"}

    idle = scratch.patch(f"/users/{user['id']}", json={"status": "idle"}).json()
    assert idle["status"] == "idle" and idle["name"] == "Budi S." and idle["email"] == address

    moved = scratch.put(f"/users/{user['id']}", json={"inbox_ids": [team["inboxes"][1]]}).json()
    assert moved["inbox_ids"] == [team["inboxes"][1]]  # replaces the memberships
    inboxes = {i["id"]: i for i in scratch.get("/inboxes").json()}
    assert user["id"] not in inboxes[team["inboxes"][0]]["member_ids"]
    assert user["id"] in inboxes[team["inboxes"][1]]["member_ids"]
    assert scratch.put(f"/users/{user['id']}", json={"inbox_ids": []}).json()["inbox_ids"] == []

    new_address = email()
    assert scratch.put(f"/users/{user['id']}", json={"email": new_address}).json()["email"] == new_address
    assert login(scratch_sandbox, new_address)

    response = scratch.delete(f"/users/{user['id']}")
    assert response.status_code == 204 and response.content == b""
    assert user["id"] not in [u["id"] for u in scratch.get("/users").json()]
    assert_error(scratch.delete(f"/users/{user['id']}"), 404)
    assert_error(scratch.put(f"/users/{user['id']}", json={"name": "x"}), 404)


def test_changing_role_changes_role_name(scratch_sandbox, scratch, team):
    user = make_user(scratch_sandbox, team["role"]["id"])
    other = make_role_via(scratch)
    updated = scratch.put(f"/users/{user['id']}", json={"role_id": other["id"]}).json()
    assert updated["role_id"] == other["id"] and updated["role_name"] == other["name"]


def test_every_status_can_be_set(scratch_sandbox, scratch, team):
    user = make_user(scratch_sandbox, team["role"]["id"])
    for status in ("online", "idle", "offline"):
        assert scratch.put(f"/users/{user['id']}", json={"status": status}).json()["status"] == status


def test_password_reset(scratch_sandbox, scratch, team):
    user = make_user(scratch_sandbox, team["role"]["id"])
    response = scratch.put(f"/users/{user['id']}/password", json={"password": "fresh-password"})
    assert response.status_code == 204 and response.content == b""
    assert login(scratch_sandbox, user["email"], "fresh-password")
    old = request("POST", f"{scratch_sandbox.api_url}/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert_error(old, 401)


def test_change_my_password(scratch_sandbox, team):
    user = make_user(scratch_sandbox, team["role"]["id"])
    with signed_in(scratch_sandbox, user["email"]) as me:
        response = me.put("/me/password", json={"current_password": PASSWORD, "new_password": "my-new-password"})
        assert response.status_code == 204 and response.content == b""
        assert me.get("/me").status_code == 200  # the token still works
    assert login(scratch_sandbox, user["email"], "my-new-password")
    old = request("POST", f"{scratch_sandbox.api_url}/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert_error(old, 401)


def test_demo_users(demo):
    users = {u["email"]: u for u in demo.get("/users").json()}
    assert len(users) >= 10
    for address, role in [("admin", "Admin"), ("agent", "Agent"), ("supervisor", "Supervisor"),
                          ("manager", "Manager"), ("analyst", "Analyst")]:
        assert assert_shape(users[f"{address}@demo.ceox.local"], USER)["role_name"] == role
    assert 1 <= len(users["agent@demo.ceox.local"]["inbox_ids"]) <= 2


# ---- inboxes --------------------------------------------------------------------------------

def test_inbox_lifecycle(scratch):
    name = unique("Escalations")
    response = scratch.post("/inboxes", json={"name": name, "description": "Hard cases", "color": "#dc2626"})
    assert response.status_code == 201
    inbox = assert_shape(response.json(), INBOX)
    assert inbox == {"id": inbox["id"], "name": name, "description": "Hard cases", "color": "#dc2626",
                     "member_ids": [], "device_ids": []}
    assert inbox in scratch.get("/inboxes").json()

    bare = scratch.post("/inboxes", json={"name": unique("Bare")}).json()
    assert bare["description"] == "" and bare["color"] == ""

    response = scratch.put(f"/inboxes/{inbox['id']}", json={"description": "Only the hardest"})
    assert response.status_code == 200
    assert response.json() == {**inbox, "description": "Only the hardest"}
    recoloured = scratch.patch(f"/inboxes/{inbox['id']}", json={"color": "#0f172a"}).json()
    assert recoloured == {**inbox, "description": "Only the hardest", "color": "#0f172a"}
    renamed = scratch.put(f"/inboxes/{inbox['id']}", json={"name": name + "-2"}).json()
    assert renamed["name"] == name + "-2" and renamed["color"] == "#0f172a"
    assert scratch.put(f"/inboxes/{inbox['id']}", json={"description": ""}).json()["description"] == ""

    response = scratch.delete(f"/inboxes/{inbox['id']}")
    assert response.status_code == 204 and response.content == b""
    assert inbox["id"] not in [i["id"] for i in scratch.get("/inboxes").json()]
    assert_error(scratch.delete(f"/inboxes/{inbox['id']}"), 404)


def test_members(scratch_sandbox, scratch):
    inbox = scratch.post("/inboxes", json={"name": unique("Inbox")}).json()["id"]
    role = make_role_via(scratch)
    user = make_user(scratch_sandbox, role["id"])
    assert scratch.get(f"/inboxes/{inbox}/members").json() == []
    for _ in range(2):  # idempotent
        response = scratch.post(f"/inboxes/{inbox}/members", json={"user_id": user["id"]})
        assert response.status_code == 204 and response.content == b""
    members = scratch.get(f"/inboxes/{inbox}/members").json()
    assert [assert_shape(m, USER)["id"] for m in members] == [user["id"]]
    assert members[0]["inbox_ids"] == [inbox]
    assert next(i for i in scratch.get("/inboxes").json() if i["id"] == inbox)["member_ids"] == [user["id"]]
    response = scratch.delete(f"/inboxes/{inbox}/members/{user['id']}")
    assert response.status_code == 204 and response.content == b""
    assert scratch.get(f"/inboxes/{inbox}/members").json() == []
    assert scratch.delete(f"/inboxes/{inbox}/members/{user['id']}").status_code == 204  # not a member: fine


def test_device_assignment_moves_the_device(scratch_sandbox, scratch):
    first, second = (scratch.post("/inboxes", json={"name": unique("Inbox")}).json()["id"] for _ in range(2))
    device = add_device(scratch_sandbox, unique("Phone"), phone())
    response = scratch.post(f"/inboxes/{first}/devices", json={"device_id": device})
    assert response.status_code == 204 and response.content == b""
    assert next(d for d in scratch.get("/devices").json() if d["id"] == device)["inbox_id"] == first
    assert scratch.post(f"/inboxes/{second}/devices", json={"device_id": device}).status_code == 204
    inboxes = {i["id"]: i for i in scratch.get("/inboxes").json()}
    assert inboxes[first]["device_ids"] == [] and inboxes[second]["device_ids"] == [device]  # at most one inbox
    response = scratch.delete(f"/inboxes/{second}/devices/{device}")
    assert response.status_code == 204 and response.content == b""
    assert next(d for d in scratch.get("/devices").json() if d["id"] == device)["inbox_id"] is None
    assert_error(scratch.delete(f"/inboxes/{second}/devices/{device}"), 404)


def test_deleting_an_inbox_takes_memberships_and_assignments_with_it(scratch_sandbox, scratch):
    inbox = scratch.post("/inboxes", json={"name": unique("Inbox")}).json()["id"]
    keep = scratch.post("/inboxes", json={"name": unique("Inbox")}).json()["id"]
    user = make_user(scratch_sandbox, make_role_via(scratch)["id"], [inbox, keep])
    device = add_device(scratch_sandbox, unique("Phone"), phone(), inbox_id=inbox)
    assert scratch.delete(f"/inboxes/{inbox}").status_code == 204
    assert next(u for u in scratch.get("/users").json() if u["id"] == user["id"])["inbox_ids"] == [keep]
    assert next(d for d in scratch.get("/devices").json() if d["id"] == device)["inbox_id"] is None


def test_demo_inboxes(demo):
    inboxes = demo.get("/inboxes").json()
    assert [(i["id"], i["name"], i["device_ids"]) for i in inboxes] == [
        (1, "Sales", [1]), (2, "Support", [2]), (3, "Billing", [3]), (4, "VIP", [4])]
    assert all(assert_shape(i, INBOX)["color"].startswith("#") and len(i["color"]) == 7 for i in inboxes)


# ---- contacts -------------------------------------------------------------------------------

def test_contacts(scratch):
    number, name = phone(), unique("Dewi Lestari")
    response = scratch.post("/contacts", json={"name": name, "phone": number})
    assert response.status_code == 201
    contact = assert_shape(response.json(), CONTACT)
    assert contact["name"] == name and contact["phone"] == number and TIMESTAMP.match(contact["created_at"])
    assert contact in scratch.get("/contacts").json()
    assert scratch.get("/contacts", params={"q": name.upper()}).json() == [contact]  # name: any case
    assert scratch.get("/contacts", params={"q": name.split("-")[-1]}).json() == [contact]
    assert scratch.get("/contacts", params={"q": number[-9:]}).json() == [contact]  # phone substring
    assert scratch.get("/contacts", params={"q": "no such contact at all"}).json() == []


def test_contacts_search_in_the_demo(demo):
    everyone = demo.get("/contacts").json()
    assert len(everyone) >= 1000
    assert all(assert_shape(c, CONTACT)["phone"].startswith("+") for c in everyone[:50])
    first = everyone[0]
    found = demo.get("/contacts", params={"q": first["phone"]}).json()
    assert first in found and all(first["phone"] in c["phone"] for c in found)


# ---- devices --------------------------------------------------------------------------------

def test_demo_devices_and_their_status(demo):
    devices = demo.get("/devices").json()
    assert [assert_shape(d, DEVICE)["id"] for d in devices] == [1, 2, 3, 4]
    assert [d["status"] for d in devices] == ["connected", "connected", "disconnected", "connected"]
    assert all(d["wa_jid"] == d["phone"][1:] + "@s.whatsapp.net" for d in devices)
    assert [d["inbox_id"] for d in devices] == [1, 2, 3, 4]
    status = demo.get("/wa/status").json()
    assert set(status) == {"devices"}
    assert [assert_shape(s, DEVICE_STATUS) for s in status["devices"]] == [
        {"device_id": d["id"], "name": d["name"], "phone": d["phone"], "connected": d["status"] == "connected",
         "status": d["status"], "last_seen_at": d["last_seen_at"]} for d in devices]
