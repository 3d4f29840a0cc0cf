"""The test event sender: the documented payload, the answer's status and latency (never its body), and a
clear sentence for each way a request can fail (refused, DNS, TLS, timeout, a URL that is not allowed)."""

from __future__ import annotations

import http.server
import json
import socket
import threading

import pytest

from dashboard import receiver
from dashboard.outbound import OutboundPolicy
from dashboard.webhooks import explain_failure, sample_event, send_test_event

LOCAL = OutboundPolicy(allow_private=True)  # these receivers run on loopback, as for a local sandbox

DOCUMENTED = {"event": "message.received", "conversation_id": 12, "from": "+6281234567890", "name": "Budi",
              "wa_message_id": "3EB0...", "body": "hi", "media_type": "image", "media_url": "/media/ab12.jpg",
              "is_group": False, "timestamp": "2026-06-21T08:15:00Z"}


@pytest.fixture
def answering_server():
    """A local receiver that records what it gets and answers with `reply` (status, body)."""
    seen: list[dict] = []
    reply = {"status": 200, "body": b'{"ok": true}'}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers["Content-Length"])
            seen.append({"headers": dict(self.headers), "body": json.loads(self.rfile.read(length))})
            self.send_response(reply["status"])
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(reply["body"])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen, reply
    server.shutdown()
    server.server_close()


def test_the_sample_event_has_exactly_the_documented_fields_and_types():
    event = sample_event()
    assert list(event) == list(DOCUMENTED)
    assert {k: type(v) for k, v in event.items()} == {k: type(v) for k, v in DOCUMENTED.items()}
    assert receiver.check_event(event) is None
    assert event["wa_message_id"] != sample_event()["wa_message_id"]


def test_a_test_event_reports_status_and_latency(answering_server):
    url, seen, _ = answering_server
    result = send_test_event(url, LOCAL)
    assert result.ok and result.status_code == 200 and result.latency_ms >= 0
    assert result.summary.startswith("Answered 200 in ")
    assert seen[0]["body"]["event"] == "message.received" and seen[0]["body"]["conversation_id"] == 0
    assert seen[0]["headers"]["Content-Type"] == "application/json"
    assert seen[0]["headers"]["User-Agent"] == "ceox-webhooks"


def test_a_non_2xx_answer_is_a_failure_and_its_body_is_never_kept(answering_server):
    url, _, reply = answering_server
    reply.update(status=500, body=b"<h1>internal secret page</h1>")
    result = send_test_event(url, LOCAL)
    assert not result.ok and result.status_code == 500 and "must answer with a 2xx status" in result.summary
    assert "secret" not in repr(result)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_explained():
    port = free_port()
    result = send_test_event(f"http://127.0.0.1:{port}/hook", LOCAL)
    assert not result.ok and result.status_code is None
    assert result.error == (f"Nothing accepted the connection at 127.0.0.1 port {port} (connection refused): "
                            "is the receiver running?")


def test_an_unknown_host_is_a_dns_error():
    result = send_test_event("https://no-such-host.invalid/hook", LOCAL, timeout=5)
    assert result.error.startswith("The host name no-such-host.invalid could not be found (DNS)")


def test_a_tls_failure_is_explained(answering_server):
    url, _, _ = answering_server  # plain HTTP: the TLS handshake fails
    result = send_test_event(url.replace("http://127.0.0.1", "https://localhost"), LOCAL)
    assert result.error.startswith("The secure (TLS) connection to localhost failed")


def test_a_receiver_that_never_answers_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        result = send_test_event(f"http://127.0.0.1:{listener.getsockname()[1]}/hook", LOCAL, timeout=0.5)
    assert result.error == "Timed out: 127.0.0.1 accepted the connection but did not answer within 0.5 s."


@pytest.mark.parametrize("url, reason", [("http://example.com/hook", "Use https://"),
                                         ("https://user:pw@example.com/hook", "user name or password"),
                                         ("ftp://example.com/x", "http:// or https://")])
def test_urls_that_are_not_allowed_are_never_requested(url, reason):
    result = send_test_event(url, LOCAL)
    assert reason in result.error and result.status_code is None


def test_an_unexpected_error_still_becomes_a_sentence():
    sentence = explain_failure(RuntimeError("boom"), "https://a.example/x")
    assert sentence == "The request to a.example failed before an answer came."
