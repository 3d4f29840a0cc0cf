"""Sandbox-only endpoints: API keys, fault injection, the delivery log; user tokens are refused there."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.sandbox.helpers import (
    ADMIN,
    DELIVERY,
    TIMESTAMP,
    add_device,
    api,
    assert_error,
    assert_shape,
    inbound,
    login,
    phone,
    request,
    wait_for,
)

NO_FAULTS = {"latency_ms": 0, "error_rate": 0, "rate_limit_per_s": None}


def _documented(settings: dict) -> dict:
    """The documented fault settings; any extension the sandbox reports besides them must be off."""
    extras = {k: v for k, v in settings.items() if k not in NO_FAULTS}
    assert not any(extras.values()), extras
    return {k: settings[k] for k in NO_FAULTS}


# ---- API keys -------------------------------------------------------------------------------

def test_a_new_key_works_and_is_never_shown_again(empty_sandbox, empty_root):
    response = empty_root.post("/sandbox/api-keys", json={"name": "CRM integration"})
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"id", "name", "key"} and created["name"] == "CRM integration"
    assert created["key"].startswith("ceox_") and len(created["key"]) >= 20
    with api(empty_sandbox, authorization=created["key"]) as crm:
        me = crm.get("/me")
        assert me.status_code == 200 and me.json()["kind"] == "api_key"
        assert crm.get("/devices").status_code == 200
    listing = empty_root.get("/sandbox/api-keys")
    assert listing.status_code == 200
    keys = listing.json()
    assert [k["name"] for k in keys] == ["default", "CRM integration"]
    assert all(set(k) == {"id", "name", "key_prefix", "created_at", "revoked_at"} for k in keys)
    assert keys[1]["id"] == created["id"] and created["key"].startswith(keys[1]["key_prefix"])
    assert len(keys[1]["key_prefix"]) < len(created["key"]) - 8
    assert TIMESTAMP.match(keys[1]["created_at"]) and keys[1]["revoked_at"] is None
    assert created["key"] not in listing.text and empty_sandbox.api_key not in listing.text


def test_revoking_a_key(empty_sandbox, empty_root):
    created = empty_root.post("/sandbox/api-keys", json={"name": "temporary"}).json()
    with api(empty_sandbox, authorization=created["key"]) as temporary:
        assert temporary.get("/me").status_code == 200
        response = empty_root.delete(f"/sandbox/api-keys/{created['id']}")
        assert response.status_code == 204 and response.content == b""
        assert_error(temporary.get("/me"), 401, "revoked")
    revoked = next(k for k in empty_root.get("/sandbox/api-keys").json() if k["id"] == created["id"])
    assert TIMESTAMP.match(revoked["revoked_at"])
    assert empty_root.delete(f"/sandbox/api-keys/{created['id']}").status_code == 204  # already revoked: fine
    assert_error(empty_root.delete("/sandbox/api-keys/999999"), 404)


def test_the_last_active_key_cannot_be_revoked(empty_sandbox, empty_root):
    [default] = empty_root.get("/sandbox/api-keys").json()
    assert_error(empty_root.delete(f"/sandbox/api-keys/{default['id']}"), 409, "last")
    second = empty_root.post("/sandbox/api-keys", json={"name": "second"}).json()
    assert empty_root.delete(f"/sandbox/api-keys/{default['id']}").status_code == 204  # revoking itself is fine
    assert_error(empty_root.get("/sandbox/api-keys"), 401)
    with api(empty_sandbox, authorization=second["key"], root=True) as root:
        assert_error(root.delete(f"/sandbox/api-keys/{second['id']}"), 409, "last")
        assert root.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": " "}, {"name": None}, {"name": 7}, [],
                                  {"name": "x" * 999}])
def test_a_key_needs_a_name(empty_root, body):
    assert_error(empty_root.post("/sandbox/api-keys", json=body), 400)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/sandbox/inbound", {"device_id": 1, "from": "+6281234567890", "body": "hi"}),
    ("GET", "/sandbox/deliveries", None),
    ("GET", "/sandbox/api-keys", None),
    ("POST", "/sandbox/api-keys", {"name": "mine"}),
    ("DELETE", "/sandbox/api-keys/1", None),
    ("GET", "/sandbox/faults", None),
    ("POST", "/sandbox/faults", {"error_rate": 1}),
])
def test_sandbox_endpoints_refuse_user_tokens(demo_sandbox, method, path, body):
    token = login(demo_sandbox, ADMIN)  # even the admin: these stand in for the web app, not the API
    with api(demo_sandbox, token, root=True) as admin_user:
        response = admin_user.request(method, path, json=body)
    assert_error(response, 403, "API key")
    with api(demo_sandbox, root=True) as root:
        assert _documented(root.get("/sandbox/faults").json()) == NO_FAULTS
        assert len(root.get("/sandbox/api-keys").json()) == 1


# ---- the delivery log -----------------------------------------------------------------------

def test_deliveries_are_listed_and_filtered(empty_sandbox, empty, empty_root):
    assert empty_root.get("/sandbox/deliveries").json() == []
    device = add_device(empty_sandbox, "Desk", "+6281110008888")
    first = empty.post("/webhooks", json={"url": "http://127.0.0.1:9/first"}).json()["id"]
    second = empty.post("/webhooks", json={"url": "http://127.0.0.1:9/second"}).json()["id"]
    conversation = inbound(empty_sandbox, device, phone())["conversation_id"]
    everything = wait_for(lambda: (found := empty_root.get("/sandbox/deliveries").json()) and len(found) == 8
                          and found)
    assert {assert_shape(d, DELIVERY)["webhook_id"] for d in everything} == {first, second}
    assert all(d["conversation_id"] == conversation and d["event"] == "message.received" for d in everything)
    assert [d["id"] for d in everything] == sorted(d["id"] for d in everything)
    only_first = empty_root.get("/sandbox/deliveries", params={"webhook_id": first}).json()
    assert [d["attempt"] for d in only_first] == [1, 2, 3, 4]
    assert {d["url"] for d in only_first} == {"http://127.0.0.1:9/first"}
    assert empty_root.get("/sandbox/deliveries", params={"webhook_id": 999_999}).json() == []
    assert_error(empty_root.get("/sandbox/deliveries", params={"webhook_id": "x"}), 400, "webhook_id")


def test_demo_deliveries_show_the_seeded_failures(demo_sandbox, demo_root):
    inbound(demo_sandbox, 1, phone())
    log = wait_for(lambda: demo_root.get("/sandbox/deliveries").json())
    assert all(assert_shape(d, DELIVERY)["error"] for d in log if d["url"].startswith("http://127.0.0.1:9/"))


# ---- fault injection ------------------------------------------------------------------------

@pytest.fixture
def faults(empty_sandbox, empty_root) -> Iterator[httpx.Client]:
    """The sandbox's host root; faults are always cleared afterwards."""
    try:
        yield empty_root
    finally:
        assert empty_root.post("/sandbox/faults", json={}).status_code == 200


def _timed(client: httpx.Client, path: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = client.get(path)
    return response, time.perf_counter() - started


def test_no_faults_by_default(faults):
    response = faults.get("/sandbox/faults")
    assert response.status_code == 200 and _documented(response.json()) == NO_FAULTS


def test_latency_slows_the_api_only(faults):
    response = faults.post("/sandbox/faults", json={"latency_ms": 200})
    assert response.status_code == 200 and _documented(response.json()) == {**NO_FAULTS, "latency_ms": 200}
    for path in ("/api/v1/devices", "/api/v1/me"):
        response, seconds = _timed(faults, path)
        assert response.status_code == 200 and seconds >= 0.2, (path, seconds)
    for path in ("/sandbox/deliveries", "/sandbox/faults", "/healthz"):
        timings = [_timed(faults, path) for _ in range(3)]
        assert all(response.status_code == 200 for response, _ in timings)
        assert min(seconds for _, seconds in timings) < 0.1, (path, timings)  # the best of 3: not slowed


def test_error_rate_one_fails_every_api_request(faults):
    assert faults.post("/sandbox/faults", json={"error_rate": 1}).json()["error_rate"] == 1
    for path in ("/api/v1/devices", "/api/v1/conversations", "/api/v1/me"):
        assert_error(faults.get(path), 503)
    assert_error(request("POST", f"{faults.base_url}/api/v1/auth/login", json={"email": "a", "password": "b"}), 503)
    assert faults.get("/sandbox/deliveries").status_code == 200
    assert faults.get("/healthz").status_code == 200
    assert _documented(faults.post("/sandbox/faults", json={}).json()) == NO_FAULTS
    assert faults.get("/api/v1/devices").status_code == 200


def test_rate_limit_answers_429_with_retry_after(faults):
    assert faults.post("/sandbox/faults", json={"rate_limit_per_s": 2}).json()["rate_limit_per_s"] == 2
    statuses, limited = [], None
    for _ in range(6):
        response = faults.get("/api/v1/roles")
        statuses.append(response.status_code)
        if response.status_code == 429:
            limited = response
    assert statuses[0] == 200 and 429 in statuses, statuses
    assert set(statuses) <= {200, 429}
    assert_error(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert all(faults.get("/sandbox/faults").status_code == 200 for _ in range(5))  # /sandbox is never limited
    assert faults.post("/sandbox/faults", json={}).status_code == 200
    assert [faults.get("/api/v1/roles").status_code for _ in range(6)] == [200] * 6


def test_throttle_rate_answers_429_at_random_with_retry_after(faults):
    assert faults.post("/sandbox/faults", json={"throttle_rate": 1}).json()["throttle_rate"] == 1
    for path in ("/api/v1/devices", "/api/v1/me"):
        limited = faults.get(path)
        assert_error(limited, 429)
        assert int(limited.headers["Retry-After"]) >= 1
    assert faults.get("/sandbox/faults").status_code == 200  # /sandbox is never throttled
    assert faults.post("/sandbox/faults", json={"throttle_rate": 0.5}).json()["throttle_rate"] == 0.5
    statuses = {faults.get("/api/v1/roles").status_code for _ in range(60)}
    assert statuses == {200, 429}  # a 1 in 2**60 chance of failing by luck
    assert faults.post("/sandbox/faults", json={}).json()["throttle_rate"] == 0
    assert faults.get("/api/v1/roles").status_code == 200


def test_an_empty_body_clears_every_fault(faults):
    faults.post("/sandbox/faults", json={"latency_ms": 50, "error_rate": 0.5, "rate_limit_per_s": 10})
    assert _documented(faults.get("/sandbox/faults").json()) == {"latency_ms": 50, "error_rate": 0.5,
                                                                 "rate_limit_per_s": 10}
    assert _documented(faults.post("/sandbox/faults", json={}).json()) == NO_FAULTS
    assert _documented(faults.get("/sandbox/faults").json()) == NO_FAULTS


@pytest.mark.parametrize("body", [
    {"latency_ms": -1}, {"latency_ms": "slow"}, {"latency_ms": 10**9}, {"error_rate": 2}, {"error_rate": -0.1},
    {"error_rate": "half"}, {"rate_limit_per_s": -1}, {"rate_limit_per_s": 0}, {"rate_limit_per_s": "x"},
    {"throttle_rate": 1.5}, {"throttle_rate": -0.1}, {"throttle_rate": "often"}, [],
])
def test_bad_fault_values_answer_400(faults, body):
    field = next(iter(body)) if isinstance(body, dict) else "object"
    assert_error(faults.post("/sandbox/faults", json=body), 400, field)
    assert _documented(faults.get("/sandbox/faults").json()) == NO_FAULTS
