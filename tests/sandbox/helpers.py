"""Small helpers for the sandbox's HTTP tests: plain httpx clients, sign-ins, throwaway users, a webhook receiver."""

from __future__ import annotations

import base64
import itertools
import json
import re
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from ceox_sandbox.server import SandboxServer
from ceox_sandbox.store import now_iso

PASSWORD = "ceox-demo-2026"  # every demo sign-in's password
ADMIN, AGENT, SUPERVISOR, MANAGER, ANALYST = (f"{who}@demo.ceox.local" for who in
                                              ("admin", "agent", "supervisor", "manager", "analyst"))
ALL_CAPABILITIES = ["chats.send", "inbox.view_all", "analytics.view", "users.manage", "roles.manage",
                    "inboxes.manage", "contacts.manage", "webhooks.manage"]
# The demo workspace (ceox_sandbox/seed.py): devices 1..4 in inboxes 1..4 (Sales, Support, Billing, VIP).
SALES, SUPPORT, BILLING, VIP = 1, 2, 3, 4
DISCONNECTED_DEVICE = 3
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")  # RFC 3339, UTC, with Z

# The contract's objects ("Objects" in docs/contract.md): exactly these fields.
CONVERSATION = {"id", "contact_id", "contact_name", "contact_phone", "is_group", "device_id", "device_name",
                "device_phone", "inbox_id", "last_message", "last_message_at", "unread", "status", "created_at",
                "solved_at"}
MESSAGE = {"id", "conversation_id", "wa_message_id", "from_me", "body", "media_type", "media_url", "media_mime",
           "media_filename", "reply_to", "status", "sender_user_id", "timestamp"}
DEVICE = {"id", "name", "phone", "wa_jid", "status", "inbox_id", "last_seen_at"}
DEVICE_STATUS = {"device_id", "name", "phone", "connected", "status", "last_seen_at"}
CONTACT = {"id", "name", "phone", "created_at"}
WEBHOOK = {"id", "url", "events", "active", "created_at"}
USER = {"id", "name", "email", "role_id", "role_name", "status", "inbox_ids", "created_at", "last_seen_at"}
ROLE = {"id", "name", "is_system", "capabilities", "user_count"}
INBOX = {"id", "name", "description", "color", "member_ids", "device_ids"}
WEBHOOK_PAYLOAD = {"event", "conversation_id", "from", "name", "wa_message_id", "body", "media_type", "media_url",
                   "is_group", "timestamp"}
DELIVERY = {"id", "webhook_id", "url", "event", "conversation_id", "attempt", "status_code", "error",
            "duration_ms", "time"}

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
                       "RU5ErkJggg==")  # a 1x1 image

_phones = itertools.count(1_000_000)
# One TLS context for every client: httpx builds a new one (about 20 ms) for each client otherwise.
_TLS = ssl.create_default_context()


def client(**options: Any) -> httpx.Client:
    return httpx.Client(verify=_TLS, **options)


def request(method: str, url: str, **options: Any) -> httpx.Response:
    """A one-off request, like `httpx.request` but without building a TLS context each time."""
    with client(timeout=options.pop("timeout", 30)) as one_off:
        return one_off.request(method, url, **options)


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def phone() -> str:
    """A fresh E.164 number that no seeded contact has (the demo's numbers start with +62)."""
    return f"+1999{next(_phones):08d}"


def email() -> str:
    return f"{unique('user')}@example.com"


def api(sandbox: SandboxServer, token: str | None = None, *, authorization: str | None = None,
        root: bool = False, timeout: float = 30) -> httpx.Client:
    """A client for `/api/v1` (or the host root with `root=True`), authenticated with the sandbox's API key,
    a user token (`Bearer <token>`), or exactly the given `authorization` header ("" sends none)."""
    if authorization is None:
        authorization = f"Bearer {token}" if token else sandbox.api_key
    headers = {"Authorization": authorization} if authorization else {}
    return client(base_url=sandbox.base_url if root else sandbox.api_url, headers=headers, timeout=timeout)


def login(sandbox: SandboxServer, email_address: str, password: str = PASSWORD) -> str:
    response = request("POST", f"{sandbox.api_url}/auth/login", json={"email": email_address, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


class UserClient(httpx.Client):
    """A signed-in user's client; `user` and `role` are the objects the API answered when they were made."""

    user: dict
    role: dict
    token: str


def signed_in(sandbox: SandboxServer, email_address: str, password: str = PASSWORD) -> UserClient:
    token = login(sandbox, email_address, password)
    user = UserClient(base_url=sandbox.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                      verify=_TLS)
    user.token = token
    me = request("GET", f"{sandbox.api_url}/me", headers={"Authorization": f"Bearer {token}"}).json()
    user.user, user.role = me["user"], me["role"]
    return user


def make_role(sandbox: SandboxServer, capabilities: Iterable[str] = ()) -> dict:
    with api(sandbox) as admin:
        role = admin.post("/roles", json={"name": unique("role")})
        assert role.status_code == 201, role.text
        capabilities = list(capabilities)
        if capabilities:
            role = admin.put(f"/roles/{role.json()['id']}", json={"capabilities": capabilities})
            assert role.status_code == 200, role.text
        return role.json()


def make_user(sandbox: SandboxServer, role_id: int, inbox_ids: Iterable[int] = (),
              password: str = PASSWORD) -> dict:
    with api(sandbox) as admin:
        user = admin.post("/users", json={"name": unique("User"), "email": email(), "password": password,
                                          "role_id": role_id, "inbox_ids": list(inbox_ids)})
        assert user.status_code == 201, user.text
        return user.json()


def user_with_caps(sandbox: SandboxServer, capabilities: Iterable[str] = (),
                   inbox_ids: Iterable[int] = ()) -> UserClient:
    """A new role holding exactly `capabilities`, a new user in it (member of `inbox_ids`), signed in."""
    role = make_role(sandbox, capabilities)
    user = make_user(sandbox, role["id"], inbox_ids)
    return signed_in(sandbox, user["email"])


def assert_error(response: httpx.Response, status: int, *words: str) -> str:
    """The response is `status` with `{"error": "<sentence>"}` mentioning each of `words` (case-insensitive)."""
    assert response.status_code == status, f"{response.status_code} {response.text[:500]}"
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"].strip(), body
    for word in words:
        assert word.lower() in body["error"].lower(), f"{word!r} not in {body['error']!r}"
    return body["error"]


def assert_shape(obj: Any, fields: set[str]) -> dict:
    assert isinstance(obj, dict), obj
    assert set(obj) == fields, f"extra {set(obj) - fields}, missing {fields - set(obj)}"
    return obj


def inbound(sandbox: SandboxServer, device_id: int, sender: str, body: str = "hello", **extra: Any) -> dict:
    """Simulate an incoming WhatsApp message through `POST /sandbox/inbound`."""
    with api(sandbox, root=True) as client:
        response = client.post("/sandbox/inbound", json={"device_id": device_id, "from": sender, "body": body,
                                                         **extra})
    assert response.status_code == 201, response.text
    return response.json()


def conversation(sandbox: SandboxServer, conversation_id: int, token: str | None = None) -> dict:
    with api(sandbox, token) as client:
        found = [c for c in client.get("/conversations", params={"status": "all"}).json()
                 if c["id"] == conversation_id]
    assert len(found) == 1, f"conversation {conversation_id} not listed"
    return found[0]


def add_device(sandbox: SandboxServer, name: str, number: str, status: str = "connected",
               inbox_id: int | None = None) -> int:
    """Devices cannot be created through the API (they are paired on the phone): put one in the database."""
    with sandbox.state.store.tx() as db:
        return db.execute("INSERT INTO devices (name, phone, wa_jid, status, inbox_id, last_seen_at)"
                          " VALUES (?, ?, ?, ?, ?, ?)",
                          (name, number, f"{number[1:]}@s.whatsapp.net", status, inbox_id, now_iso())).lastrowid


def wait_for(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {check}")
        time.sleep(interval)


def holds(check: Callable[[], Any], duration: float, interval: float = 0.02) -> None:
    """Poll `check` for `duration` seconds and fail the moment it turns false (something arrived that must
    not have): "nothing else happens" checked all along, not once after a fixed sleep."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        assert check(), f"stopped holding after {duration - (deadline - time.monotonic()):.2f} s: {check}"
        time.sleep(interval)
    assert check()


def deliveries(sandbox: SandboxServer, webhook_id: int) -> list[dict]:
    with api(sandbox, root=True) as client:
        response = client.get("/sandbox/deliveries", params={"webhook_id": webhook_id})
    assert response.status_code == 200, response.text
    return response.json()


class Receiver:
    """A local HTTP server that records webhook deliveries.

    `statuses` are answered in turn (the last one repeats); `delay_s` holds every answer back.
    """

    def __init__(self, statuses: Iterable[int] = (200,), delay_s: float = 0) -> None:
        self.statuses = list(statuses)
        self.delay_s = delay_s
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    index = len(receiver.requests)
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()),
                                              "raw": raw, "json": json.loads(raw), "at": time.monotonic()})
                    status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, count: int, timeout: float = 5.0) -> list[dict]:
        wait_for(lambda: len(self.requests) >= count, timeout)
        return self.requests


# Every row of docs/contract.md's endpoint table (paths under /api/v1) and of its sandbox-only table.
CONTRACT_ENDPOINTS = [
    ("GET", "/conversations"),
    ("GET", "/conversations/{id}/messages"),
    ("POST", "/conversations/{id}/messages"),
    ("POST", "/conversations/{id}/read"),
    ("POST", "/conversations/{id}/status"),
    ("POST", "/messages/send"),
    ("GET", "/webhooks"),
    ("POST", "/webhooks"),
    ("DELETE", "/webhooks/{id}"),
    ("GET", "/contacts"),
    ("POST", "/contacts"),
    ("GET", "/devices"),
    ("GET", "/wa/status"),
    ("GET", "/users"),
    ("POST", "/users"),
    ("PUT", "/users/{id}"),
    ("DELETE", "/users/{id}"),
    ("PUT", "/users/{id}/password"),
    ("PUT", "/me/password"),
    ("GET", "/roles"),
    ("POST", "/roles"),
    ("PUT", "/roles/{id}"),
    ("DELETE", "/roles/{id}"),
    ("GET", "/inboxes"),
    ("POST", "/inboxes"),
    ("PUT", "/inboxes/{id}"),
    ("DELETE", "/inboxes/{id}"),
    ("GET", "/inboxes/{id}/members"),
    ("POST", "/inboxes/{id}/members"),
    ("DELETE", "/inboxes/{id}/members/{userId}"),
    ("POST", "/inboxes/{id}/devices"),
    ("DELETE", "/inboxes/{id}/devices/{deviceId}"),
    # "Authentication and access": sign-in and who-am-I.
    ("POST", "/auth/login"),
    ("GET", "/me"),
]
SANDBOX_ENDPOINTS = [
    ("POST", "/sandbox/inbound"),
    ("GET", "/sandbox/deliveries"),
    ("POST", "/sandbox/api-keys"),
    ("DELETE", "/sandbox/api-keys/{id}"),
    ("POST", "/sandbox/faults"),
]


def concrete(path: str, ident: int = 1) -> str:
    """A contract path with every `{...}` replaced by `ident`."""
    return re.sub(r"\{[^}]+\}", str(ident), path)
