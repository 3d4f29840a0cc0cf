"""No input, however malformed, makes the sandbox answer 5xx: table-driven over every endpoint, plus a fuzz.

Each case asserts a status below 500 and, for 4xx, a JSON body `{"error": "<non-empty string>"}`.
The cases run against a workspace of their own, so whatever they happen to change stays there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceox_sandbox.server import SandboxServer
from tests.conftest import FAST_RETRIES
from tests.sandbox.helpers import add_device, api, inbound, login, make_role, make_user, phone, unique

HUGE = "x" * 1_000_000
WEIRD_VALUES = [
    None, True, False, 0, -1, 1.5, 10**30, -(10**30), float("nan"), float("inf"), "", " ", HUGE, "\x00",
    "\u202eRTL override\u202c", "مرحبا بالعالم", "😀" * 50, "\ud800", "a\nb", "\t", "null", "0", "-1", "1e309",
    [], [None], [1, "a", None], {}, {"nested": {"deep": [1]}},
]
WEIRD_BODIES = [  # (content type, raw body)
    ("application/json", b""), ("application/json", b"null"), ("application/json", b"[]"),
    ("application/json", b"[1, 2]"), ("application/json", b"123"), ("application/json", b'"text"'),
    ("application/json", b"{"), ("application/json", b"{'single': 1}"), ("application/json", b"\xff\xfe\x00"),
    ("application/json", b'{"a": 1} trailing'), ("application/json", b"[" * 100_000 + b"]" * 100_000),
    ("application/json", b'{"a":' * 50_000 + b"1" + b"}" * 50_000), ("application/json", b"\xef\xbb\xbf{}"),
    ("application/json", b'{"a": NaN, "b": Infinity}'), ("application/json", json.dumps(HUGE).encode()),
    ("application/json; charset=latin-1", '{"name": "é"}'.encode("latin-1")),
    ("text/plain", b'{"name": "x"}'), ("application/x-www-form-urlencoded", b"name=x&phone=%2B628"),
    ("multipart/form-data; boundary=xx", b"--xx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xx--\r\n"),
    (None, b'{"name": "x"}'),
]
WEIRD_IDS = ["0", "-1", str(10**30), "abc", "1.5", "%00", "99999999", "%F0%9F%98%80", "1e3", "%20", "0x1", "+0",
             "1;DROP TABLE users", "..%2F..", "9223372036854775807", "9223372036854775808"]
WEIRD_QUERIES = ["", "x", "-1", "0", "1.5", str(10**30), "😀", "%00", "a" * 5000, "open&status=solved", "null"]


@dataclass
class Targets:
    device: int
    inbox: int
    role: int
    user: int
    conversation: int
    webhook: int
    token: str  # a signed-in user with every capability


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(seed="empty", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


@pytest.fixture(scope="module")
def targets(sandbox) -> Targets:
    with api(sandbox) as admin:
        inbox = admin.post("/inboxes", json={"name": "Fuzz"}).json()["id"]
        device = add_device(sandbox, "Fuzz phone", phone(), inbox_id=inbox)
        conversation = inbound(sandbox, device, phone())["conversation_id"]
        webhook = admin.post("/webhooks", json={"url": "http://127.0.0.1:9/fuzz"}).json()["id"]
        role = make_role(sandbox, ["chats.send", "users.manage", "roles.manage", "inboxes.manage",
                                   "contacts.manage", "webhooks.manage"])
        user = make_user(sandbox, role["id"], [inbox])
    return Targets(device, inbox, role["id"], user["id"], conversation, webhook, login(sandbox, user["email"]))


def endpoints(t: Targets) -> list[tuple[str, str, dict | None]]:
    """(method, path, a valid body) for every endpoint; deletes aim at nothing real."""
    return [
        ("GET", "/api/v1/conversations", None),
        ("GET", f"/api/v1/conversations/{t.conversation}/messages", None),
        ("POST", f"/api/v1/conversations/{t.conversation}/messages",
         {"Body": "hi", "MediaBase64": "", "MediaMime": "", "MediaFilename": "", "ReplyTo": ""}),
        ("POST", f"/api/v1/conversations/{t.conversation}/read", None),
        ("POST", f"/api/v1/conversations/{t.conversation}/status", {"status": "open"}),
        ("POST", "/api/v1/messages/send", {"to": "+6281234567890", "body": "hi", "device_id": t.device,
                                           "from": "", "name": "Fuzz", "media_base64": "", "media_mime": "",
                                           "media_filename": ""}),
        ("GET", "/api/v1/webhooks", None),
        ("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/fuzz-new", "events": ["message.received"]}),
        ("DELETE", "/api/v1/webhooks/99999999", None),
        ("GET", "/api/v1/contacts", None),
        ("POST", "/api/v1/contacts", {"name": "Fuzz", "phone": "+6281234567891"}),
        ("GET", "/api/v1/devices", None),
        ("GET", "/api/v1/wa/status", None),
        ("GET", "/api/v1/users", None),
        ("POST", "/api/v1/users", {"name": "Fuzz", "email": "fuzz@example.com", "password": "12345678",
                                   "role_id": t.role, "inbox_ids": [t.inbox]}),
        ("PUT", f"/api/v1/users/{t.user}", {"name": "Fuzz", "email": "fuzz-user@example.com", "role_id": t.role,
                                            "status": "idle", "inbox_ids": [t.inbox]}),
        ("PATCH", f"/api/v1/users/{t.user}", {"status": "online"}),
        ("DELETE", "/api/v1/users/99999999", None),
        ("PUT", f"/api/v1/users/{t.user}/password", {"password": "12345678"}),
        ("PUT", "/api/v1/me/password", {"current_password": "wrong-password", "new_password": "12345678"}),
        ("GET", "/api/v1/me", None),
        ("POST", "/api/v1/auth/login", {"email": "fuzz@example.com", "password": "wrong-password"}),
        ("GET", "/api/v1/roles", None),
        ("POST", "/api/v1/roles", {"name": "Fuzz role"}),
        ("PUT", f"/api/v1/roles/{t.role}", {"name": "Fuzzers", "capabilities": ["chats.send", "users.manage",
                                                                               "roles.manage", "inboxes.manage",
                                                                               "contacts.manage",
                                                                               "webhooks.manage"]}),
        ("DELETE", "/api/v1/roles/99999999", None),
        ("GET", "/api/v1/inboxes", None),
        ("POST", "/api/v1/inboxes", {"name": "Fuzz inbox", "description": "", "color": "#123456"}),
        ("PUT", f"/api/v1/inboxes/{t.inbox}", {"name": "Fuzz", "description": "d", "color": "#abcdef"}),
        ("DELETE", "/api/v1/inboxes/99999999", None),
        ("GET", f"/api/v1/inboxes/{t.inbox}/members", None),
        ("POST", f"/api/v1/inboxes/{t.inbox}/members", {"user_id": t.user}),
        ("DELETE", f"/api/v1/inboxes/{t.inbox}/members/99999999", None),
        ("POST", f"/api/v1/inboxes/{t.inbox}/devices", {"device_id": t.device}),
        ("DELETE", f"/api/v1/inboxes/{t.inbox}/devices/99999999", None),
        ("GET", "/api/v1/media/nothing.png", None),
        ("GET", "/media/nothing.png", None),
        ("POST", "/sandbox/inbound", {"device_id": t.device, "from": "+6281234567892", "name": "Fuzz", "body": "hi",
                                      "media_type": "", "is_group": False}),
        ("GET", "/sandbox/deliveries", None),
        ("GET", "/sandbox/api-keys", None),
        ("POST", "/sandbox/api-keys", {"name": "fuzz"}),
        ("DELETE", "/sandbox/api-keys/99999999", None),
        ("GET", "/sandbox/faults", None),
        ("POST", "/sandbox/faults", {"latency_ms": 0, "error_rate": 0, "rate_limit_per_s": None}),
    ]


def _problem(response: httpx.Response) -> str | None:
    """What is wrong with an answer to a malformed request, or None."""
    if response.status_code >= 500:
        return f"{response.status_code} {response.text[:200]}"
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            return f"{response.status_code} without JSON: {response.text[:200]!r}"
        if not (isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"].strip()):
            return f"{response.status_code} without an error sentence: {body!r:.200}"
    return None


class Prober:
    """Sends cases with the API key (or a user token) and collects every problem."""

    def __init__(self, sandbox: SandboxServer, token: str | None = None) -> None:
        self.client = api(sandbox, token, root=True, timeout=60)
        self.problems: list[str] = []

    def send(self, method: str, path: str, label: str, **options) -> None:
        if "json" in options:  # encoded here: httpx refuses NaN, infinities and lone surrogates
            options["content"] = json.dumps(options.pop("json")).encode()
            options["headers"] = {"Content-Type": "application/json"}
        try:
            response = self.client.request(method, path, **options)
        except httpx.HTTPError as exc:  # the server dropped the connection: as bad as a 500
            self.problems.append(f"{method} {path} {label}: {type(exc).__name__}: {exc}")
            return
        if problem := _problem(response):
            self.problems.append(f"{method} {path} {label}: {problem}")
        if path == "/sandbox/faults" and method == "POST":  # never leave a fuzzed fault behind
            self.client.post("/sandbox/faults", json={})

    def close(self) -> None:
        self.client.close()


def _label(value: object) -> str:
    text = repr(value)
    return text if len(text) < 40 else f"{text[:30]}… ({len(text)} chars)"


def _ids(t_endpoints) -> list[str]:
    return [f"{m} {p}" for m, p, _ in t_endpoints]


PLACEHOLDER = Targets(1, 1, 1, 1, 1, 1, "")
WITH_IDS = [i for i, (_, path, _) in enumerate(endpoints(PLACEHOLDER))
            if any(part.isdigit() for part in path.split("/")) or path.endswith("nothing.png")]


@pytest.mark.parametrize("index", range(len(endpoints(PLACEHOLDER))), ids=_ids(endpoints(PLACEHOLDER)))
def test_malformed_bodies_never_cause_a_5xx(sandbox, targets, index):
    method, path, valid = endpoints(targets)[index]
    prober = Prober(sandbox)
    try:
        for content_type, raw in WEIRD_BODIES:
            headers = {"Content-Type": content_type} if content_type else {}
            prober.send(method, path, f"raw body {_label(raw)} as {content_type}", content=raw, headers=headers)
        if valid is not None:
            prober.send(method, path, "no body at all")
            for field in valid:
                prober.send(method, path, f"without {field}", json={k: v for k, v in valid.items() if k != field})
                for value in WEIRD_VALUES:
                    prober.send(method, path, f"{field}={_label(value)}", json={**valid, field: value})
            prober.send(method, path, "every field null", json=dict.fromkeys(valid))
            prober.send(method, path, "unknown fields", json={**valid, "unknown": HUGE, "__proto__": {}})
            prober.send(method, path, "a list of the valid body", json=[valid])
    finally:
        prober.close()
    assert prober.problems == []


@pytest.mark.parametrize("index", WITH_IDS, ids=[_ids(endpoints(PLACEHOLDER))[i] for i in WITH_IDS])
def test_malformed_path_ids_never_cause_a_5xx(sandbox, targets, index):
    method, path, valid = endpoints(targets)[index]
    numbers = [part for part in path.split("/") if part.isdigit()]
    prober = Prober(sandbox)
    try:
        for ident in WEIRD_IDS:
            for number in numbers or ["nothing.png"]:
                weird = path.replace(f"/{number}", f"/{ident}", 1)
                prober.send(method, weird, f"id {ident}", json=valid)
    finally:
        prober.close()
    assert prober.problems == []


def test_malformed_queries_never_cause_a_5xx(sandbox, targets):
    prober = Prober(sandbox)
    try:
        for value in WEIRD_QUERIES:
            for name in ("status", "limit", "offset"):
                prober.send("GET", "/api/v1/conversations", f"{name}={_label(value)}", params={name: value})
            prober.send("GET", "/api/v1/contacts", f"q={_label(value)}", params={"q": value})
            prober.send("GET", "/sandbox/deliveries", f"webhook_id={_label(value)}", params={"webhook_id": value})
        prober.send("GET", "/api/v1/conversations?limit=1&limit=2&status=all&status=x", "repeated parameters")
    finally:
        prober.close()
    assert prober.problems == []


def test_a_user_token_with_every_capability_meets_the_same_robustness(sandbox, targets):
    """The user-token paths (scoping, own-user checks) with a few malformed bodies each."""
    prober = Prober(sandbox, targets.token)
    try:
        for method, path, valid in endpoints(targets):
            if path.startswith("/sandbox/") or valid is None:
                continue
            for value in (None, 10**30, -1, HUGE, "\ud800", [], {}):
                for field in valid:
                    prober.send(method, path, f"{field}={_label(value)}", json={**valid, field: value})
        for ident in ("0", str(10**30), str(targets.user)):
            prober.send("DELETE", f"/api/v1/users/{ident}", f"own or odd id {ident}")
    finally:
        prober.close()
    assert prober.problems == []


def test_the_server_still_answers_normally_afterwards(sandbox, targets):
    with api(sandbox) as admin:
        me = admin.get("/me")
        assert me.status_code == 200 and me.json()["kind"] == "api_key", me.text
        assert admin.get("/devices").status_code == 200
        assert admin.post("/contacts", json={"name": unique("After"), "phone": phone()}).status_code == 201


# ---- a property-based fuzz of a few bodies ---------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)
FUZZED = {
    "/api/v1/messages/send": ["to", "body", "device_id", "from", "name", "media_base64", "media_mime"],
    "/api/v1/users": ["name", "email", "password", "role_id", "inbox_ids"],
    "/api/v1/webhooks": ["url", "events"],
    "/api/v1/inboxes": ["name", "description", "color"],
    "/sandbox/inbound": ["device_id", "from", "name", "body", "media_type", "is_group"],
}


@pytest.mark.parametrize("path", list(FUZZED))
def test_fuzzed_bodies_never_cause_a_5xx(sandbox, targets, path):
    fields = FUZZED[path]
    prober = Prober(sandbox)
    bodies = st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from([*fields, "other"]), JSON_VALUES, max_size=6))

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(body=bodies)
    def check(body: object) -> None:
        prober.send("POST", path, f"fuzzed {_label(body)}", content=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"})

    try:
        check()
    finally:
        prober.close()
    assert prober.problems == []
