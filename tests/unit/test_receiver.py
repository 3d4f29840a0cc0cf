"""The built-in webhook receiver: secrets, checks, bounded storage, marks for the analytics sync, and its HTTP
route served by a real server on a loopback port (status codes, a burst of concurrent deliveries)."""

from __future__ import annotations

import json
import socket
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from ceox_api import Client
from dashboard import receiver
from dashboard.connection import connect
from dashboard.storage import data_dir
from dashboard.sync import sync
from dashboard.webhooks import sample_event


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path))


def event(n: int = 1, conversation_id: int = 12, **fields) -> dict:
    """The documented example payload, made unique by `n`."""
    return {"event": "message.received", "conversation_id": conversation_id, "from": "+6281234567890",
            "name": "Budi", "wa_message_id": f"3EB0{n:06d}", "body": f"hi {n}", "media_type": "image",
            "media_url": "/media/ab12.jpg", "is_group": False, "timestamp": "2026-06-21T08:15:00Z"} | fields


@pytest.fixture
def served_receiver():
    """The receiver's routes on a real HTTP server (uvicorn) on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=receiver.routes()), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the receiver did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def client(served_receiver):
    with httpx.Client(base_url=served_receiver, timeout=30) as http:
        yield http


@pytest.fixture
def secret():
    return receiver.secret_for("ws_a")


def test_each_workspace_has_one_random_secret_kept_in_a_private_file():
    first, again, other = receiver.secret_for("ws_a"), receiver.secret_for("ws_a"), receiver.secret_for("ws_b")
    assert first == again and first != other and len(first) >= 32
    assert receiver.workspace_for(first) == "ws_a" and receiver.workspace_for(other) == "ws_b"
    assert receiver.workspace_for("not-a-secret") is None and receiver.workspace_for("") is None
    assert stat.S_IMODE((data_dir() / receiver.DB_NAME).stat().st_mode) == 0o600
    assert receiver.url_for("http://127.0.0.1:8501/", first) == f"http://127.0.0.1:8501/hooks/ceox/{first}"


def test_a_valid_event_is_stored_and_marks_its_conversation(client, secret):
    answer = client.post(f"/hooks/ceox/{secret}", json=event())
    assert answer.status_code == 200 and answer.json()["ok"] is True
    stored = receiver.recent_events("ws_a")
    assert [(e["body"], e["conversation_id"], e["from"]) for e in stored] == [("hi 1", 12, "+6281234567890")]
    assert stored[0]["received_at"].endswith("Z") and receiver.recent_events("ws_b") == []


def test_a_wrong_secret_is_404_and_stores_nothing(client, secret):
    for path in ("/hooks/ceox/wrong", f"/hooks/ceox/{secret}x", "/hooks/ceox/" + "a" * 200):
        assert client.post(path, json=event()).status_code == 404
    assert receiver.event_count("ws_a") == 0


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe{}", b'{"event": "message.received",'])
def test_malformed_json_is_400(client, secret, body):
    answer = client.post(f"/hooks/ceox/{secret}", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "not JSON" in answer.json()["error"]


def test_a_body_over_one_mib_is_413_whether_declared_or_streamed(client, secret):
    big = json.dumps(event(body="x" * receiver.MAX_BODY)).encode()
    assert client.post(f"/hooks/ceox/{secret}", content=big).status_code == 413

    def chunks():  # no Content-Length: the size is only known while reading
        for start in range(0, len(big), 64 * 1024):
            yield big[start:start + 64 * 1024]

    assert client.post(f"/hooks/ceox/{secret}", content=chunks()).status_code == 413
    assert receiver.event_count("ws_a") == 0
    # Just under the limit is fine.
    fits = json.dumps(event(body="")).encode()
    fits = json.dumps(event(body="x" * (receiver.MAX_BODY - len(fits) - 10))).encode()
    assert len(fits) <= receiver.MAX_BODY and client.post(f"/hooks/ceox/{secret}", content=fits).status_code == 200


@pytest.mark.parametrize("payload, problem", [
    ([1, 2], "JSON object"),
    ({"conversation_id": 1}, "event must be"),
    (event(conversation_id="12"), "conversation_id must be int"),
    (event(conversation_id=True), "conversation_id must be int"),
    (event(is_group="no"), "is_group must be bool"),
    (event(body=5), "body must be str"),
    (event(timestamp="yesterday"), "RFC 3339"),
    ({k: v for k, v in event().items() if k != "wa_message_id"}, "missing field(s): wa_message_id"),
])
def test_events_not_of_the_documented_shape_are_422(client, secret, payload, problem):
    answer = client.post(f"/hooks/ceox/{secret}", json=payload)
    assert answer.status_code == 422 and problem in answer.json()["error"]
    assert receiver.event_count("ws_a") == 0


def test_optional_fields_may_be_null_or_missing_and_extra_fields_are_accepted_but_not_stored(client, secret):
    payload = event(name=None, media_type=None, media_url=None, extra={"x": 1})
    del payload["body"]
    assert client.post(f"/hooks/ceox/{secret}", json=payload).status_code == 200
    stored = receiver.recent_events("ws_a")[0]
    assert "extra" not in stored and stored["wa_message_id"] == payload["wa_message_id"]


def test_the_dashboards_own_test_event_is_accepted(client, secret):
    assert client.post(f"/hooks/ceox/{secret}", json=sample_event()).status_code == 200
    assert receiver.event_count("ws_a") == 1


def test_a_redelivered_message_is_stored_once(client, secret):
    for _ in range(3):
        assert client.post(f"/hooks/ceox/{secret}", json=event(7)).status_code == 200
    assert client.post(f"/hooks/ceox/{secret}", json=event(7)).json()["detail"] == "already stored"
    assert receiver.event_count("ws_a") == 1


def test_storage_is_bounded_per_workspace_dropping_the_oldest():
    for n in range(8):
        receiver.store_event("ws_a", event(n), keep=5)
    receiver.store_event("ws_b", event(1), keep=5)
    assert [e["body"] for e in receiver.recent_events("ws_a")] == ["hi 7", "hi 6", "hi 5", "hi 4", "hi 3"]
    assert receiver.event_count("ws_b") == 1


def test_a_new_event_is_noticed_after_the_store_is_full():
    """Pages watch the newest id: at `keep` events the count stays the same while new ones arrive."""
    assert receiver.newest_event_id("ws_a") == 0
    for n in range(5):
        receiver.store_event("ws_a", event(n), keep=5)
    full = receiver.newest_event_id("ws_a")
    receiver.store_event("ws_a", event(5), keep=5)
    assert receiver.event_count("ws_a") == 5  # the count cannot tell
    assert receiver.newest_event_id("ws_a") > full
    receiver.store_event("ws_b", event(6), keep=5)
    assert receiver.newest_event_id("ws_a") == receiver.recent_events("ws_a", limit=1)[0]["id"]


def test_a_scoped_reader_sees_only_the_events_of_its_conversations():
    for n, conversation_id in enumerate([1, 2, 3, 2, 0]):
        receiver.store_event("ws_a", event(n, conversation_id=conversation_id))
    assert [e["conversation_id"] for e in receiver.recent_events("ws_a", conversation_ids={2, 9})] == [2, 2]
    assert receiver.event_count("ws_a", conversation_ids={2, 9}) == 2
    assert receiver.event_count("ws_a", conversation_ids=set()) == 0 and receiver.event_count("ws_a") == 5


def test_received_conversations_are_re_read_by_the_next_analytics_sync(empty_sandbox, client):
    with empty_sandbox.state.store.tx() as db:  # the API cannot pair a phone: the store stands in for WhatsApp
        db.execute("INSERT INTO devices (id, name, phone, wa_jid, status) VALUES"
                   " (1, 'Sales', '+6281110001001', '6281110001001@s.whatsapp.net', 'connected')")
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key, use_env=False) as api:
        first = api.sandbox.inbound(device_id=1, from_="+6281234567890", body="one").conversation_id
        second = api.sandbox.inbound(device_id=1, from_="+6281234567891", body="two").conversation_id
    workspace = connect(empty_sandbox.api_url, api_key=empty_sandbox.api_key, allow_private=True)
    assert sync(workspace).fetched == 2
    report = sync(workspace)  # nothing changed in the list: only the safety window's recent threads are read
    assert (report.changed, report.new, report.marked) == (0, 0, 0) and report.fetched_ids == report.recent_ids
    secret = receiver.secret_for(workspace.workspace_id)
    assert client.post(f"/hooks/ceox/{secret}", json=event(1, conversation_id=second)).status_code == 200
    assert client.post(f"/hooks/ceox/{secret}", json=sample_event()).status_code == 200  # marks nothing
    report = sync(workspace)
    assert report.marked == 1 and report.fetched_ids - report.recent_ids == {second} and first != second
    assert sync(workspace).marked == 0


def test_only_post_is_served(client, secret):
    assert client.get(f"/hooks/ceox/{secret}").status_code == 405


def test_a_burst_of_200_concurrent_deliveries_over_http_is_all_stored(served_receiver, secret):
    url = served_receiver + receiver.path_for(secret)
    with httpx.Client(timeout=30) as http, ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda n: http.post(url, json=event(n, conversation_id=n % 7 + 1)).status_code,
                                 range(200)))
    assert statuses == [200] * 200
    stored = receiver.recent_events("ws_a", limit=500)
    assert len(stored) == 200 and {e["wa_message_id"] for e in stored} == {event(n)["wa_message_id"]
                                                                           for n in range(200)}


ADDRESS = {"configured": "", "workspace_url": "https://api-wa.fantecno.net/api/v1",
           "page_url": "https://admin.acme.co/webhooks", "host_header": "admin.acme.co", "server_port": 8501}


@pytest.mark.parametrize("changes, expected", [
    ({}, "https://admin.acme.co"),  # the address the browser used
    ({"configured": " https://hooks.acme.co/ "}, "https://hooks.acme.co"),  # the operator's setting wins
    ({"workspace_url": "http://127.0.0.1:8700/api/v1", "page_url": "http://localhost:8502/webhooks"},
     "http://127.0.0.1:8502"),  # a sandbox on this machine reaches the dashboard on loopback
    ({"workspace_url": "http://localhost:8700/api/v1", "page_url": None}, "http://127.0.0.1:8501"),
    ({"page_url": None}, "http://admin.acme.co"),
    ({"page_url": None, "host_header": None}, "http://127.0.0.1:8501"),
])
def test_the_public_address_of_the_dashboard(changes, expected):
    assert receiver.public_address(**(ADDRESS | changes)) == expected


def test_a_receiver_address_the_service_cannot_reach_is_explained():
    remote, local = "https://api-wa.fantecno.net/api/v1", "http://127.0.0.1:8700/api/v1"
    assert receiver.reachability_problem("https://admin.acme.co/hooks/ceox/s", remote) is None
    assert receiver.reachability_problem("http://127.0.0.1:8501/hooks/ceox/s", local) is None
    assert receiver.reachability_problem("http://127.0.0.1:8501/hooks/ceox/s", remote) == (
        "api-wa.fantecno.net cannot reach this machine's loopback address.")
    assert "Use https://" in receiver.reachability_problem("http://admin.acme.co/hooks/ceox/s", remote)
