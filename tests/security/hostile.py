"""Hostile text for the injection tests: a workspace full of it, a server whose errors quote it, and a
CommonMark check of what the pages rendered as Markdown.

Every hostile value points at evil.example, so a link or image made from it is told apart from the
dashboard's own links.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer

IMAGE = "![x](http://evil.example/i.png)"
LINK = "[here](http://evil.example/l)"
HTML = "<img src=http://evil.example/h onerror=alert(1)>"
BARE = "http://evil.example/b"
STYLE = "**b** :red[r] $x$ :material/home:"
MARKDOWN_CATALOGUE = (IMAGE, LINK, HTML, BARE, STYLE)


def hostile(label: str) -> str:
    """A name that carries every Markdown trick at once (under the services' 200-character limits)."""
    return f"{label} {IMAGE} {LINK} {HTML} {BARE} {STYLE}"


USER_NAME = hostile("Ana")
USER_EMAIL = "ana[x](http://evil.example/e)@evil.example"
ROLE_NAME = hostile("Role")
INBOX_NAME = hostile("Inbox")
DEVICE_NAME = hostile("Device")
CONTACT_NAME = hostile("Cust")
WEBHOOK_URL = "https://evil.example/![w](http://evil.example/w.png)"
KEY_NAME = hostile("Key")
ERROR_MESSAGE = hostile("Refused:")
PASSWORD = "longenough1"


@dataclass(frozen=True)
class HostileWorkspace:
    sandbox: SandboxServer
    user_id: int
    conversation_id: int


def fill(sandbox: SandboxServer) -> HostileWorkspace:
    """Every name an admin or a customer can choose, set to hostile text, in an empty sandbox."""
    with sandbox.state.store.tx() as db:  # devices are paired on a phone, not created through the API
        db.execute("INSERT INTO devices (id, name, phone, wa_jid, status) VALUES"
                   " (1, ?, '+6281110001001', '6281110001001@s.whatsapp.net', 'connected')", (DEVICE_NAME,))
    with Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False) as client:
        role = client.roles.create(ROLE_NAME)
        client.roles.update(role.id, capabilities=["analytics.view", "chats.send", "inbox.view_all"])
        inbox = client.inboxes.create(name=INBOX_NAME)
        client.inboxes.assign_device(inbox.id, 1)
        user = client.users.create(name=USER_NAME, email=USER_EMAIL, password=PASSWORD, role_id=role.id,
                                   inbox_ids=[inbox.id])
        conversation = client.sandbox.inbound(device_id=1, from_="+6281234567890", name=CONTACT_NAME,
                                              body=hostile("Hello")).conversation_id
        client.conversations.send(conversation, body=hostile("Reply"))
        client.webhooks.create(WEBHOOK_URL, events=["message.received"])  # after the inbound: no deliveries
        client.sandbox.create_api_key(KEY_NAME)
    return HostileWorkspace(sandbox, user.id, conversation)


class ErrorProxy:
    """A CEOX service in front of a sandbox that refuses some requests with `ERROR_MESSAGE`.

    `refuse` says which: "reads" (all but the profile, so that connecting works) as 403s naming a
    hostile capability, "reads as conflicts" (the same, as 409s with the hostile message), "writes"
    (409s) or "nothing"."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.refuse = "nothing"
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                is_read = self.command == "GET"
                if (proxy.refuse in ("reads", "reads as conflicts") and is_read and not path.endswith("/me")) or (
                        proxy.refuse == "writes" and not is_read):
                    status = 403 if proxy.refuse == "reads" else 409
                    self._answer(status, json.dumps({"error": ERROR_MESSAGE, "capability": IMAGE}).encode())
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
                answer = httpx.request(self.command, proxy.sandbox.base_url + self.path, headers=headers,
                                       content=body, timeout=30)
                self._answer(answer.status_code, answer.content, answer.headers.get("content-type"))

            def _answer(self, status: int, content: bytes, kind: str | None = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind or "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api_url = f"http://127.0.0.1:{self._server.server_port}/api/v1"
        self.api_key = sandbox.api_key
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ErrorProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- what the pages rendered as Markdown ---------------------------------------------------------------

# Fields that Streamlit renders as Markdown: bodies of markdown/alerts/captions/toasts, labels of
# widgets, expanders, tabs, metrics and page links, help tooltips, dialog titles, progress texts.
MARKDOWN_FIELDS = {"body", "label", "help", "title", "text"}
LITERAL_ELEMENTS = {"text", "code"}  # st.text and st.code show their body as it is


def markdown_sources(at: AppTest) -> list[str]:
    """Every Markdown source string of the page (main area and sidebar), from the elements' protos."""
    found: list[str] = []

    def strings(message: Any) -> None:
        for descriptor, value in message.ListFields():
            if descriptor.message_type is not None:
                for item in [value] if hasattr(value, "ListFields") else value:  # one message, or repeated
                    if hasattr(item, "ListFields"):
                        strings(item)
            elif descriptor.name in MARKDOWN_FIELDS and isinstance(value, str) and value:
                found.append(value)
            elif descriptor.name == "options" and getattr(message, "DESCRIPTOR", None) and \
                    message.DESCRIPTOR.name == "Radio":  # radio options render Markdown too
                found.extend(value)

    def walk(node: Any) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        proto = getattr(node, "proto", None)
        if proto is not None and getattr(node, "type", "") not in LITERAL_ELEMENTS and hasattr(proto, "ListFields"):
            strings(proto)

    walk(at.main)
    walk(at.sidebar)
    return found


_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# GitHub's autolink literals (www., http(s)://, e-mail addresses), looked for as Streamlit's renderer
# does: in the text after parsing, where backslash escapes are already resolved (seen in Chromium).
_AUTOLINK = re.compile(r"(?:https?://|www\.)[^\s<]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def links_made(source: str) -> list[str]:
    """The link targets, image sources and raw HTML that `source` makes when rendered as Markdown."""
    made: list[str] = []

    def visit(tokens: list) -> None:
        for token in tokens:
            if token.children:
                visit(token.children)
            if token.type == "link_open":
                made.append(str(token.attrGet("href")))
            elif token.type == "image":
                made.append(str(token.attrGet("src")))
            elif token.type in ("html_inline", "html_block"):
                made.append(token.content)
            elif token.type == "text":
                made.extend(_AUTOLINK.findall(token.content))

    visit(_MARKDOWN.parse(source))
    return made


def hostile_links(at: AppTest) -> dict[str, list[str]]:
    """Markdown sources of the page that make a link, image or HTML pointing at evil.example."""
    found = {}
    for source in markdown_sources(at):
        evil = [target for target in links_made(source) if "evil.example" in target]
        if evil:
            found[source] = evil
    return found


def iter_pages() -> Iterator[str]:
    from dashboard.navigation import CONNECT_PAGE, PAGES
    for spec in [*PAGES, CONNECT_PAGE]:
        yield spec.path
