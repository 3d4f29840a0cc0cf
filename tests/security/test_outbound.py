"""Findings 1–3 of the security review, and the outbound policy's hostile-target catalogue.

1. SSRF through attachments: a message's `media_url` pointing anywhere but the workspace's origin is
   never fetched, and the page says why.
2. POST SSRF with a preview: a test event never shows what the target answered, private targets are
   refused unless allowed, and Connect on a publicly served dashboard answers alike for a closed port,
   another service and a TLS port.
3. HTML on our origin: a declared type outside the allow-list for its kind is never played or shown.

Every "never reached" is checked on a real local server that counts the requests it gets.
"""

from __future__ import annotations

import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from ceox_api.errors import RequestRefused
from dashboard import conversations as chats
from dashboard.connection import ConnectError, connect
from dashboard.outbound import OutboundPolicy
from dashboard.webhooks import send_test_event
from tests.security.fake_ceox import API_KEY, SECRET_PAGE, Attachment, fake_ceox, recorder
from tests.ui.conftest import APP, assert_clean

PAGE = "app_pages/conversations.py"
STRICT = OutboundPolicy()  # a publicly served dashboard on a public workspace
LOCAL = OutboundPolicy(allow_private=True)  # a local sandbox, or an operator who allows private targets


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "ceox-data"))
    monkeypatch.delenv("CEOX_API_KEY", raising=False)
    monkeypatch.delenv("CEOX_BASE_URL", raising=False)


def conversations_page(base_url: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    # A local fake service: the typed address is allowed, as on a dashboard served to this machine only.
    at.session_state["workspace"] = connect(base_url, api_key=API_KEY, allow_private=True)
    at.switch_page(PAGE)
    return at.run()


def page_texts(at: AppTest) -> str:
    return "\n".join(t.value for t in at.text)


# --- finding 1: attachments only from the workspace's origin ---------------------------------------------

@pytest.mark.parametrize("path", ["/latest/meta-data/iam/security-credentials/", "/internal/admin"])
def test_an_attachment_elsewhere_is_never_fetched_and_the_page_says_why(path):
    with recorder() as internal:
        with fake_ceox(Attachment(media_url=internal.url + path)) as service:
            at = conversations_page(service.url + "/api/v1")
            assert_clean(at)
            assert "stored at another address than the workspace's" in page_texts(at)
            assert not any(b.label == "Download" for b in at.get("download_button"))
        assert internal.hits == []


def test_an_attachment_on_the_workspace_origin_still_loads():
    with fake_ceox(Attachment()) as service:
        at = conversations_page(service.url + "/api/v1")
        assert_clean(at)
        assert "/media/photo.png" in service.hits
        assert "could not be loaded" not in page_texts(at)


@pytest.mark.parametrize("address", ["//127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data/",
                                     "file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO"])
def test_media_addresses_that_leave_the_origin_are_refused_before_any_request(address):
    with fake_ceox(Attachment()) as service:
        workspace = connect(service.url + "/api/v1", api_key=API_KEY, allow_private=True)
        with pytest.raises(chats.MediaError, match="another address"):
            chats.fetch_media(workspace, address)


# --- finding 3: declared types outside the allow-list are never rendered -----------------------------------

@pytest.mark.parametrize("kind, declared", [("video", "text/html"), ("audio", "text/html"),
                                            ("video", "image/svg+xml"), ("audio", "application/xhtml+xml")])
def test_a_declared_type_outside_the_allow_list_is_offered_as_a_plain_download(kind, declared):
    attachment = Attachment(media_type=kind, media_mime=declared, served_type=declared,
                            served_bytes=b"<script>alert(document.cookie)</script>")
    with fake_ceox(attachment) as service:
        at = conversations_page(service.url + "/api/v1")
        next(b for b in at.button if b.label == "Load attachment").click()
        at.run()
        assert_clean(at)
        assert not at.get("audio") and not at.get("video")
        downloads = at.get("download_button")
        assert len(downloads) == 1
        # The media store names the file by the type it will serve it with: .bin is application/octet-stream.
        assert downloads[0].proto.url.endswith(".bin"), downloads[0].proto.url


@pytest.mark.parametrize("kind, declared", [("video", "video/mp4"), ("audio", "audio/ogg")])
def test_allowed_media_types_still_play(kind, declared):
    with fake_ceox(Attachment(media_type=kind, media_mime=declared, served_type=declared,
                              served_bytes=b"\x00" * 128)) as service:
        at = conversations_page(service.url + "/api/v1")
        next(b for b in at.button if b.label == "Load attachment").click()
        at.run()
        assert_clean(at)
        assert at.get(kind)


# --- finding 2: test events and Connect -------------------------------------------------------------------

def test_a_test_event_never_reports_what_the_target_answered():
    with recorder() as internal:
        result = send_test_event(internal.url + "/latest/meta-data/", LOCAL)
        assert internal.hits == ["/latest/meta-data/"] and result.status_code == 200
        assert SECRET_PAGE.decode()[:20] not in repr(result) and "AKIA" not in repr(result)


def test_a_test_event_to_a_private_target_is_refused_unless_allowed():
    with recorder() as internal:
        for url in (internal.url + "/hook", internal.url.replace("http://", "https://") + "/hook"):
            result = send_test_event(url.replace("127.0.0.1", "localhost"), STRICT)
            assert "loopback or private network address" in result.error
        assert internal.hits == []


def _tls_port() -> tuple[socket.socket, int]:
    """A port that accepts TCP and then speaks nonsense instead of TLS or HTTP."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.sendall(b"\x15\x03\x01\x00\x02\x02\x28")  # a TLS alert
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


def test_connect_on_a_public_dashboard_does_not_tell_ports_apart():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    listener, tls_port = _tls_port()
    with recorder() as other_service:
        addresses = [f"http://127.0.0.1:{closed_port}/api/v1", other_service.url + "/api/v1",
                     f"https://127.0.0.1:{tls_port}/api/v1"]
        # Served publicly but allowed to reach private targets (the operator's choice): still one sentence.
        messages = set()
        for url in addresses:
            with pytest.raises(ConnectError) as caught:
                connect(url, api_key="ceox_abcdefgh123", allow_private=True, reveal=False)
            messages.add(str(caught.value))
        assert len(messages) == 1, messages
        # Not allowed (the default for a publicly served dashboard): refused before any request.
        for url in addresses:
            with pytest.raises(ConnectError, match="loopback or private network address"):
                connect(url, api_key="ceox_abcdefgh123", allow_private=False)
        assert other_service.hits == ["/api/v1/me"]
    listener.close()


# --- the hostile-target catalogue ---------------------------------------------------------------------------

@pytest.fixture
def loopback_listener():
    """A local port that counts the connections it accepts (on IPv4 and, where possible, IPv6 loopback)."""
    accepted: list[str] = []
    sockets = []
    v4 = socket.socket()
    v4.bind(("127.0.0.1", 0))
    port = v4.getsockname()[1]
    sockets.append(v4)
    try:
        v6 = socket.socket(socket.AF_INET6)
        v6.bind(("::1", port))
        sockets.append(v6)
    except OSError:
        pass
    for sock in sockets:
        sock.listen()

        def serve(sock=sock) -> None:
            while True:
                try:
                    conn, peer = sock.accept()
                except OSError:
                    return
                accepted.append(peer[0])
                conn.close()

        threading.Thread(target=serve, daemon=True).start()
    yield port, accepted
    for sock in sockets:
        sock.close()


LOOPBACK_SPELLINGS = ["127.0.0.1", "localhost", "[::1]", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1",
                      "[::ffff:127.0.0.1]", "LOCALHOST.", "rebound.example"]
NEVER = ["169.254.169.254", "metadata.google.internal", "[fe80::1]", "0.0.0.0", "[::]", "0.1.2.3",  # noqa: S104
         "100.100.100.200", "[fd00:ec2::254]", "224.0.0.1", "240.0.0.1", "[::ffff:169.254.169.254]"]
PRIVATE = ["10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "[fd12:3456::1]"]


def _resolver(host: str, port: int) -> list[str]:
    """The system's resolver, except that `rebound.example` points to loopback (a hostile DNS answer)."""
    if host == "rebound.example":
        return ["127.0.0.1"]
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_loopback_in_any_spelling_is_refused_without_a_connection(host, scheme, loopback_listener):
    port, accepted = loopback_listener
    policy = OutboundPolicy(resolver=_resolver)
    url = f"{scheme}://{host}:{port}/latest/meta-data/"
    with pytest.raises(RequestRefused, match="loopback or private"):
        policy.check(url)
    with policy.http_client(timeout=2) as http:
        try:
            http.get(url)
        except RequestRefused as exc:
            assert "loopback or private" in exc.message
        except (ValueError, httpx.InvalidURL):
            pass  # httpx itself refuses some spellings (octal) as an invalid URL: no request either
        else:
            pytest.fail("the request was sent")
    assert accepted == []


@pytest.mark.parametrize("host", NEVER)
@pytest.mark.parametrize("allow_private", [False, True])
def test_metadata_link_local_and_reserved_addresses_are_refused_always(host, allow_private):
    policy = OutboundPolicy(allow_private=allow_private)
    with pytest.raises(RequestRefused, match="never contacts"):
        policy.check(f"http://{host}/latest/meta-data/")


@pytest.mark.parametrize("host", PRIVATE)
def test_private_ranges_are_refused_unless_allowed(host):
    with pytest.raises(RequestRefused, match="loopback or private"):
        OutboundPolicy().check(f"https://{host}/hook")
    assert OutboundPolicy(allow_private=True).check(f"https://{host}/hook").address == host.strip("[]")


class _RedirectServer:
    """A first hop the policy allows (a local receiver) that answers every request with a redirect."""

    def __init__(self, location: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:{port}/",
                                    "http://[::1]:{port}/", "http://2130706433:{port}/", "http://10.0.0.1/",
                                    "http://metadata.google.internal/"])
def test_redirects_are_never_followed(target, loopback_listener):
    port, accepted = loopback_listener
    location = target.format(port=port)
    first_hop = _RedirectServer(location)
    try:
        with LOCAL.http_client(timeout=2) as http:
            response = http.get(first_hop.url + "/hook")
        result = send_test_event(first_hop.url + "/hook", LOCAL)
    finally:
        first_hop.stop()
    assert response.status_code == 302 and response.headers["location"] == location
    assert result.status_code == 302 and not result.ok
    assert accepted == []


def test_a_dns_answer_that_changes_after_the_check_is_not_followed(loopback_listener):
    """Resolved once, connected to that address: a second, hostile answer is never asked for or used."""
    port, accepted = loopback_listener
    answers = iter([["192.0.2.10"], ["127.0.0.1"]])  # TEST-NET-1 (no route here), then loopback
    asked: list[str] = []

    def rebinding(host: str, _port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    # Private targets allowed, so that only the pin (not the range check) can keep loopback out.
    policy = OutboundPolicy(allow_private=True, resolver=rebinding)
    assert policy.check(f"http://rebind.example:{port}/").address == "192.0.2.10"
    with pytest.raises(httpx.HTTPError), policy.http_client(timeout=1) as http:
        http.get(f"http://rebind.example:{port}/")
    assert asked == ["rebind.example"] and accepted == []


def test_tls_keeps_the_host_name_when_the_address_is_pinned():
    """The certificate is checked against the name, not the pinned address."""
    request = httpx.Request("GET", "https://localhost:8443/x")
    LOCAL.pin(request)
    assert request.url.host == "127.0.0.1" and request.headers["host"] == "localhost:8443"
    assert request.extensions["sni_hostname"] == "localhost"


# --- one policy: no other way out --------------------------------------------------------------------------

def test_every_request_the_dashboard_makes_goes_through_the_policy():
    """No module of the dashboard opens its own HTTP client; every CEOX client it makes carries the policy's hook."""
    root = Path(__file__).resolve().parents[2]
    sources = [p for folder in ("dashboard", "ui", "app_pages") for p in (root / folder).rglob("*.py")]
    sources.append(root / "app.py")
    for path in sources:
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(root))
        if name == "dashboard/outbound.py":
            continue
        assert not re.search(r"httpx\.(Async)?Client\(|urllib\.request|requests\.(get|post)", text), name
        for call in re.finditer(r"(?<![\w.])(Async)?Client\(", text):
            line = text[call.start():text.find("\n", text.find(")", call.start()))]
            assert "request_hook=" in line, f"{name}: {line}"


# --- the demo's own address is trusted, nothing else on its network -----------------------------------------

def test_the_demo_trusts_its_own_address_only(demo_sandbox):
    """A demo (or operator-configured) workspace on loopback may reach itself; every other private address,
    other loopback ports included, stays refused (the review's F1: the whole network used to open)."""
    workspace = connect(demo_sandbox.api_url, api_key=demo_sandbox.api_key, source="demo")
    assert not workspace.allow_private
    with workspace.client() as client:
        assert client.devices.list()
    with recorder() as internal:
        for url in (internal.url + "/admin/shutdown", f"https://10.255.255.1:{internal.httpd.server_address[1]}/"):
            result = send_test_event(url, workspace.policy())
            assert "loopback or private network address" in result.error
            assert workspace.policy().address_problem(url)
        assert internal.hits == []
        # Trusting one more address (the dashboard's own receiver) opens that address and port only.
        trusted = workspace.policy().trusting(internal.url + "/hooks/ceox/x")
        assert send_test_event(internal.url + "/hooks/ceox/x", trusted).status_code == 200
        assert "loopback or private" in send_test_event(demo_sandbox.base_url.rsplit(":", 1)[0] + ":9/", trusted).error
