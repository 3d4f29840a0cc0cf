"""`--workspaces N`: independent workspaces behind one address, told apart only by the credential."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from ceox_sandbox.seed_small import seed_small
from ceox_sandbox.server import SandboxServer
from ceox_sandbox.store import Store
from tests.conftest import FAST_RETRIES
from tests.sandbox.helpers import PNG, Receiver, api, assert_error, email, login, phone, signed_in, unique, wait_for

A, B = 0, 1  # workspace indexes: `api_keys[A]`, `sign_in_email(A)`


@pytest.fixture(scope="module")
def two() -> Iterator[SandboxServer]:
    with SandboxServer(seed="demo", workspaces=2, webhook_retry_delays=FAST_RETRIES) as server:
        yield server


def key(server: SandboxServer, index: int, root: bool = False) -> httpx.Client:
    return api(server, authorization=server.api_keys[index], root=root)


def ids(client: httpx.Client, path: str, **params: str) -> set[int]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()}


LISTS = ["/users", "/roles", "/inboxes", "/devices", "/contacts", "/webhooks"]


def test_each_key_lists_only_its_own_workspace(two: SandboxServer) -> None:
    with key(two, A) as a, key(two, B) as b:
        for path in LISTS:
            mine, theirs = ids(a, path), ids(b, path)
            assert mine and theirs, path  # both workspaces are seeded
            assert not mine & theirs, path
        a_convs, b_convs = ids(a, "/conversations", status="all"), ids(b, "/conversations", status="all")
        assert len(b_convs) == 50 and len(a_convs) > 1000  # the small seed, and the demo
        assert not a_convs & b_convs
        a_emails = {u["email"] for u in a.get("/users").json()}
        b_emails = {u["email"] for u in b.get("/users").json()}
        assert "admin@demo.ceox.local" in a_emails and "admin@w2.demo.ceox.local" in b_emails
        assert not a_emails & b_emails
        a_phones = {c["phone"] for c in a.get("/contacts").json()}
        assert not a_phones & {c["phone"] for c in b.get("/contacts").json()}


def test_ids_of_another_workspace_answer_404(two: SandboxServer) -> None:
    with key(two, A) as a, key(two, B) as b:
        conversation = max(ids(a, "/conversations"))
        user, role, inbox, webhook = (max(ids(a, path)) for path in ("/users", "/roles", "/inboxes", "/webhooks"))
        device = max(ids(a, "/devices"))
        for response in (
            b.get(f"/conversations/{conversation}/messages"),
            b.post(f"/conversations/{conversation}/messages", json={"Body": "hello"}),
            b.post(f"/conversations/{conversation}/read"),
            b.post(f"/conversations/{conversation}/status", json={"status": "solved"}),
            b.put(f"/users/{user}", json={"name": "Taken Over"}),
            b.delete(f"/users/{user}"),
            b.put(f"/roles/{role}", json={"capabilities": []}),
            b.get(f"/inboxes/{inbox}/members"),
            b.put(f"/inboxes/{inbox}", json={"description": "taken over"}),
            b.delete(f"/webhooks/{webhook}"),
        ):
            assert_error(response, 404)
        # Ids inside a body are bad input (400) as everywhere, and nothing changed in A.
        assert_error(b.post("/messages/send", json={"to": phone(), "body": "hi", "device_id": device}), 400)
        assert_error(b.post("/users", json={"name": "X", "email": email(), "password": "long enough",
                                           "role_id": role}), 400)
        assert a.get(f"/conversations/{conversation}/messages").status_code == 200
        assert webhook in ids(a, "/webhooks") and user in ids(a, "/users")


def test_messages_and_media_stay_in_their_workspace(two: SandboxServer) -> None:
    with key(two, A) as a, key(two, B) as b, key(two, A, root=True) as a_root, key(two, B, root=True) as b_root:
        number = phone()
        sent = a.post("/messages/send", json={"to": number, "body": unique("secret"), "device_id": 1,
                                              "media_base64": base64.b64encode(PNG).decode(),
                                              "media_mime": "image/png"})
        assert sent.status_code == 201, sent.text
        message = sent.json()["message"]
        assert a_root.get(message["media_url"]).content == PNG
        assert_error(b_root.get(message["media_url"]), 404)
        assert_error(b.get(f"/conversations/{sent.json()['conversation_id']}/messages"), 404)
        assert b.get("/contacts", params={"q": number}).json() == []
        # The same number writing to B is a new contact and conversation of B's, with B's ids.
        b_device = min(ids(b, "/devices"))
        inbound = b_root.post("/sandbox/inbound", json={"device_id": b_device, "from": number, "body": "hi B"})
        assert inbound.status_code == 201, inbound.text
        b_conversation = inbound.json()["conversation_id"]
        assert b_conversation != sent.json()["conversation_id"]
        thread = b.get(f"/conversations/{b_conversation}/messages").json()
        assert [m["body"] for m in thread] == ["hi B"]
        assert_error(a.get(f"/conversations/{b_conversation}/messages"), 404)
        assert_error(a_root.post("/sandbox/inbound", json={"device_id": b_device, "from": number}), 400)


def test_webhooks_are_delivered_only_for_their_own_workspace(two: SandboxServer) -> None:
    with Receiver() as hook_a, Receiver() as hook_b, key(two, A) as a, key(two, B) as b, \
            key(two, A, root=True) as a_root, key(two, B, root=True) as b_root:
        made_a, made_b = a.post("/webhooks", json={"url": hook_a.url}), b.post("/webhooks", json={"url": hook_b.url})
        assert made_a.status_code == made_b.status_code == 201, (made_a.text, made_b.text)
        try:
            b_inbound = b_root.post("/sandbox/inbound", json={"device_id": min(ids(b, "/devices")), "from": phone(),
                                                              "body": "to B"}).json()
            hook_b.wait(1)  # a leak to A's webhook would have been queued with this delivery, before A's event
            a_inbound = a_root.post("/sandbox/inbound", json={"device_id": 1, "from": phone(), "body": "to A"}).json()
            wait_for(lambda: any(r["json"]["body"] == "to A" for r in hook_a.requests))
            assert [(r["json"]["body"], r["json"]["conversation_id"]) for r in hook_a.requests] == [
                ("to A", a_inbound["conversation_id"])]
            assert [(r["json"]["body"], r["json"]["conversation_id"]) for r in hook_b.requests] == [
                ("to B", b_inbound["conversation_id"])]
            # Each workspace's delivery log holds only its own webhooks' deliveries.
            logs = {index: key(two, index, root=True).get("/sandbox/deliveries").json() for index in (A, B)}
            assert made_a.json()["id"] in {d["webhook_id"] for d in logs[A]}
            assert {d["webhook_id"] for d in logs[B]} <= ids(b, "/webhooks")
            assert {d["webhook_id"] for d in logs[A]} <= ids(a, "/webhooks")
        finally:
            a.delete(f"/webhooks/{made_a.json()['id']}")
            b.delete(f"/webhooks/{made_b.json()['id']}")


def test_sign_ins_land_in_their_own_workspace(two: SandboxServer) -> None:
    assert two.sign_in_email(A) == "admin@demo.ceox.local"
    assert two.sign_in_email(B, "agent") == "agent@w2.demo.ceox.local"
    with key(two, A) as a, key(two, B) as b:
        a_users, b_users = ids(a, "/users"), ids(b, "/users")
        b_conversations = ids(b, "/conversations", status="all")
        with signed_in(two, two.sign_in_email(B)) as admin_b, signed_in(two, two.sign_in_email(A)) as admin_a:
            assert admin_b.user["email"] == "admin@w2.demo.ceox.local" and admin_b.user["id"] in b_users
            assert ids(admin_b, "/users") == b_users
            assert ids(admin_b, "/conversations", status="all") == b_conversations
            assert ids(admin_a, "/users") == a_users
            assert_error(admin_b.get(f"/conversations/{max(ids(a, '/conversations'))}/messages"), 404)
        # A scoped agent of B sees part of B, nothing of A.
        with signed_in(two, two.sign_in_email(B, "agent")) as agent_b:
            seen = ids(agent_b, "/conversations", status="all")
            assert seen and seen < b_conversations
        # A user made in B signs in to B; its email is then taken in every workspace.
        address = email()
        made = b.post("/users", json={"name": "New B", "email": address, "password": "long enough",
                                      "role_id": min(ids(b, "/roles"))})
        assert made.status_code == 201, made.text
        token = login(two, address, "long enough")
        with api(two, token) as new_b:
            assert new_b.get("/me").json()["user"]["id"] == made.json()["id"]
            assert ids(new_b, "/users") == ids(b, "/users")
        assert_error(a.post("/users", json={"name": "Copy", "email": address, "password": "long enough",
                                            "role_id": min(ids(a, "/roles"))}), 409, "already exists")
        existing_a = min(ids(a, "/users") - {1})
        assert_error(a.put(f"/users/{existing_a}", json={"email": address.upper()}), 409, "already exists")


def test_api_keys_belong_to_one_workspace(two: SandboxServer) -> None:
    with key(two, B, root=True) as b_root, key(two, A, root=True) as a_root:
        made = b_root.post("/sandbox/api-keys", json={"name": unique("key")})
        assert made.status_code == 201, made.text
        with api(two, authorization=made.json()["key"]) as new_b, key(two, B) as b:
            assert ids(new_b, "/users") == ids(b, "/users")
        assert made.json()["id"] not in ids(a_root, "/sandbox/api-keys")
        assert_error(a_root.delete(f"/sandbox/api-keys/{made.json()['id']}"), 404)
        assert b_root.delete(f"/sandbox/api-keys/{made.json()['id']}").status_code == 204


def test_small_seed_is_deterministic_and_distinct() -> None:
    anchor = datetime(2026, 6, 21, 8, 15, tzinfo=UTC)
    dumps = []
    for number in (2, 2, 3):
        store = Store()
        seed_small(store, anchor, number)
        with store.tx() as db:
            dumps.append(list(db.iterdump()))
            emails = {row[0] for row in db.execute("SELECT email FROM users")}
            assert f"admin@w{number}.demo.ceox.local" in emails
        store.close()
    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]


def test_workspaces_out_of_range_are_refused() -> None:
    for bad in (0, -1, 21):
        with pytest.raises(ValueError, match="workspaces"):
            SandboxServer(seed="empty", workspaces=bad)
