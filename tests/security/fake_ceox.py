"""A hostile stand-in for CEOX, and an "internal service" that must never be reached through the dashboard.

`FakeCeox` answers like a CEOX API with one conversation whose single message carries an attachment:
its `media_url`, `media_type` and `media_mime`, and the bytes and content type served for it, are the
test's to choose. `Recorder` answers anything with a secret page and counts every request it gets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALL_CAPABILITIES = ["chats.send", "inbox.view_all", "analytics.view", "users.manage", "roles.manage",
                    "inboxes.manage", "contacts.manage", "webhooks.manage"]
API_KEY = "ceox_fake_service_key_123"
SECRET_PAGE = b"<html><body>internal metadata: AKIA-SECRET-TOKEN</body></html>"


@dataclass
class Attachment:
    media_url: str = "/media/photo.png"
    media_type: str = "image"
    media_mime: str = "image/png"
    served_type: str = "image/png"
    served_bytes: bytes = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class _Server:
    httpd: ThreadingHTTPServer
    hits: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"


def _send(handler: BaseHTTPRequestHandler, status: int, content_type: str, data: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], box: list[_Server]) -> Iterator[_Server]:
    server = _serve(handler)
    box.append(server)
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def _serve(handler: type[BaseHTTPRequestHandler]) -> _Server:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return _Server(httpd)


@contextmanager
def recorder() -> Iterator[_Server]:
    """An internal service: answers every request with a secret page and records its path."""
    box: list[_Server] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            box[0].hits.append(self.path)
            _send(self, 200, "text/html", SECRET_PAGE)

        do_GET = do_POST = do_HEAD = _answer  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Handler, box) as server:
        yield server


@contextmanager
def fake_ceox(attachment: Attachment) -> Iterator[_Server]:
    """A CEOX-like API at `<url>/api/v1` whose conversation #1 holds one message with `attachment`."""
    box: list[_Server] = []
    conversation = {"id": 1, "contact_id": 1, "contact_name": "Budi", "contact_phone": "+6281234567890",
                    "is_group": False, "device_id": 1, "device_name": "Support", "device_phone": "+6280000000001",
                    "inbox_id": 1, "last_message": "see attachment", "last_message_at": "2026-11-30T08:00:00Z",
                    "unread": 1, "status": "open", "created_at": "2026-11-30T08:00:00Z", "solved_at": None}
    message = {"id": 10, "conversation_id": 1, "wa_message_id": "3EB0FAKE", "from_me": False,
               "body": "see attachment", "media_type": attachment.media_type, "media_url": attachment.media_url,
               "media_mime": attachment.media_mime, "media_filename": "file", "reply_to": "",
               "status": "received", "sender_user_id": None, "timestamp": "2026-11-30T08:00:00Z"}
    answers = {
        "/api/v1/me": {"kind": "api_key", "user": None, "role": None, "capabilities": ALL_CAPABILITIES},
        "/api/v1/conversations": [conversation],
        "/api/v1/conversations/1/messages": [message],
        "/api/v1/devices": [{"id": 1, "name": "Support", "phone": "+6280000000001", "wa_jid": "x",
                             "status": "connected", "inbox_id": 1, "last_seen_at": "2026-11-30T08:00:00Z"}],
        "/api/v1/inboxes": [{"id": 1, "name": "Support", "description": "", "color": "#16a34a",
                             "member_ids": [], "device_ids": [1]}],
        "/api/v1/wa/status": {"devices": []},
    }

    class Handler(BaseHTTPRequestHandler):
        def _json(self, status: int, body: object) -> None:
            _send(self, status, "application/json", json.dumps(body).encode())

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            box[0].hits.append(path)
            if self.headers.get("Authorization") != API_KEY:
                self._json(401, {"error": "bad key"})
            elif path == attachment.media_url or path == "/api/v1" + attachment.media_url:
                _send(self, 200, attachment.served_type, attachment.served_bytes)
            elif path.startswith("/api/v1/"):
                self._json(200, answers.get(path, []))
            else:
                self._json(404, {"error": "not found"})

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Handler, box) as server:
        yield server
