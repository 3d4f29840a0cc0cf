"""Finding 9: the built-in receiver against a sender that holds the secret and means harm.

Any body that does not parse is a 400 (never a 500), only the documented event type is stored,
fields are capped, a tenant's stored events are bounded in bytes as well as in number, and the page
that shows them every 2 seconds loads and renders a bounded amount whatever was stored.
"""

from __future__ import annotations

import json

import httpx
import pytest

from dashboard import receiver
from tests.ui.conftest import assert_clean, open_app, private_data_dir  # noqa: F401 (fixture)
from tests.unit.test_receiver import event, served_receiver  # noqa: F401 (fixture)

ASTRAL = "\U0001f600"  # one character, 12 bytes once JSON-escaped


@pytest.fixture
def post(served_receiver):  # noqa: F811
    secret = receiver.secret_for("tenant_a")
    with httpx.Client(base_url=served_receiver, timeout=60) as http:
        yield lambda content: http.post(f"/hooks/ceox/{secret}", content=content,
                                        headers={"Content-Type": "application/json"})


def stored() -> list[dict]:
    return receiver.recent_events("tenant_a", limit=100_000)


@pytest.mark.parametrize("body", [
    b"[" * 200_000,
    b'{"a":' * 150_000,
    ('{"event": "message.received", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}").encode(),
], ids=["open brackets", "open objects", "deep but well formed"])
def test_a_body_too_deeply_nested_to_parse_is_400_not_500(post, body):
    answer = post(body)
    assert answer.status_code == 400, answer.text
    assert stored() == []


@pytest.mark.parametrize("kind", ["message.deleted", "conversation.created", "x" * 99, "message.received "])
def test_only_the_documented_event_type_is_stored(post, kind):
    answer = post(json.dumps(event(1, event=kind)).encode())
    assert answer.status_code == 202 and answer.json()["ok"] is True
    assert stored() == []
    assert post(json.dumps(event(2)).encode()).status_code == 200  # the documented type still is
    assert [e["event"] for e in stored()] == ["message.received"]


def test_free_texts_of_a_megabyte_are_cut_and_extra_fields_dropped(post):
    body, name = "b" * 900_000, "n" * 50_000
    assert post(json.dumps(event(1, body=body, name=name, extra=["x" * 10_000])).encode()).status_code == 200
    [kept] = stored()
    assert body.startswith(kept["body"].rstrip("…")) and len(kept["body"]) < 10_000
    assert name.startswith(kept["name"].rstrip("…")) and len(kept["name"]) < 1_000
    assert "extra" not in kept and len(json.dumps(kept)) < 20_000


@pytest.mark.parametrize("fields", [
    {"wa_message_id": "w" * 100_000},
    {"media_url": "https://cdn.example/" + "u" * 500_000},
    {"from": "+62" + "8" * 10_000},
    {"media_type": "image" * 1_000},
    {"conversation_id": 10**30},
    {"conversation_id": -5},
], ids=["message id", "media url", "sender", "media type", "huge conversation", "negative conversation"])
def test_identifiers_and_numbers_out_of_bounds_are_refused(post, fields):
    answer = post(json.dumps(event(1, **fields)).encode())
    assert answer.status_code == 422, answer.text
    assert stored() == []


def test_a_lone_surrogate_is_stored_readably(post):
    assert post(b'{"event": "message.received", "conversation_id": 3, "from": "+62811", "wa_message_id": "W1",'
                b' "timestamp": "2026-06-21T08:15:00Z", "body": "a\\ud800b", "name": "\\udfff"}').status_code == 200
    [kept] = stored()
    assert kept["body"].startswith("a") and kept["body"].endswith("b")
    assert "\ud800" not in kept["body"] and "\udfff" not in kept["name"]


def test_a_tenants_stored_bytes_are_bounded_not_only_their_count():
    big = ASTRAL * 5_000  # cut to the body's cap, still about 50 KB as stored JSON
    for n in range(300):
        receiver.store_event("tenant_a", event(n, body=big))
    receiver.store_event("tenant_b", event(1))
    kept = stored()
    assert sum(len(json.dumps(e)) for e in kept) <= 5 * 2**20  # 300 of them would be about 15 MB
    assert kept[0]["wa_message_id"] == event(299)["wa_message_id"]  # the newest stay
    assert receiver.event_count("tenant_b") == 1  # another tenant's events are not pushed out


def test_the_events_page_loads_and_renders_a_bounded_amount(demo_sandbox):
    at = open_app(demo_sandbox, "app_pages/webhooks.py")
    tenant = at.session_state["workspace"].workspace_id
    for n in range(400):
        receiver.store_event(tenant, event(n, body="x" * 100_000, name="y" * 5_000))
    at.run()
    assert_clean(at)
    [table] = [frame.value for frame in at.dataframe if "body" in frame.value.columns]
    assert 0 < len(table) <= 100
    assert table["body"].str.len().max() <= 500 and table["name"].str.len().max() <= 500
    lines = [t.value for t in at.text if "conversation" in t.value]
    assert 0 < len(lines) <= 20 and max(map(len, lines)) <= 2_000
    assert any("400 events stored" in c.value for c in at.caption)
