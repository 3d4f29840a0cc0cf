"""Authentication exactly as docs/contract.md documents it: API keys, user tokens, sign-in, `GET /me`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from tests.sandbox.helpers import (
    ADMIN,
    AGENT,
    ALL_CAPABILITIES,
    CONTRACT_ENDPOINTS,
    MANAGER,
    PASSWORD,
    ROLE,
    SANDBOX_ENDPOINTS,
    TIMESTAMP,
    USER,
    api,
    assert_error,
    assert_shape,
    concrete,
    login,
    make_role,
    make_user,
    request,
    signed_in,
)


def _me(sandbox, authorization: str) -> httpx.Response:
    return request("GET", f"{sandbox.api_url}/me", headers={"Authorization": authorization})


def _token(sandbox, claims: dict, secret: str | None = None) -> str:
    return jwt.encode(claims, secret or sandbox.state.store.get_meta("jwt_secret"), algorithm="HS256")


def test_api_key_without_bearer_works(demo_sandbox, demo):
    response = demo.get("/devices")
    assert response.status_code == 200
    assert [d["id"] for d in response.json()] == [1, 2, 3, 4]
    assert demo.headers["Authorization"].startswith("ceox_")


def test_api_key_with_bearer_is_refused_with_a_helpful_message(demo_sandbox):
    error = assert_error(_me(demo_sandbox, f"Bearer {demo_sandbox.api_key}"), 401, "bearer", "ceox_")
    assert "without" in error.lower()


@pytest.mark.parametrize("authorization", [
    "ceox_notakey123456", "ceox_", "Bearer", "Bearer  x", "Bearer not.a.jwt", "Token abc", "Basic YWRtaW46YWRtaW4=",
    "garbage", "ceox_" + "x" * 10_000, "Bearer " + "a" * 100_000,
])
def test_bad_credentials_answer_401_with_an_error(demo_sandbox, authorization):
    assert_error(_me(demo_sandbox, authorization), 401)


def test_missing_header_answers_401_saying_what_to_send(demo_sandbox):
    response = request("GET", f"{demo_sandbox.api_url}/devices")
    assert_error(response, 401, "authorization", "ceox_", "bearer")


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in CONTRACT_ENDPOINTS if p != "/auth/login"])
def test_every_api_endpoint_needs_a_credential(demo_sandbox, method, path):
    response = request(method, demo_sandbox.api_url + concrete(path), json={})
    assert_error(response, 401)


@pytest.mark.parametrize(("method", "path"), [*SANDBOX_ENDPOINTS, ("GET", "/sandbox/api-keys"),
                                              ("GET", "/media/x.png"), ("GET", "/api/v1/media/x.png")])
def test_sandbox_endpoints_and_media_need_a_credential(demo_sandbox, method, path):
    response = request(method, demo_sandbox.base_url + concrete(path), json={})
    assert_error(response, 401)


def test_health_needs_no_credential(demo_sandbox):
    response = request("GET", f"{demo_sandbox.base_url}/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_login_returns_a_token_and_the_user(demo_sandbox):
    response = request("POST", f"{demo_sandbox.api_url}/auth/login", json={"email": AGENT, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "user"}
    user = assert_shape(body["user"], USER)
    assert user["email"] == AGENT and user["role_name"] == "Agent" and user["role_id"] == 2
    assert TIMESTAMP.match(user["last_seen_at"])
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["sub"] == str(user["id"])
    assert timedelta(hours=11) < timedelta(seconds=claims["exp"] - claims["iat"]) <= timedelta(hours=12)


def test_user_token_works_as_bearer(demo_sandbox):
    token = login(demo_sandbox, AGENT)
    with api(demo_sandbox, token) as agent:
        response = agent.get("/devices")
    assert response.status_code == 200
    assert [d["id"] for d in response.json()] == [1]  # the agent is a member of Sales only


def test_user_token_without_bearer_is_refused(demo_sandbox):
    assert_error(_me(demo_sandbox, login(demo_sandbox, AGENT)), 401)


@pytest.mark.parametrize(("email_address", "password"), [
    (AGENT, "wrong-password"), (AGENT, ""), ("nobody@demo.ceox.local", PASSWORD), ("", ""),
])
def test_login_with_wrong_credentials_answers_401(demo_sandbox, email_address, password):
    body = {"email": email_address, "password": password}
    response = request("POST", f"{demo_sandbox.api_url}/auth/login", json=body)
    error = assert_error(response, 401)
    assert error == "wrong email or password"  # the same answer: never reveal who has an account


@pytest.mark.parametrize("body", [{}, {"email": AGENT}, {"password": PASSWORD}, {"email": 5, "password": PASSWORD}])
def test_login_with_an_incomplete_body_answers_400(demo_sandbox, body):
    assert_error(request("POST", f"{demo_sandbox.api_url}/auth/login", json=body), 400)


def test_token_of_a_deleted_user_answers_401(demo_sandbox, demo):
    user = make_user(demo_sandbox, role_id=2, inbox_ids=[1])
    token = login(demo_sandbox, user["email"])
    assert _me(demo_sandbox, f"Bearer {token}").status_code == 200
    assert demo.delete(f"/users/{user['id']}").status_code == 204
    assert_error(_me(demo_sandbox, f"Bearer {token}"), 401)


def test_expired_token_answers_401(demo_sandbox):
    past = datetime.now(UTC) - timedelta(hours=13)
    token = _token(demo_sandbox, {"sub": "1", "iat": past, "exp": past + timedelta(hours=12)})
    assert_error(_me(demo_sandbox, f"Bearer {token}"), 401, "expired")


def test_freshly_crafted_token_with_the_workspace_secret_works(demo_sandbox):
    """The control for the tests around it: a valid token made the same way is accepted."""
    issued = datetime.now(UTC)
    token = _token(demo_sandbox, {"sub": "1", "iat": issued, "exp": issued + timedelta(hours=1)})
    response = _me(demo_sandbox, f"Bearer {token}")
    assert response.status_code == 200 and response.json()["user"]["email"] == ADMIN


@pytest.mark.parametrize("claims", [
    {"sub": "1"},  # no expiry is still signed by us: accepted only if the sandbox allows it, never a 500
    {"sub": str(10**30), "exp": 4_102_444_800},
    {"sub": "-1", "exp": 4_102_444_800},
    {"sub": "abc", "exp": 4_102_444_800},
    {"sub": 1, "exp": 4_102_444_800},
    {"exp": 4_102_444_800},
    {"sub": "999999", "exp": 4_102_444_800},
])
def test_odd_token_claims_never_break_the_server(demo_sandbox, claims):
    response = _me(demo_sandbox, f"Bearer {_token(demo_sandbox, claims)}")
    if claims.get("sub") == "1":
        assert response.status_code in (200, 401)
    else:
        assert_error(response, 401)


@pytest.mark.parametrize("algorithm_or_secret", ["other-secret", "none"])
def test_tokens_not_signed_with_the_workspace_secret_answer_401(demo_sandbox, algorithm_or_secret):
    claims = {"sub": "1", "exp": datetime.now(UTC) + timedelta(hours=1)}
    if algorithm_or_secret == "none":
        token = jwt.encode(claims, None, algorithm="none")
    else:
        token = jwt.encode(claims, "x" * 32 + algorithm_or_secret, algorithm="HS256")
    assert_error(_me(demo_sandbox, f"Bearer {token}"), 401)


def test_me_for_an_api_key(demo):
    response = demo.get("/me")
    assert response.status_code == 200
    assert response.json() == {"kind": "api_key", "user": None, "role": None, "capabilities": ALL_CAPABILITIES}


def test_me_for_a_user(demo_sandbox):
    with signed_in(demo_sandbox, MANAGER) as manager:
        body = manager.get("/me").json()
    assert set(body) == {"kind", "user", "role", "capabilities"}
    assert body["kind"] == "user"
    assert assert_shape(body["user"], USER)["email"] == MANAGER
    role = assert_shape(body["role"], ROLE)
    assert role["name"] == "Manager" and role["is_system"] is False and role["id"] == body["user"]["role_id"]
    assert sorted(body["capabilities"]) == ["analytics.view", "inbox.view_all"]
    assert sorted(role["capabilities"]) == sorted(body["capabilities"])


def test_capabilities_follow_the_role_without_signing_in_again(demo_sandbox, demo):
    role = make_role(demo_sandbox, [])
    user = make_user(demo_sandbox, role["id"])
    with signed_in(demo_sandbox, user["email"]) as client:
        assert client.get("/me").json()["capabilities"] == []
        assert client.get("/users").status_code == 403
        assert demo.put(f"/roles/{role['id']}", json={"capabilities": ["users.manage"]}).status_code == 200
        assert client.get("/me").json()["capabilities"] == ["users.manage"]
        assert client.get("/users").status_code == 200
