"""The access gate in app.py: with the operator's API key configured and a public bind address, nothing
shows and nothing connects until the visitor signs in."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from ceox_sandbox.server import SandboxServer
from dashboard import gate
from tests.ui.conftest import APP, assert_clean
from ui.gate import PASSED, guard

EVERYWHERE = "0.0.0.0"  # noqa: S104 (only the option is set: nothing binds to it)
PASSWORD = "operator passphrase 2026"
PASSWORD_HASH = gate.hash_password(PASSWORD, n=gate.MIN_SCRYPT_N)
OIDC = {"redirect_uri": "https://admin.example.org/oauth2callback", "cookie_secret": "c" * 32,
        "client_id": "ceox-admin", "client_secret": "oidc-client-secret",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration"}


@pytest.fixture
def bind() -> Iterator:
    """Sets Streamlit's `server.address` for the test, then puts the configured one back."""
    original = config.get_option("server.address")
    yield lambda address: config.set_option("server.address", address)
    config.set_option("server.address", original)


@pytest.fixture
def fresh_guard() -> Iterator[None]:
    """Wrong passwords are counted for the whole process: each test starts, and leaves, a fresh count."""
    guard.clear()
    yield
    guard.clear()


@pytest.fixture
def server_key(demo_sandbox: SandboxServer, private_data_dir, fresh_guard, monkeypatch) -> str:
    """The operator configured the demo sandbox's API key in the environment."""
    monkeypatch.setenv("CEOX_API_KEY", demo_sandbox.api_key)
    monkeypatch.setenv("CEOX_BASE_URL", demo_sandbox.api_url)
    monkeypatch.setattr(gate, "FAILURE_DELAY_SECONDS", 0)
    return demo_sandbox.api_key


def _app(secrets: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for name, section in (secrets or {}).items():
        at.secrets[name] = section
    if user is not None:
        at.user = user
    return at.run()


def _page_text(at: AppTest) -> str:
    """Everything the page sends to the browser, as text."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def _state_text(at: AppTest) -> str:
    """The session's state as the server holds it: keyed values, widget values, and the previous run's."""
    state = at.session_state._state._state
    raw = state._new_widget_state
    widgets = {wid: raw.states[wid] for wid in raw.states}
    return "\n".join(map(repr, (state._old_state, state._new_session_state, widgets)))


def _assert_locked(at: AppTest, key: str) -> None:
    """Only the sign-in shows: no workspace, no navigation, no data, no key."""
    assert_clean(at)
    assert "workspace" not in at.session_state
    assert len(at.sidebar) == 0
    text = _page_text(at)
    assert key not in text
    assert "Not connected" not in text and "Access: API key" not in text and "Overview" not in text


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.text_input[0].input(password)
    return at.button[0].click().run()


def test_locked_page_shows_only_the_password_form(bind, server_key):
    bind(EVERYWHERE)
    at = _app({"gate": {"password_hash": PASSWORD_HASH}})
    _assert_locked(at, server_key)
    assert len(at.text_input) == 1 and at.text_input[0].label == "Operator password"
    assert [b.label for b in at.button] == ["Sign in"]
    assert PASSWORD_HASH not in _page_text(at)


def test_right_password_opens_the_dashboard_with_the_configured_key(bind, server_key, demo_sandbox):
    bind(EVERYWHERE)
    at = _app({"gate": {"password_hash": PASSWORD_HASH}})
    at = _sign_in(at, PASSWORD)
    assert_clean(at)
    workspace = at.session_state["workspace"]
    assert workspace.source == "server" and workspace.base_url == demo_sandbox.api_url
    assert workspace.kind == "api_key"
    assert any(t.value == "Access: API key (full)" for t in at.sidebar.text)
    assert any(b.label == "Lock the dashboard" for b in at.sidebar.button)
    assert at.session_state[PASSED] == gate.decide(EVERYWHERE, server_credential=True,
                                                   gate={"password_hash": PASSWORD_HASH}).fingerprint
    # Only the flag is kept: neither the password nor the key reaches the page, nor the password the state.
    assert PASSWORD not in _state_text(at)
    text = _page_text(at)
    assert server_key not in text and PASSWORD not in text


def test_locking_closes_the_gate_again(bind, server_key):
    bind(EVERYWHERE)
    at = _sign_in(_app({"gate": {"password_hash": PASSWORD_HASH}}), PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Lock the dashboard").click().run()
    _assert_locked(at, server_key)
    assert PASSED not in at.session_state


@pytest.mark.parametrize("attempt", ["wrong", PASSWORD.upper(), PASSWORD + "\x00", "", "x" * 10_000,
                                     "' OR 1=1 --", "<script>alert(1)</script>"])
def test_wrong_password_is_refused_with_a_sentence(bind, server_key, attempt):
    bind(EVERYWHERE)
    at = _sign_in(_app({"gate": {"password_hash": PASSWORD_HASH}}), attempt)
    _assert_locked(at, server_key)
    assert [e.value for e in at.error] == ["Wrong password. Try again."]
    assert at.text_input[0].value == ""  # the form forgets what was typed
    assert attempt not in _state_text(at) or not attempt


def test_repeated_wrong_passwords_lock_the_form(bind, server_key, monkeypatch):
    monkeypatch.setattr(gate, "LOCKOUT_SECONDS", 2.0)
    bind(EVERYWHERE)
    at = _app({"gate": {"password_hash": PASSWORD_HASH}})
    for _ in range(gate.MAX_FAILURES):
        at = _sign_in(at, "guess")
    at = _sign_in(at, PASSWORD)  # even the right one waits now
    _assert_locked(at, server_key)
    assert at.error[0].value.startswith("Too many wrong passwords. Wait ")
    deadline = time.monotonic() + 30  # once the lockout has passed, the right password opens it
    while "workspace" not in at.session_state:
        assert time.monotonic() < deadline, "the lockout never ended"
        assert at.error[0].value.startswith("Too many wrong passwords. Wait ")
        at = _sign_in(at, PASSWORD)
    assert at.session_state["workspace"].source == "server"


def test_no_gate_configured_refuses_to_open(bind, server_key):
    bind("")  # every interface
    at = _app()
    _assert_locked(at, server_key)
    assert at.error[0].value.startswith("This dashboard will not open")
    assert len(at.text_input) == 0 and len(at.button) == 0
    text = _page_text(at)
    assert "python -m dashboard.gate hash" in text and "127.0.0.1" in text


def test_an_unusable_password_hash_refuses_to_open(bind, server_key):
    bind("10.0.0.5")
    at = _app({"gate": {"password_hash": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"}})
    _assert_locked(at, server_key)
    assert at.error[0].value.startswith("This dashboard will not open")
    assert "password_hash is not usable" in at.caption[0].value


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost", "::1"])
def test_no_gate_on_loopback(bind, server_key, address):
    bind(address)
    at = _app()
    assert_clean(at)
    assert at.session_state["workspace"].source == "server"
    assert len(at.text_input) == 0 or at.text_input[0].label != "Operator password"
    assert server_key not in _page_text(at)


def test_no_gate_without_a_server_credential_on_loopback(bind, private_data_dir):
    """Visitors bring their own key or see the demo; nothing of the operator's is exposed."""
    bind("127.0.0.1")
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert_clean(at)
    assert at.session_state["workspace"].demo


def test_single_sign_on_offers_the_provider_and_shows_nothing_else(bind, server_key):
    bind(EVERYWHERE)
    at = _app({"auth": OIDC, "gate": {"password_hash": PASSWORD_HASH}})
    _assert_locked(at, server_key)
    assert [b.label for b in at.button] == ["Sign in"]
    assert len(at.text_input) == 0
    assert OIDC["client_secret"] not in _page_text(at)


def test_signed_in_operator_opens_the_dashboard(bind, server_key):
    bind(EVERYWHERE)
    at = _app({"auth": OIDC, "gate": {"allowed_emails": ["@example.org"]}},
              user={"is_logged_in": True, "email": "ops@example.org", "email_verified": True, "name": "Ops"})
    assert_clean(at)
    assert at.session_state["workspace"].source == "server"
    assert any(b.label == "Sign out" for b in at.sidebar.button)
    assert server_key not in _page_text(at)


def test_signed_in_stranger_is_turned_away(bind, server_key):
    bind(EVERYWHERE)
    at = _app({"auth": OIDC, "gate": {"allowed_emails": ["@example.org"]}},
              user={"is_logged_in": True, "email": "someone@gmail.com"})
    _assert_locked(at, server_key)
    assert "may not use this dashboard" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out"]


def test_single_sign_on_that_cannot_start_says_so(bind, server_key):
    """Without Authlib, or with [auth] incomplete where Streamlit reads it, st.login raises: a sentence instead."""
    bind(EVERYWHERE)
    at = _app({"auth": OIDC}).button[0].click().run()
    _assert_locked(at, server_key)
    assert "Single sign-on is configured but could not start" in at.error[0].value
