"""Webhook registrations, and delivery for real over HTTP to a local receiver, with retries and the log."""

from __future__ import annotations

import socket
import time

import pytest

from tests.sandbox.helpers import (
    DELIVERY,
    TIMESTAMP,
    WEBHOOK,
    WEBHOOK_PAYLOAD,
    Receiver,
    add_device,
    api,
    assert_error,
    assert_shape,
    deliveries,
    holds,
    inbound,
    phone,
    unique,
    wait_for,
)


@pytest.fixture
def device(empty_sandbox) -> int:
    """A connected device in the new workspace (devices are paired on a phone, not made through the API)."""
    return add_device(empty_sandbox, "Front desk", "+6281110009999")


def _hook(client, url: str, **extra) -> dict:
    response = client.post("/webhooks", json={"url": url, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- registrations --------------------------------------------------------------------------

def test_create_list_delete(empty):
    assert empty.get("/webhooks").json() == []
    created = assert_shape(_hook(empty, "https://crm.example.com/hooks/ceox"), WEBHOOK)
    assert created["url"] == "https://crm.example.com/hooks/ceox"
    assert created["events"] == ["message.received"] and created["active"] is True
    assert TIMESTAMP.match(created["created_at"])
    explicit = _hook(empty, "http://10.0.0.5:8080/in", events=["message.received"])
    assert empty.get("/webhooks").json() == [created, explicit]
    response = empty.delete(f"/webhooks/{created['id']}")
    assert response.status_code == 204 and response.content == b""
    assert empty.get("/webhooks").json() == [explicit]
    assert_error(empty.delete(f"/webhooks/{created['id']}"), 404)


@pytest.mark.parametrize("bad", [
    "ftp://example.com/hook", "example.com/hook", "not a url", "", "http://", "https:///path", "javascript:alert(1)",
    "file:///etc/passwd", "http://user:secret@example.com/hook", "https://token@example.com/hook",
    "http://exa mple.com/hook", "http://[::1", "http://example.com:99999/hook", "http://example.com:port/",
    "http://example.com/\x00", "https://" + "a" * 3000 + ".com",
])
def test_webhook_urls_are_checked(scratch, bad):
    before = scratch.get("/webhooks").json()
    assert_error(scratch.post("/webhooks", json={"url": bad}), 400, "url")
    assert scratch.get("/webhooks").json() == before


def test_duplicate_url_answers_409(scratch):
    url = f"http://127.0.0.1:9/{unique('crm')}"
    _hook(scratch, url)
    assert_error(scratch.post("/webhooks", json={"url": url}), 409, url)
    assert_error(scratch.post("/webhooks", json={"url": f" {url} "}), 409)
    assert [w["url"] for w in scratch.get("/webhooks").json()].count(url) == 1


@pytest.mark.parametrize("bad", [[], ["message.sent"], ["message.received", "chat.closed"], "message.received",
                                 None, [None], [1]])
def test_webhook_events_are_checked(scratch, bad):
    before = scratch.get("/webhooks").json()
    assert_error(scratch.post("/webhooks", json={"url": "https://example.com/h", "events": bad}), 400, "events")
    assert scratch.get("/webhooks").json() == before


def test_webhook_needs_a_url(scratch):
    assert_error(scratch.post("/webhooks", json={}), 400, "url")
    assert_error(scratch.post("/webhooks", json={"url": 42}), 400, "url")


# ---- delivery -------------------------------------------------------------------------------

def test_delivery_payload_and_headers(empty_sandbox, empty, device):
    with Receiver() as receiver:
        hook = _hook(empty, receiver.url)
        number = phone()
        result = inbound(empty_sandbox, device, number, body="Halo, ada promo?", name="Budi")
        [delivered] = receiver.wait(1)
        payload = assert_shape(delivered["json"], WEBHOOK_PAYLOAD)
        message = result["message"]
        assert payload == {
            "event": "message.received", "conversation_id": result["conversation_id"], "from": number,
            "name": "Budi", "wa_message_id": message["wa_message_id"], "body": "Halo, ada promo?",
            "media_type": "", "media_url": "", "is_group": False, "timestamp": message["timestamp"]}
        assert TIMESTAMP.match(payload["timestamp"])
        assert delivered["path"] == "/hook"
        headers = {k.lower(): v for k, v in delivered["headers"].items()}
        assert headers["content-type"] == "application/json"
        assert headers["user-agent"] == "ceox-webhooks"
        [logged] = wait_for(lambda: deliveries(empty_sandbox, hook["id"]))
        assert_shape(logged, DELIVERY)
        assert logged["webhook_id"] == hook["id"] and logged["url"] == receiver.url
        assert logged["event"] == "message.received" and logged["conversation_id"] == result["conversation_id"]
        assert logged["attempt"] == 1 and logged["status_code"] == 200 and logged["error"] is None
        assert logged["duration_ms"] >= 0 and TIMESTAMP.match(logged["time"])


def test_media_and_group_payload(empty_sandbox, empty, device):
    with Receiver() as receiver:
        _hook(empty, receiver.url)
        result = inbound(empty_sandbox, device, phone(), body="", media_type="image", is_group=True)
        payload = receiver.wait(1)[0]["json"]
        assert payload["media_type"] == "image" and payload["media_url"] == result["message"]["media_url"]
        assert payload["media_url"].startswith("/media/") and payload["body"] == ""
        assert payload["is_group"] is True
        assert payload["name"] == payload["from"]  # a new contact without a name is named by its number


def test_the_inbound_request_does_not_wait_for_delivery(empty_sandbox, empty, device):
    with Receiver(delay_s=2) as receiver:
        hook = _hook(empty, receiver.url)
        started = time.monotonic()
        inbound(empty_sandbox, device, phone())
        assert time.monotonic() - started < 1.0
        receiver.wait(1)  # the delivery did start
        [logged] = wait_for(lambda: deliveries(empty_sandbox, hook["id"]), timeout=10)
        assert logged["status_code"] == 200 and logged["duration_ms"] >= 1900


def test_failed_deliveries_are_retried_until_one_succeeds(empty_sandbox, empty, device):
    with Receiver(statuses=[500, 500, 200]) as receiver:
        hook = _hook(empty, receiver.url)
        conversation_id = inbound(empty_sandbox, device, phone())["conversation_id"]
        requests = receiver.wait(3)
        log = wait_for(lambda: (found := deliveries(empty_sandbox, hook["id"])) and len(found) == 3 and found)
        # Longer than the remaining retry delays: no fourth attempt follows a success.
        holds(lambda: len(receiver.requests) == 3 and len(deliveries(empty_sandbox, hook["id"])) == 3, 0.4)
    assert [r["json"] for r in requests[1:]] == [requests[0]["json"]] * 2  # the same payload each time
    assert [entry["attempt"] for entry in log] == [1, 2, 3]
    assert [entry["status_code"] for entry in log] == [500, 500, 200]
    assert "500" in log[0]["error"] and "500" in log[1]["error"] and log[2]["error"] is None
    assert all(entry["conversation_id"] == conversation_id and entry["duration_ms"] >= 0 for entry in log)
    # growing delays (0.05 s, then 0.1 s, in the tests' fast schedule)
    first_gap, second_gap = (requests[i + 1]["at"] - requests[i]["at"] for i in range(2))
    assert first_gap >= 0.05 and second_gap >= 0.1


def test_a_receiver_that_always_fails_gets_four_attempts(empty_sandbox, empty, device):
    with Receiver(statuses=[503]) as receiver:
        hook = _hook(empty, receiver.url)
        inbound(empty_sandbox, device, phone())
        receiver.wait(4)
        log = wait_for(lambda: (found := deliveries(empty_sandbox, hook["id"])) and len(found) == 4 and found)
        holds(lambda: len(receiver.requests) == 4, 0.5)
    assert [(e["attempt"], e["status_code"]) for e in log] == [(1, 503), (2, 503), (3, 503), (4, 503)]
    assert all("503" in e["error"] for e in log)
    assert len(deliveries(empty_sandbox, hook["id"])) == 4


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/gone", "http://a..b/hook"],
                         ids=["refused", "unencodable host"])
def test_an_unreachable_receiver_is_logged_with_the_error(empty_sandbox, empty, device, url):
    url = url.format(port=_free_port())
    hook = _hook(empty, url)
    inbound(empty_sandbox, device, phone())
    log = wait_for(lambda: (found := deliveries(empty_sandbox, hook["id"])) and len(found) == 4 and found)
    assert [e["attempt"] for e in log] == [1, 2, 3, 4]
    assert all(e["status_code"] is None and e["error"] and e["url"] == url for e in log)


def test_inactive_and_unsubscribed_webhooks_are_not_called(empty_sandbox, empty, device):
    with Receiver() as active, Receiver() as inactive, Receiver() as other_event:
        active_hook = _hook(empty, active.url)
        inactive_hook = _hook(empty, inactive.url)
        with empty_sandbox.state.store.tx() as db:  # neither can be made through the API
            db.execute("UPDATE webhooks SET active = 0 WHERE id = ?", (inactive_hook["id"],))
            other_id = db.execute("INSERT INTO webhooks (url, events, active, created_at)"
                                  " VALUES (?, '[\"message.sent\"]', 1, '2026-01-01T00:00:00Z')",
                                  (other_event.url,)).lastrowid
        assert {w["id"]: w["active"] for w in empty.get("/webhooks").json()}[inactive_hook["id"]] is False
        inbound(empty_sandbox, device, phone())
        inbound(empty_sandbox, device, phone())
        active.wait(2)
        wait_for(lambda: len(deliveries(empty_sandbox, active_hook["id"])) == 2)
        holds(lambda: inactive.requests == [] and other_event.requests == [], 0.3)
        assert deliveries(empty_sandbox, inactive_hook["id"]) == [] and deliveries(empty_sandbox, other_id) == []


def test_every_subscribed_webhook_gets_each_message(empty_sandbox, empty, device):
    with Receiver() as first, Receiver() as second:
        first_hook, second_hook = _hook(empty, first.url), _hook(empty, second.url + "?source=ceox")
        result = inbound(empty_sandbox, device, phone(), body=unique("msg"))
        assert first.wait(1)[0]["json"] == second.wait(1)[0]["json"]
        assert second.requests[0]["path"] == "/hook?source=ceox"
        assert first.requests[0]["json"]["wa_message_id"] == result["message"]["wa_message_id"]
        wait_for(lambda: deliveries(empty_sandbox, first_hook["id"]) and deliveries(empty_sandbox, second_hook["id"]))


def test_a_deleted_webhook_is_not_called(empty_sandbox, empty, device):
    with Receiver() as kept, Receiver() as removed:
        _hook(empty, kept.url)
        gone = _hook(empty, removed.url)
        assert empty.delete(f"/webhooks/{gone['id']}").status_code == 204
        inbound(empty_sandbox, device, phone())
        kept.wait(1)
        holds(lambda: removed.requests == [], 0.3)


def test_outgoing_messages_are_not_delivered(empty_sandbox, empty, device):
    with Receiver() as receiver:
        _hook(empty, receiver.url)
        assert empty.post("/messages/send", json={"to": phone(), "body": "hi"}).status_code == 201
        inbound(empty_sandbox, device, phone(), body="marker")
        [only] = receiver.wait(1)
        assert only["json"]["body"] == "marker"
        holds(lambda: len(receiver.requests) == 1, 0.3)


def test_dead_webhooks_waiting_to_retry_never_delay_a_live_one():
    """Retries wait on a timer, not in a delivery worker: ten dead webhooks (more than the workers) each
    waiting 30 s for their retry leave the next live delivery on time."""
    from ceox_sandbox.server import SandboxServer

    with SandboxServer(seed="empty", webhook_retry_delays=(30.0,)) as sandbox, Receiver() as live:
        with api(sandbox) as client:
            for _ in range(10):
                _hook(client, f"http://127.0.0.1:{_free_port()}/gone")
            hook = _hook(client, live.url)
        device = add_device(sandbox, "Front desk", "+6281110009998")
        inbound(sandbox, device, phone())
        live.wait(1, timeout=5.0)
        [logged] = wait_for(lambda: deliveries(sandbox, hook["id"]), timeout=5)
        assert logged["status_code"] == 200
        second = time.monotonic()
        inbound(sandbox, device, phone())  # the dead ones' first tries failed; they wait for their retry now
        live.wait(2, timeout=5.0)
        assert time.monotonic() - second < 3.0
