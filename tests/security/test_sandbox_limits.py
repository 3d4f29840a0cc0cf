"""Finding 10: the sandbox refuses oversized bodies before reading them, bounds every field, and warns
when it listens beyond loopback.

The upload tests run the sandbox as its own process (`python -m ceox_sandbox`) so that its memory can be
read from /proc: the peak resident size (VmHWM) may grow by less than 50 MB while a client streams
300 MiB at it, and the answer must come before the client has sent 32 MiB.
"""

from __future__ import annotations

import os
import queue
import re
import select
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ceox_sandbox.server import SandboxServer
from tests.sandbox.helpers import api, assert_error, phone, request

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
KEY = "ceox_limits-test-key-0001"
UPLOAD = 300 * MIB
ANSWER_BEFORE = 32 * MIB  # bytes a client may have sent when the refusal arrives
MEMORY_GROWTH = 50 * 1000 * 1000
PIECE = b"x" * (64 * 1024)


@dataclass
class Process:
    process: subprocess.Popen
    port: int
    banner: list[str]  # what it printed up to its address

    def peak_rss(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024


def _start(seed: str = "empty", host: str = "127.0.0.1") -> Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "ceox_sandbox", "--port", "0", "--seed", seed, "--api-key", KEY, "--host", host],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen = []
    while True:
        try:
            line = lines.get(timeout=30)
        except queue.Empty:
            process.kill()
            raise AssertionError(f"no banner: {seen}") from None
        seen.append(line)
        if found := re.search(r"CEOX sandbox at http://[^:]+:(\d+)/api/v1", line):
            return Process(process, int(found.group(1)), seen)


def _stop(server: Process) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def sandbox_process() -> Iterator[Process]:
    """A fresh process per test, so that each test's memory peak is its own."""
    server = _start()
    yield server
    _stop(server)


def upload(port: int, path: str, total: int, *, authorization: str | None = None,
           chunked: bool = False) -> tuple[int, int]:
    """POST a `total`-byte body the way a hostile client does: without waiting for permission, in 64 KiB
    pieces, stopping only when the server answers. Returns (status, bytes sent when the answer came)."""
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    if authorization:
        head.append(f"Authorization: {authorization}")
    frame = (b"%x\r\n" % len(PIECE)) + PIECE + b"\r\n" if chunked else PIECE
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent = 0
        while sent < total and not select.select([sock], [], [], 0)[0]:
            sock.sendall(frame)
            sent += len(PIECE)
        if sent >= total and chunked:
            sock.sendall(b"0\r\n\r\n")
        answer = b""
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            assert data, f"connection closed without an answer after {sent:,} bytes"
            answer += data
    return int(answer.split(b" ", 2)[1]), sent


@pytest.mark.parametrize(("path", "chunked"), [
    ("/api/v1/messages/send", False),  # the endpoint that may legally take 134 MiB of base64
    ("/api/v1/messages/send", True),
    ("/api/v1/conversations/1/messages", True),
    ("/api/v1/contacts", False),
    ("/api/v1/auth/login", True),  # needs no credential at all
    ("/sandbox/inbound", False),
])
def test_an_unauthenticated_300_mib_upload_is_refused_before_it_is_read(sandbox_process, path, chunked):
    before = sandbox_process.peak_rss()
    status, sent = upload(sandbox_process.port, path, UPLOAD, chunked=chunked)
    growth = sandbox_process.peak_rss() - before
    assert growth < MEMORY_GROWTH, f"the server's memory grew by {growth:,} bytes"
    assert sent < ANSWER_BEFORE, f"answered only after {sent:,} bytes"
    assert status in (401, 413)
    # And the server still answers afterwards.
    assert request("GET", f"http://127.0.0.1:{sandbox_process.port}/healthz").status_code == 200


@pytest.mark.parametrize(("path", "chunked"), [
    ("/api/v1/contacts", True),  # 1 MiB is the most any request but a media send may carry
    ("/api/v1/users", False),
    ("/api/v1/messages/send", False),  # declared over 140 MiB: refused from its header alone
])
def test_an_authenticated_oversized_upload_answers_413_without_holding_it(sandbox_process, path, chunked):
    before = sandbox_process.peak_rss()
    status, sent = upload(sandbox_process.port, path, UPLOAD, authorization=KEY, chunked=chunked)
    growth = sandbox_process.peak_rss() - before
    assert growth < MEMORY_GROWTH, f"the server's memory grew by {growth:,} bytes"
    assert sent < ANSWER_BEFORE, f"answered only after {sent:,} bytes"
    assert status == 413


def test_an_endless_chunked_media_send_stops_at_the_largest_legal_request(sandbox_process):
    status, sent = upload(sandbox_process.port, "/api/v1/messages/send", UPLOAD, authorization=KEY, chunked=True)
    assert 134 * MIB < sent < 150 * MIB, f"answered after {sent:,} bytes"  # up to the limit, no further
    assert status == 413


def test_the_refusal_is_a_json_error_that_names_the_limit(sandbox_process):
    url = f"http://127.0.0.1:{sandbox_process.port}/api/v1/contacts"
    assert_error(request("POST", url, content=b"x" * (2 * MIB), headers={"Authorization": KEY}), 413, "1 MiB")


def test_the_largest_legal_media_request_is_still_accepted():
    """A 100 MiB document (the contract's largest media) with the longest text and file name, every
    character written as a JSON escape: the body limit sits above it."""
    demo = _start("demo")  # it has connected devices to send from
    document = b"A" * (4 * (100 * MIB // 3)) + b"AA=="  # base64 of exactly 100 MiB of zeros, built without encoding
    longest_text = b"\\ud83d\\ude00" * 65536  # 65,536 characters, 12 bytes each
    body = (b'{"to": "' + phone().encode() + b'", "media_mime": "application/pdf", "media_filename": "'
            + b"\\u00e9" * 255 + b'", "body": "' + longest_text + b'", "media_base64": "' + document + b'"}')
    assert len(body) > 100 * MIB * 4 // 3
    try:
        sent = request("POST", f"http://127.0.0.1:{demo.port}/api/v1/messages/send", content=body,
                       headers={"Authorization": KEY, "Content-Type": "application/json"}, timeout=300)
    finally:
        _stop(demo)
    assert sent.status_code == 201, sent.text[:300]
    assert sent.json()["message"]["media_type"] == "document"


def test_listening_beyond_loopback_prints_a_warning():
    public = _start(host="0.0.0.0")  # noqa: S104 (the case under test; stopped at once)
    _stop(public)
    local = _start()
    _stop(local)
    assert any("warning" in line and "other machines" in line for line in public.banner), public.banner
    assert not any("warning" in line for line in local.banner), local.banner


@pytest.fixture(scope="module")
def in_process() -> Iterator[SandboxServer]:
    with SandboxServer(seed="empty") as server:
        yield server


LONG = "x" * 70_000
# (method, path, JSON body or query, the field the 400 must name): one value just over each maximum.
OVER_THE_MAXIMUM = [
    ("POST", "/webhooks", {"url": "https://example.com/h", "events": ["message.received"] * 21}, "events"),
    ("POST", "/webhooks", {"url": "https://example.com/" + "h" * 2030}, "url"),
    ("POST", "/users", {"name": "x" * 201, "email": "a@b.co", "password": "long enough", "role_id": 1}, "name"),
    ("POST", "/users", {"name": "X", "email": "a" * 250 + "@b.co", "password": "long enough", "role_id": 1}, "email"),
    ("POST", "/users", {"name": "X", "email": "a@b.co", "password": "p" * 1025, "role_id": 1}, "password"),
    ("POST", "/users", {"name": "X", "email": "a@b.co", "password": "long enough", "role_id": 1,
                        "inbox_ids": list(range(1, 1002))}, "inbox_ids"),
    ("PUT", "/users/1", {"name": "x" * 201}, "name"),
    ("POST", "/roles", {"name": "x" * 201}, "name"),
    ("PUT", "/roles/1", {"capabilities": ["chats.send"] * 65}, "capabilities"),
    ("POST", "/inboxes", {"name": "X", "description": "d" * 1001}, "description"),
    ("POST", "/inboxes", {"name": "X", "color": "#0000000"}, "color"),
    ("POST", "/contacts", {"name": "X", "phone": "+" + "1" * 32}, "phone"),
    ("POST", "/auth/login", {"email": "a" * 255, "password": "x"}, "email"),
    ("POST", "/auth/login", {"email": "a@b.co", "password": "x" * 1025}, "password"),
    ("POST", "/messages/send", {"to": "+6281234567890", "body": LONG}, "body"),
    ("POST", "/messages/send", {"to": "+6281234567890", "body": "hi", "name": "n" * 201}, "name"),
    ("POST", "/messages/send", {"to": "+6281234567890", "body": "hi", "from": "f" * 65}, "from"),
    ("POST", "/messages/send", {"to": "+6281234567890", "media_base64": "AAAA", "media_mime": "m" * 256},
     "media_mime"),
    ("POST", "/messages/send", {"to": "+6281234567890", "media_base64": "AAAA", "media_mime": "image/png",
                                "media_filename": "f" * 256}, "media_filename"),
    ("POST", "/conversations/1/messages", {"Body": LONG}, "Body"),
    ("POST", "/conversations/1/messages", {"Body": "hi", "ReplyTo": "r" * 129}, "ReplyTo"),
    ("PUT", "/me/password", {"current_password": "x" * 1025, "new_password": "long enough"}, "current_password"),
    ("GET", "/contacts", {"q": "q" * 201}, "q"),
    ("POST", "/sandbox/inbound", {"device_id": 1, "from": "+6281234567890", "body": LONG}, "body"),
    ("POST", "/sandbox/inbound", {"device_id": 1, "from": "+6281234567890", "name": "n" * 201}, "name"),
    ("POST", "/sandbox/api-keys", {"name": "x" * 201}, "name"),
]


@pytest.mark.parametrize(("method", "path", "data", "field"), OVER_THE_MAXIMUM,
                         ids=[f"{m} {p} {f}" for m, p, _, f in OVER_THE_MAXIMUM])
def test_every_field_has_a_maximum_that_answers_400(in_process, method, path, data, field):
    query, body = (data, None) if method == "GET" else (None, data)
    with api(in_process, root=path.startswith("/sandbox/")) as client:
        response = client.request(method, path, params=query, json=body)
    assert_error(response, 400, field)
