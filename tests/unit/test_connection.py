"""Connecting to a workspace: each failure explained, secrets never shown or sent astray."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from dashboard.connection import ConnectError, Workspace, connect, sign_in
from dashboard.navigation import PAGES, pages_for


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def recording_server():
    """A plain HTTP server that is not CEOX and records the headers it receives."""
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(dict(self.headers))
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1", seen
    server.shutdown()


def test_api_key_connects_with_every_page(demo_sandbox):
    workspace = connect(demo_sandbox.api_url, api_key=demo_sandbox.api_key, allow_private=True)
    assert workspace.kind == "api_key" and workspace.me.user is None
    assert len(pages_for(workspace)) == len(PAGES)
    assert demo_sandbox.api_key not in repr(workspace)
    assert demo_sandbox.api_key not in workspace.identity


def test_wrong_key_is_explained(demo_sandbox):
    with pytest.raises(ConnectError, match="refused this credential"):
        connect(demo_sandbox.api_url, api_key="ceox_wrong_key_123", allow_private=True)


@pytest.mark.parametrize("key, reason", [("", "Paste the API key"), ("Bearer ceox_abc12345", "without “Bearer”"),
                                         ("sk-12345678", "does not look like"), ("ceox_a b c d e", "no spaces")])
def test_malformed_keys_never_reach_the_network(key, reason):
    with pytest.raises(ConnectError, match=reason):
        connect(f"http://127.0.0.1:{closed_port()}/api/v1", api_key=key, allow_private=True)


@pytest.mark.parametrize("url", ["", "api-wa.fantecno.net", "ftp://x.co", "https://u:p@x.co/api/v1",
                                 "https://x.co/api/v1?key=1"])
def test_malformed_base_urls(url):
    with pytest.raises(ConnectError, match="base URL"):
        connect(url, api_key="ceox_abcdefgh", allow_private=True)


def test_unreachable_host_is_explained():
    with pytest.raises(ConnectError, match="could not be reached"):
        connect(f"http://127.0.0.1:{closed_port()}/api/v1", api_key="ceox_abcdefgh", allow_private=True)


def test_tls_failure_is_explained(recording_server):
    url, _ = recording_server
    with pytest.raises(ConnectError, match="TLS"):
        connect(url.replace("http://", "https://"), api_key="ceox_abcdefgh", allow_private=True)


def test_not_a_ceox_server_is_explained(recording_server):
    url, _ = recording_server
    with pytest.raises(ConnectError, match="not like a CEOX API"):
        connect(url, api_key="ceox_abcdefgh", allow_private=True)


def test_sign_in_scopes_pages_by_role(demo_sandbox):
    analyst = sign_in(demo_sandbox.api_url, "analyst@demo.ceox.local", "ceox-demo-2026", allow_private=True)
    assert analyst.kind == "token" and analyst.role_name == "Analyst"
    assert [p.title for p in pages_for(analyst)] == [
        p.title for p in PAGES if p.capability is None or p.capability == "analytics.view"]
    assert {"Overview", "Devices", "Contacts", "Conversations"} <= {p.title for p in pages_for(analyst)}
    admin = sign_in(demo_sandbox.api_url, "admin@demo.ceox.local", "ceox-demo-2026", allow_private=True)
    assert len(pages_for(admin)) == len(PAGES)


def test_wrong_password_is_explained(demo_sandbox):
    with pytest.raises(ConnectError, match="Wrong email or password"):
        sign_in(demo_sandbox.api_url, "admin@demo.ceox.local", "not-the-password", allow_private=True)


def test_pasted_token_works(demo_sandbox):
    token = sign_in(demo_sandbox.api_url, "manager@demo.ceox.local", "ceox-demo-2026", allow_private=True).secret
    workspace = connect(demo_sandbox.api_url, token=f"Bearer {token}", allow_private=True)
    assert workspace.me.user.email == "manager@demo.ceox.local"


def test_configured_key_is_never_sent_to_a_typed_address(recording_server, monkeypatch):
    url, seen = recording_server
    monkeypatch.setenv("CEOX_API_KEY", "ceox_operator_secret_key")
    with pytest.raises(ConnectError):
        sign_in(url, "someone@x.co", "password123", allow_private=True)
    assert seen and all("ceox_operator_secret_key" not in str(headers) for headers in seen)


def test_identity_and_tenant_differ_per_credential_when_the_service_names_no_workspace(demo_sandbox):
    key = connect(demo_sandbox.api_url, api_key=demo_sandbox.api_key, allow_private=True)
    user = sign_in(demo_sandbox.api_url, "agent@demo.ceox.local", "ceox-demo-2026", allow_private=True)
    assert isinstance(key, Workspace) and key.identity != user.identity
    assert key.workspace_id != user.workspace_id  # one address does not make one workspace
