"""The Webhooks & API keys page through AppTest: one-click registration of the built-in receiver, events
shown as they are stored, webhooks created (validated first) and deleted (after confirmation), test
events with status, latency and body shown as text, health and the sandbox's delivery log, and API keys."""

from __future__ import annotations

import http.server
import threading
import time
from functools import partial

import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard import audit, receiver
from dashboard.connection import sign_in
from tests.conftest import FAST_RETRIES
from tests.ui.conftest import APP, as_read, assert_clean, markdown_texts, open_app
from tests.ui.test_conversations_page import XSS_NAME

PAGE = "app_pages/webhooks.py"


@pytest.fixture
def own_demo():
    """A demo workspace of the test's own: these tests add and delete webhooks and keys."""
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


@pytest.fixture
def api(own_demo):
    with Client(own_demo.api_url, api_key=own_demo.api_key, use_env=False) as client:
        yield client


@pytest.fixture
def answering_receiver():
    """A local webhook receiver answering 200 with a body that looks like HTML and Markdown."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<script>alert(1)</script> **thanks**")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ceox"
    server.shutdown()
    server.server_close()


page_app = partial(open_app, page=PAGE)


def button(at: AppTest, label: str, key: str | None = None):
    return next(b for b in at.button if b.label == label and (key is None or b.key == key))


def codes(at: AppTest) -> list[str]:
    return [c.value for c in at.code]


def test_one_click_registers_this_dashboard_as_the_receiver(own_demo, api, monkeypatch):
    monkeypatch.setattr(receiver, "_served", False)  # as in a process that never built the routes
    at = page_app(own_demo)
    assert_clean(at)
    workspace = at.session_state["workspace"]
    secret = receiver.secret_for(workspace.workspace_id)
    url = f"http://127.0.0.1:8501/hooks/ceox/{secret}"
    assert url in codes(at)
    # AppTest runs the page without `streamlit run`, so nothing serves the route here: the page says so.
    assert any("does not serve the receiver" in w.value for w in at.warning)
    button(at, "Use this dashboard as the receiver").click().run()
    assert_clean(at)
    hook = next(h for h in api.webhooks.list() if h.url == url)
    assert hook.events == ["message.received"] and hook.active
    assert at.success[0].value == f"Registered as webhook #{hook.id}: events arrive here."
    assert not [b for b in at.button if b.label == "Use this dashboard as the receiver"]
    # The audit log records the registration without the receiver's secret.
    entry = audit.entries(workspace)[0]
    assert entry["action"] == "webhook.create" and secret not in str(entry) and "/hooks/ceox/•••" in entry["target"]


def test_received_events_are_listed_as_plain_text(own_demo):
    at = page_app(own_demo)
    assert [t.value for t in at.text if "No events" in t.value] == ["No events received yet."]
    workspace_id = at.session_state["workspace"].workspace_id
    for n in range(3):
        receiver.store_event(workspace_id, {"event": "message.received", "conversation_id": 40 + n,
                                            "from": "+6281234567890", "name": XSS_NAME,
                                            "wa_message_id": f"W{n}", "body": f"**pesan** {n}",
                                            "timestamp": "2026-06-21T08:15:00Z"})
    at.run()  # what the fragment's 2-second refresh does
    assert_clean(at)
    assert "3 events stored · refreshed every 2 seconds" in [c.value for c in at.caption]
    lines = [t.value for t in at.text if "· conversation " in t.value]
    assert len(lines) == 3 and lines[0].endswith(f"· conversation 42 · +6281234567890 {XSS_NAME}: **pesan** 2")
    table = next(d.value for d in at.dataframe if "received_at" in d.value.columns)
    assert table["name"].tolist() == [XSS_NAME] * 3
    assert not any("**bold**" in m or "onerror" in m or "**pesan**" in m for m in markdown_texts(at))


def test_a_webhook_url_is_checked_before_it_is_created(own_demo, api):
    at = page_app(own_demo)
    before = len(api.webhooks.list())
    for url, problem in [("http://example.com/hook", "Use https://"), ("https://u:p@example.com/x", "user name"),
                         ("", "URL is required.")]:
        at.text_input(key="new_webhook_url").input(url)
        button(at, "Add webhook").click().run()
        assert problem in as_read(at.error[0].value)
    assert len(api.webhooks.list()) == before
    at.text_input(key="new_webhook_url").input("https://hooks.example.com/ceox")
    button(at, "Add webhook").click().run()
    assert_clean(at)
    assert [h.url for h in api.webhooks.list()][-1] == "https://hooks.example.com/ceox"
    assert "https://hooks.example.com/ceox" in codes(at)
    at.text_input(key="new_webhook_url").input("https://hooks.example.com/ceox")
    button(at, "Add webhook").click().run()
    assert at.warning[-1].value == "That URL is registered already."
    assert len(api.webhooks.list()) == before + 1


def test_delete_asks_first(own_demo, api):
    hook = api.webhooks.create("https://hooks.example.com/to-delete")
    at = page_app(own_demo)
    button(at, "Delete", f"delete_webhook_{hook.id}").click().run()
    assert at.session_state["webhook_to_delete"] == hook.id
    assert "https://hooks.example.com/to-delete" in codes(at)
    button(at, "Cancel").click().run()
    assert hook.id in [h.id for h in api.webhooks.list()]
    button(at, "Delete", f"delete_webhook_{hook.id}").click().run()
    button(at, "Delete webhook").click().run()
    assert_clean(at)
    assert hook.id not in [h.id for h in api.webhooks.list()]
    assert "https://hooks.example.com/to-delete" not in codes(at)


def test_a_test_event_shows_status_and_latency_never_the_answer(own_demo, api, answering_receiver):
    hook = api.webhooks.create(answering_receiver)
    at = page_app(own_demo)
    button(at, "Send test event", f"test_webhook_{hook.id}").click().run()
    assert_clean(at)
    assert any(t.value.startswith("Answered 200 in ") and t.value.endswith("ms (accepted).") for t in at.text)
    shown = [*codes(at), *(t.value for t in at.text), *markdown_texts(at)]
    assert not any("thanks" in text or "<script>" in text for text in shown)
    assert any(t.value == "The last attempt succeeded." for t in at.text)
    assert ":green-badge[● healthy]" in [m.value for m in at.markdown]


def test_an_unreachable_webhook_is_explained_and_failing(own_demo):
    at = page_app(own_demo)  # the demo's webhook #1 points at 127.0.0.1:9, where nothing listens
    button(at, "Send test event", "test_webhook_1").click().run()
    assert_clean(at)
    assert ("Nothing accepted the connection at 127.0.0.1 port 9 (connection refused): is the receiver running?"
            in [t.value for t in at.text])
    assert ":red-badge[✕ failing]" in [m.value for m in at.markdown]


def test_the_demos_failing_webhooks_show_failing_from_the_first_look(own_demo):
    at = page_app(own_demo)  # no event since the seed: the seeded delivery log is the evidence
    assert_clean(at)
    assert [m.value for m in at.markdown if "badge[" in m.value and "DEMO" not in m.value] == [
        ":red-badge[✕ failing]"] * 2
    assert [e.label for e in at.expander if e.label.startswith("Delivery log")] == [
        "Delivery log (the 9 most recent attempts)"] * 2
    log = next(d.value for d in at.dataframe if "Attempt" in d.value.columns)
    assert log["Attempt"].tolist() == [3, 2, 1] * 3
    assert (log["Result"] == "Nothing is listening at that address (connection refused).").all()


def test_the_sandbox_delivery_log_is_shown_per_webhook(own_demo, api):
    api.sandbox.inbound(device_id=1, from_="+6281234500001", body="halo")
    deadline = time.monotonic() + 10
    # Both seeded webhooks: the seed's 9 attempts, then this event's first try and 3 retries.
    while any(len([d for d in api.sandbox.deliveries() if d.webhook_id == hook]) < 13 for hook in (1, 2)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    at = page_app(own_demo)
    assert_clean(at)
    # The seed's 9 attempts and this event's first try and 3 retries.
    assert [e.label for e in at.expander if e.label.startswith("Delivery log")] == [
        "Delivery log (the 13 most recent attempts)", "Delivery log (the 13 most recent attempts)"]
    log = next(d.value for d in at.dataframe if "Attempt" in d.value.columns)
    assert log["Attempt"].tolist() == [4, 3, 2, 1, *[3, 2, 1] * 3]
    assert (log["Result"] == "Nothing is listening at that address (connection refused).").all()
    assert ":red-badge[✕ failing]" in [m.value for m in at.markdown]
    assert any(t.value == "The last 10 attempts failed. Latest delivery: Nothing is listening at that address "
                          "(connection refused)." for t in at.text)


def test_api_keys_are_created_switched_to_and_revoked_on_the_sandbox(empty_sandbox):
    at = page_app(empty_sandbox)
    assert_clean(at)
    keys = next(d.value for d in at.dataframe if "in use" in d.value.columns)
    assert keys["in use"].tolist() == [True]
    at.text_input(key="new_api_key_name").input("CRM integration")
    button(at, "Create key").click().run()
    assert_clean(at)
    new_key = at.session_state["new_api_key"]["key"]
    assert new_key.startswith("ceox_") and new_key in codes(at)
    button(at, "Switch the dashboard to this key").click().run()
    assert_clean(at)
    assert at.session_state["workspace"].secret == new_key and new_key not in codes(at)
    keys = next(d.value for d in at.dataframe if "in use" in d.value.columns)
    assert keys["in use"].tolist() == [False, True]
    # The old key is no longer in use: revoke it in one click; the dashboard keeps working on the new one.
    at.selectbox(key="api_key_to_revoke").select_index(0).run()
    button(at, "Revoke key").click().run()
    assert_clean(at)
    with Client(empty_sandbox.api_url, api_key=new_key, use_env=False) as client:
        assert [k.revoked_at is not None for k in client.sandbox.list_api_keys()] == [True, False]
    # The key in use cannot be revoked from here.
    at.selectbox(key="api_key_to_revoke").select_index(0).run()
    assert button(at, "Revoke key").disabled


def test_a_user_token_sees_webhooks_but_not_the_sandbox_only_parts(own_demo):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["workspace"] = sign_in(own_demo.api_url, "admin@demo.ceox.local", "ceox-demo-2026",
                                            allow_private=True)
    at.switch_page(PAGE)
    at.run()
    assert_clean(at)
    assert "The sandbox's delivery log needs an API-key connection." in [as_read(c.value) for c in at.caption]
    assert "Managing the sandbox's API keys needs an API-key connection." in [c.value for c in at.caption]
    assert len([b for b in at.button if b.label == "Send test event"]) == 2


def test_api_errors_show_as_sentences(own_demo, api):
    at = page_app(own_demo, run=False)
    api.sandbox.set_faults(error_rate=1.0)
    try:
        at.run()
    finally:
        api.sandbox.clear_faults()
    assert_clean(at)
    assert "The service failed" in at.error[0].value
