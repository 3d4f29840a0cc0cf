"""Every client method against a real sandbox over HTTP, with the sync and the async client.

Reads use the shared demo workspace; writes use an empty workspace, or this module's own demo
workspace when they need devices (sends, inbound messages, device moves, faults), so the shared one
stays exactly as seeded for other tests.
"""

from __future__ import annotations

import base64
import itertools
import logging
import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ceox_api import (
    AsyncClient,
    AuthError,
    Client,
    Conflict,
    Conversation,
    Me,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
    ValidationError,
)
from ceox_sandbox.server import SandboxServer
from tests.client.helpers import Connector
from tests.conftest import FAST_RETRIES

PASSWORD = "ceox-demo-2026"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
_serial = itertools.count(1)
_phones = random.Random()


def unique(prefix: str) -> str:
    return f"{prefix} {next(_serial)}-{_phones.randrange(10**6)}"


def new_phone() -> str:
    return "+62899" + "".join(str(_phones.randrange(10)) for _ in range(8))


@pytest.fixture(scope="module")
def own_demo() -> Iterator[SandboxServer]:
    """A demo workspace for this module's writes that need devices."""
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


# ---- conversations and messages (reads) ---------------------------------------------------------


def test_conversations_list_by_status(connect: Connector, demo_sandbox: SandboxServer) -> None:
    client = connect(demo_sandbox)
    default, solved, every = (client.conversations.list(status=s) for s in (None, "solved", "all"))
    assert default and solved
    assert {c.status for c in default} == {"open"} and {c.status for c in solved} == {"solved"}
    assert sorted(c.id for c in every) == sorted(c.id for c in default + solved)
    assert all(isinstance(c, Conversation) and c.device_id and c.contact_phone.startswith("+") for c in every)
    assert all(c.solved_at is not None for c in solved) and all(c.solved_at is None for c in default)


def test_conversations_list_pages(connect: Connector, demo_sandbox: SandboxServer) -> None:
    client = connect(demo_sandbox)
    every = client.conversations.list(status="all")
    page = client.conversations.list(status="all", limit=5, offset=3)
    assert [c.id for c in page] == [c.id for c in every[3:8]]


def test_conversation_messages_oldest_first(connect: Connector, demo_sandbox: SandboxServer) -> None:
    client = connect(demo_sandbox)
    conversation = client.conversations.list(limit=1)[0]
    thread = client.conversations.messages(conversation.id)
    assert thread and {m.conversation_id for m in thread} == {conversation.id}
    stamps = [m.timestamp for m in thread]
    assert stamps == sorted(stamps) and all(t.tzinfo is not None for t in stamps)
    assert thread[-1].body == conversation.last_message or thread[-1].media_type


def test_fetch_threads_equals_fetching_one_by_one(connect: Connector, demo_sandbox: SandboxServer) -> None:
    client = connect(demo_sandbox)
    ids = [c.id for c in client.conversations.list(status="all", limit=40)]
    progress: list[tuple[int, int]] = []
    threads = client.conversations.fetch_threads(ids, concurrency=8, on_progress=lambda *p: progress.append(p))
    assert list(threads) == ids
    assert threads == {i: client.conversations.messages(i) for i in ids}
    assert progress[-1] == (40, 40) and len(progress) == 40


async def test_sync_fetch_threads_inside_a_running_event_loop(demo_sandbox: SandboxServer) -> None:
    """As in Jupyter: asyncio.run would refuse here, so the sync entry point uses a worker thread."""
    with Client(demo_sandbox.api_url, api_key=demo_sandbox.api_key) as client:
        ids = [c.id for c in client.conversations.list(limit=5)]
        threads = client.conversations.fetch_threads(ids)
        assert threads == {i: client.conversations.messages(i) for i in ids}


def test_inbox_scoping_for_a_user(connect: Connector, demo_sandbox: SandboxServer) -> None:
    agent = connect.login(demo_sandbox, "agent@demo.ceox.local")
    me = agent.me.get()
    visible = agent.conversations.list(status="all")
    assert visible and {c.inbox_id for c in visible} <= set(me.user.inbox_ids)
    hidden = next(c for c in connect(demo_sandbox).conversations.list() if c.inbox_id not in me.user.inbox_ids)
    with pytest.raises(NotFound):
        agent.conversations.messages(hidden.id)


# ---- directory (reads) ---------------------------------------------------------------------------


def test_devices_and_their_status(connect: Connector, demo_sandbox: SandboxServer) -> None:
    client = connect(demo_sandbox)
    devices = client.devices.list()
    statuses = client.wa.status()
    assert len(devices) == 4
    assert [s.device_id for s in statuses] == [d.id for d in devices]
    for device, status in zip(devices, statuses, strict=True):
        assert status.connected == (device.status == "connected") and status.phone == device.phone
        assert device.wa_jid and device.inbox_id


def test_contacts_search(connect: Connector, demo_sandbox: SandboxServer) -> None:
    client = connect(demo_sandbox)
    contacts = client.contacts.list()
    target = contacts[len(contacts) // 2]
    found = client.contacts.list(q=target.phone[-6:])
    assert target in found and all(target.phone[-6:] in c.phone or target.phone[-6:] in c.name for c in found)


def test_users_roles_and_inboxes(connect: Connector, demo_sandbox: SandboxServer) -> None:
    client = connect(demo_sandbox)
    roles = client.roles.list()
    assert [(r.id, r.name) for r in roles[:5]] == [
        (1, "Admin"),
        (2, "Agent"),
        (3, "Supervisor"),
        (4, "Manager"),
        (5, "Analyst"),
    ]
    assert roles[1].capabilities == ["chats.send"] and roles[0].is_system
    users = client.users.list()
    emails = {u.email for u in users}
    assert {f"{who}@demo.ceox.local" for who in ("admin", "agent", "supervisor", "manager", "analyst")} <= emails
    inboxes = client.inboxes.list()
    assert inboxes
    for inbox in inboxes:
        assert sorted(u.id for u in client.inboxes.members(inbox.id)) == sorted(inbox.member_ids)
    assert client.webhooks.list()


def test_me_for_an_api_key_and_for_users(connect: Connector, demo_sandbox: SandboxServer) -> None:
    me = connect(demo_sandbox).me.get()
    assert (me.kind, me.user, me.role) == ("api_key", None, None) and me.can("users.manage")
    for email, role, capabilities in [
        ("agent", "Agent", ["chats.send"]),
        ("manager", "Manager", ["analytics.view", "inbox.view_all"]),
        ("analyst", "Analyst", ["analytics.view"]),
    ]:
        user = connect.login(demo_sandbox, f"{email}@demo.ceox.local")
        assert user.auth_kind == "token"
        me = user.me.get()
        assert isinstance(me, Me) and me.kind == "user" and me.user.email == f"{email}@demo.ceox.local"
        assert (me.role.name, sorted(me.capabilities)) == (role, capabilities)


def test_auth_login_answers_a_token_and_the_user(connect: Connector, demo_sandbox: SandboxServer) -> None:
    result = connect(demo_sandbox, api_key="").auth.login(email="supervisor@demo.ceox.local", password=PASSWORD)
    assert result.user.email == "supervisor@demo.ceox.local" and result.token.get_secret_value().count(".") == 2
    with pytest.raises(AuthError):
        connect.login(demo_sandbox, "supervisor@demo.ceox.local", "wrong password")


def test_a_role_without_the_capability_is_denied(connect: Connector, demo_sandbox: SandboxServer) -> None:
    agent = connect.login(demo_sandbox, "agent@demo.ceox.local")
    with pytest.raises(PermissionDenied) as caught:
        agent.users.list()
    assert caught.value.capability == "users.manage" and caught.value.status == 403
    analyst = connect.login(demo_sandbox, "analyst@demo.ceox.local")
    with pytest.raises(PermissionDenied) as caught:
        analyst.messages.send(to=new_phone(), body="hello")
    assert caught.value.capability == "chats.send"


def test_a_bad_credential_is_an_auth_error(connect: Connector, demo_sandbox: SandboxServer) -> None:
    for credential in ({"api_key": "ceox_NotARealKey123"}, {"token": "not.a.token"}, {"api_key": ""}):
        with pytest.raises(AuthError):
            connect(demo_sandbox, **credential).devices.list()


# ---- writes on an empty workspace ----------------------------------------------------------------


def test_contacts_create(connect: Connector, empty_sandbox: SandboxServer) -> None:
    client = connect(empty_sandbox)
    phone = new_phone()
    contact = client.contacts.create(name="Budi Santoso", phone=phone)
    assert (contact.name, contact.phone) == ("Budi Santoso", phone) and contact.created_at
    assert client.contacts.list(q="Budi") == [contact]
    with pytest.raises(Conflict):
        client.contacts.create(name="Someone else", phone=phone)
    with pytest.raises(ValidationError):
        client.contacts.create(name="No plus", phone="0812345")


def test_roles_create_update_delete(connect: Connector, empty_sandbox: SandboxServer) -> None:
    client = connect(empty_sandbox)
    role = client.roles.create("Night shift")
    assert (role.name, role.capabilities, role.is_system) == ("Night shift", [], False)
    renamed = client.roles.update(role.id, name="Late shift")
    assert (renamed.name, renamed.capabilities) == ("Late shift", [])
    granted = client.roles.update(role.id, capabilities=["chats.send", "analytics.view"])
    assert (granted.name, sorted(granted.capabilities)) == ("Late shift", ["analytics.view", "chats.send"])
    with pytest.raises(ValidationError):
        client.roles.update(role.id, capabilities=["fly.to.the.moon"])
    user = client.users.create(name="Sari", email="sari@acme.co", password="minimal8", role_id=role.id)
    with pytest.raises(Conflict):
        client.roles.delete(role.id)
    client.users.delete(user.id)
    assert client.roles.delete(role.id) is None
    assert client.roles.list() == []
    with pytest.raises(NotFound):
        client.roles.delete(role.id)


def test_users_create_update_password_delete(connect: Connector, empty_sandbox: SandboxServer) -> None:
    client = connect(empty_sandbox)
    role = client.roles.create("Agents")
    other_role = client.roles.create("Leads")
    inbox = client.inboxes.create("Sales")
    user = client.users.create(
        name="Budi", email="budi@acme.co", password="minimal8", role_id=role.id, inbox_ids=[inbox.id]
    )
    assert (user.name, user.role_id, user.role_name, user.inbox_ids) == ("Budi", role.id, "Agents", [inbox.id])
    with pytest.raises(Conflict):
        client.users.create(name="Budi 2", email="BUDI@acme.co", password="minimal8", role_id=role.id)
    with pytest.raises(ValidationError):
        client.users.create(name="Short", email="short@acme.co", password="short", role_id=role.id)

    # Partial update: only the fields given change.
    updated = client.users.update(user.id, name="Budi S.")
    assert (updated.name, updated.email, updated.role_id, updated.inbox_ids) == (
        "Budi S.",
        "budi@acme.co",
        role.id,
        [inbox.id],
    )
    updated = client.users.update(user.id, role_id=other_role.id, status="idle", inbox_ids=[])
    assert (updated.name, updated.role_id, updated.status, updated.inbox_ids) == ("Budi S.", other_role.id, "idle", [])
    assert client.users.list() == [updated]

    assert client.users.set_password(user.id, "another-password") is None
    signed_in = connect.login(empty_sandbox, "budi@acme.co", "another-password")
    assert signed_in.me.get().user.id == user.id
    with pytest.raises(AuthError):
        connect.login(empty_sandbox, "budi@acme.co", "minimal8")

    assert client.users.delete(user.id) is None
    assert client.users.list() == []
    with pytest.raises(NotFound):
        client.users.update(user.id, name="gone")


def test_me_change_password(connect: Connector, empty_sandbox: SandboxServer) -> None:
    client = connect(empty_sandbox)
    role = client.roles.create("Agents")
    client.users.create(name="Rina", email="rina@acme.co", password="first-password", role_id=role.id)
    rina = connect.login(empty_sandbox, "rina@acme.co", "first-password")
    with pytest.raises(ValidationError):
        rina.me.change_password(current_password="wrong-password", new_password="second-password")
    assert rina.me.change_password(current_password="first-password", new_password="second-password") is None
    assert connect.login(empty_sandbox, "rina@acme.co", "second-password").me.get().user.name == "Rina"
    with pytest.raises(ValidationError):
        client.me.change_password(current_password="x", new_password="an-api-key-has-none")


def test_inboxes_and_members(connect: Connector, empty_sandbox: SandboxServer) -> None:
    client = connect(empty_sandbox)
    role = client.roles.create("Agents")
    user = client.users.create(name="Budi", email="budi@acme.co", password="minimal8", role_id=role.id)
    inbox = client.inboxes.create("Support", description="Help desk", color="#2563eb")
    assert (inbox.name, inbox.description, inbox.color, inbox.member_ids) == ("Support", "Help desk", "#2563eb", [])
    updated = client.inboxes.update(inbox.id, name="Support APAC")
    assert (updated.name, updated.description, updated.color) == ("Support APAC", "Help desk", "#2563eb")
    assert client.inboxes.update(inbox.id, color="#16a34a").name == "Support APAC"
    with pytest.raises(ValidationError):
        client.inboxes.update(inbox.id, color="green")
    with pytest.raises(Conflict):
        client.inboxes.create("support apac")

    assert client.inboxes.add_member(inbox.id, user.id) is None
    client.inboxes.add_member(inbox.id, user.id)  # idempotent
    assert [u.id for u in client.inboxes.members(inbox.id)] == [user.id]
    assert client.inboxes.list()[0].member_ids == [user.id]
    assert client.inboxes.remove_member(inbox.id, user.id) is None
    assert client.inboxes.members(inbox.id) == []
    with pytest.raises(NotFound):
        client.inboxes.remove_member(inbox.id, user.id + 100)

    assert client.inboxes.delete(inbox.id) is None
    assert client.inboxes.list() == []


def test_webhooks_create_list_delete(connect: Connector, empty_sandbox: SandboxServer) -> None:
    client = connect(empty_sandbox)
    hook = client.webhooks.create("https://example.com/hooks/ceox")
    assert (hook.url, hook.events, hook.active) == ("https://example.com/hooks/ceox", ["message.received"], True)
    explicit = client.webhooks.create("https://example.com/other", events=("message.received",))
    assert client.webhooks.list() == [hook, explicit]
    with pytest.raises(Conflict):
        client.webhooks.create("https://example.com/hooks/ceox")
    with pytest.raises(ValidationError):
        client.webhooks.create("ftp://example.com")
    assert client.webhooks.delete(hook.id) is None
    assert client.webhooks.list() == [explicit]
    with pytest.raises(NotFound):
        client.webhooks.delete(hook.id)


def test_sandbox_api_keys(connect: Connector, empty_sandbox: SandboxServer) -> None:
    client = connect(empty_sandbox)
    created = client.sandbox.create_api_key("notebook")
    key = created.key.get_secret_value()
    assert key.startswith("ceox_") and key not in repr(created)
    listed = {k.id: k for k in client.sandbox.list_api_keys()}
    assert listed[created.id].name == "notebook" and key.startswith(listed[created.id].key_prefix)
    assert listed[created.id].key is None and listed[created.id].revoked_at is None

    fresh = connect(empty_sandbox, api_key=key)
    assert fresh.me.get().kind == "api_key"
    assert client.sandbox.revoke_api_key(created.id) is None
    assert {k.id: k for k in client.sandbox.list_api_keys()}[created.id].revoked_at is not None
    with pytest.raises(AuthError):
        fresh.devices.list()


def test_sandbox_endpoints_need_an_api_key(connect: Connector, demo_sandbox: SandboxServer) -> None:
    admin = connect.login(demo_sandbox, "admin@demo.ceox.local")
    with pytest.raises(PermissionDenied):
        admin.sandbox.list_api_keys()


# ---- writes that need devices: this module's own demo workspace ----------------------------------


def test_messages_send_text_and_media(connect: Connector, own_demo: SandboxServer) -> None:
    client = connect(own_demo)
    phone = new_phone()
    sent = client.messages.send(to=phone, body="Halo!", device_id=2, name="Dewi")
    assert sent.message.from_me and sent.message.body == "Halo!"
    assert sent.message.conversation_id == sent.conversation_id
    conversation = next(c for c in client.conversations.list() if c.id == sent.conversation_id)
    assert (conversation.contact_name, conversation.contact_phone, conversation.device_id) == ("Dewi", phone, 2)

    media = client.messages.send(
        to=phone, media=PNG, media_mime="image/png", media_filename="dot.png", body="caption", from_="+6281110002002"
    )
    assert media.conversation_id == sent.conversation_id
    assert (media.message.media_type, media.message.media_mime, media.message.body) == ("image", "image/png", "caption")
    assert media.message.media_url.startswith("/media/")
    stored = httpx.get(own_demo.base_url + media.message.media_url, headers={"Authorization": own_demo.api_key})
    assert stored.content == PNG

    encoded = client.messages.send(
        to=phone, media_base64=base64.b64encode(PNG).decode(), media_mime="image/png", device_id=2
    )
    assert encoded.message.media_type == "image"
    with pytest.raises(Conflict):  # device 3 is disconnected in the demo
        client.messages.send(to=phone, body="hi", device_id=3)


def test_conversations_send_read_and_status(connect: Connector, own_demo: SandboxServer) -> None:
    client = connect(own_demo)
    inbound = client.sandbox.inbound(device_id=1, from_=new_phone(), name="Wati", body="Ada promo?")
    conversation_id = inbound.conversation_id
    assert inbound.message.from_me is False and inbound.message.status == "received"

    reply = client.conversations.send(conversation_id, body="Ada kak!", reply_to=inbound.message.wa_message_id)
    assert (reply.body, reply.reply_to, reply.from_me) == ("Ada kak!", inbound.message.wa_message_id, True)
    picture = client.conversations.send(conversation_id, media=PNG, media_mime="image/png", media_filename="p.png")
    assert (picture.media_type, picture.media_filename) == ("image", "p.png")
    assert [m.id for m in client.conversations.messages(conversation_id)] == [inbound.message.id, reply.id, picture.id]

    def current() -> Conversation:
        return next(c for c in client.conversations.list(status="all") if c.id == conversation_id)

    client.sandbox.inbound(device_id=1, from_=current().contact_phone, body="Halo?")
    assert current().unread == 1
    assert client.conversations.read(conversation_id) is None
    assert current().unread == 0

    solved = client.conversations.set_status(conversation_id, "solved")
    assert (solved.status, solved.solved_at is not None) == ("solved", True)
    assert conversation_id not in {c.id for c in client.conversations.list()}
    assert client.conversations.reopen(conversation_id).status == "open"
    assert client.conversations.solve(conversation_id).status == "solved"

    # A new inbound message reopens a solved conversation.
    client.sandbox.inbound(device_id=1, from_=current().contact_phone, body="Satu lagi")
    assert (current().status, current().solved_at, current().unread) == ("open", None, 1)


def test_sandbox_inbound_variants(connect: Connector, own_demo: SandboxServer) -> None:
    client = connect(own_demo)
    group = client.sandbox.inbound(device_id=4, from_=new_phone(), media_type="document", is_group=True)
    assert group.message.media_type == "document" and group.message.media_url
    conversation = next(c for c in client.conversations.list() if c.id == group.conversation_id)
    assert conversation.is_group
    with pytest.raises(ValidationError):
        client.sandbox.inbound(device_id=4, from_=new_phone())


def test_media_over_the_limit_is_payload_too_large(own_demo: SandboxServer) -> None:
    with Client(own_demo.api_url, api_key=own_demo.api_key) as client, pytest.raises(PayloadTooLarge):
        client.messages.send(to=new_phone(), media=bytes(16 * 1024 * 1024 + 1), media_mime="image/jpeg")


def test_webhook_deliveries_are_logged(connect: Connector, own_demo: SandboxServer) -> None:
    client = connect(own_demo)
    # /healthz answers GET only, so each delivery attempt there is logged as a 405.
    hook = client.webhooks.create(f"{own_demo.base_url}/healthz?{unique('hook').replace(' ', '-')}")
    try:
        client.sandbox.inbound(device_id=1, from_=new_phone(), body="ping")
        deadline = time.monotonic() + 10
        # Filtered by URL too: the sandbox reuses the id of a deleted webhook, with its old log rows.
        while len(attempts := [a for a in client.sandbox.deliveries(webhook_id=hook.id) if a.url == hook.url]) < 4:
            assert time.monotonic() < deadline, attempts
            time.sleep(0.05)
    finally:
        client.webhooks.delete(hook.id)
    assert [a.attempt for a in attempts] == [1, 2, 3, 4]
    assert {(a.url, a.event, a.status_code) for a in attempts} == {(hook.url, "message.received", 405)}
    assert all(a.time is not None and a.duration_ms is not None for a in attempts)
    assert {a.id for a in attempts} <= {a.id for a in client.sandbox.deliveries()}


def test_inbox_device_assignment(connect: Connector, own_demo: SandboxServer) -> None:
    client = connect(own_demo)
    device = next(d for d in client.devices.list() if d.status == "disconnected")
    home = device.inbox_id
    inbox = client.inboxes.create(unique("Overflow"))
    try:
        assert client.inboxes.assign_device(inbox.id, device.id) is None
        assert next(d for d in client.devices.list() if d.id == device.id).inbox_id == inbox.id
        assert next(i for i in client.inboxes.list() if i.id == inbox.id).device_ids == [device.id]
        assert client.inboxes.unassign_device(inbox.id, device.id) is None
        assert next(d for d in client.devices.list() if d.id == device.id).inbox_id is None
        with pytest.raises(NotFound):
            client.inboxes.unassign_device(inbox.id, device.id)
    finally:
        client.inboxes.assign_device(home, device.id)
        client.inboxes.delete(inbox.id)


def test_faults_set_get_clear(connect: Connector, own_demo: SandboxServer) -> None:
    client = connect(own_demo)
    try:
        faults = client.sandbox.set_faults(latency_ms=5, error_rate=0.25, rate_limit_per_s=1000)
        assert (faults.latency_ms, faults.error_rate, faults.rate_limit_per_s) == (5, 0.25, 1000)
        assert client.sandbox.get_faults() == faults
        client.sandbox.set_faults(error_rate=1)
        with pytest.raises(ServerError):
            client.devices.list()
    finally:
        cleared = client.sandbox.clear_faults()
    assert (cleared.latency_ms, cleared.error_rate, cleared.rate_limit_per_s) == (0, 0, None)
    assert client.devices.list()


def _full_read(client: Any) -> dict[str, Any]:
    conversations = client.conversations.list(status="all")
    inboxes = client.inboxes.list()
    return {
        "conversations": conversations,
        "threads": client.conversations.fetch_threads([c.id for c in conversations[:60]]),
        "contacts": client.contacts.list(),
        "devices": client.devices.list(),
        "wa": client.wa.status(),
        "users": client.users.list(),
        "roles": client.roles.list(),
        "inboxes": inboxes,
        "members": {i.id: client.inboxes.members(i.id) for i in inboxes},
        "webhooks": client.webhooks.list(),
    }


def test_a_full_read_under_faults_equals_a_fault_free_read(
    connect: Connector, own_demo: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = connect(own_demo, max_retries=10, backoff_base=0.01, backoff_max=0.2)
    expected = _full_read(client)
    caplog.set_level(logging.INFO, logger="ceox_api")
    try:
        client.sandbox.set_faults(error_rate=0.1, rate_limit_per_s=25)
        assert _full_read(client) == expected
    finally:
        client.sandbox.clear_faults()
    retried_after = {r.getMessage().split("after: ")[1][:3] for r in caplog.records if "retrying" in r.getMessage()}
    # 503s are certain at this rate; 429s only when the client outpaces the limit (its pacing, and a busy
    # machine, may keep it below): retried answers are of these two kinds only.
    assert "503" in retried_after and retried_after <= {"429", "503"}


def test_sends_under_faults_are_never_duplicated(connect: Connector, own_demo: SandboxServer) -> None:
    sent: list[str] = []

    def count(request: httpx.Request) -> None:
        if request.method == "POST":
            sent.append(request.url.path)

    async def count_async(request: httpx.Request) -> None:
        count(request)

    if connect.kind == "sync":
        http: Any = httpx.Client(event_hooks={"request": [count]})
    else:
        http = httpx.AsyncClient(event_hooks={"request": [count_async]})
    client = connect(own_demo, http_client=http, max_retries=5)
    phone = new_phone()
    conversation_id = client.messages.send(to=phone, body="first", device_id=1).conversation_id
    sends, successes, failures = 40, 0, 0
    try:
        client.sandbox.set_faults(error_rate=0.5)
        for n in range(sends):
            try:
                if n % 2:
                    client.conversations.send(conversation_id, body=f"reply {n}")
                else:
                    client.messages.send(to=phone, body=f"send {n}", device_id=1)
                successes += 1
            except ServerError:
                failures += 1
    finally:
        client.sandbox.clear_faults()
        thread = client.conversations.messages(conversation_id)
        connect.run(http.close() if connect.kind == "sync" else http.aclose())
    assert successes and failures
    assert len(thread) == 1 + successes
    # Exactly one request per send: none was retried.
    send_paths = ("/api/v1/messages/send", f"/api/v1/conversations/{conversation_id}/messages")
    assert len([path for path in sent if path in send_paths]) == 1 + sends


def test_no_secret_in_real_http_logs(
    connect: Connector, demo_sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = connect(demo_sandbox)
    client.devices.list()
    token = client.auth.login(email="agent@demo.ceox.local", password=PASSWORD).token.get_secret_value()
    user = connect(demo_sandbox, token=token)
    user.conversations.list(limit=3)
    with pytest.raises(PermissionDenied):
        user.users.list()
    records = caplog.records
    assert any(r.name.startswith("httpcore") for r in records) and any(r.name == "httpx" for r in records)
    for secret in (demo_sandbox.api_key, token, PASSWORD):
        assert not [r for r in records if secret in r.getMessage() or secret in repr(r.args)]


async def test_the_async_client_spreads_concurrent_requests_over_lanes(demo_sandbox: SandboxServer) -> None:
    def connections_per_lane(client: AsyncClient) -> list[int]:
        return [len(lane._pool.connections) for lane in client._http._transport._lanes]

    async with AsyncClient(demo_sandbox.api_url, api_key=demo_sandbox.api_key) as client:
        conversations = await client.conversations.list(limit=32)
        for conversation in conversations[:3]:
            await client.conversations.messages(conversation.id)
        # One request at a time: one connection, on the first lane.
        assert connections_per_lane(client)[0] == 1 and sum(connections_per_lane(client)) == 1
        threads = await client.conversations.fetch_threads([c.id for c in conversations], concurrency=8)
        assert len(threads) == 32
        assert sum(1 for count in connections_per_lane(client) if count) >= 4
        assert client._http._transport._busy == [0] * AsyncClient.LANES


def test_partial_updates_leave_out_what_is_not_given_and_clear_what_is_none(empty_sandbox):
    """NOT_GIVEN leaves a field as it is; None clears an inbox's description and colour."""
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key, use_env=False) as client:
        inbox = client.inboxes.create("Clearing", description="Old words", color="#112233")
        renamed = client.inboxes.update(inbox.id, name="Cleared")
        assert (renamed.name, renamed.description, renamed.color) == ("Cleared", "Old words", "#112233")
        cleared = client.inboxes.update(inbox.id, description=None, color=None)
        assert (cleared.name, cleared.description, cleared.color) == ("Cleared", "", "")
        role = client.roles.create("Clearing role")
        client.roles.update(role.id, capabilities=["chats.send"])
        assert client.roles.update(role.id, name="Renamed role").capabilities == ["chats.send"]
        assert client.roles.update(role.id, capabilities=[]).capabilities == []
