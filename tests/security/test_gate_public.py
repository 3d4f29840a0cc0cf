"""Publicly bound means gated (issue 10, with finding 1): a dashboard on an address other computers can reach
asked for no sign-in when the server held no API key, so any visitor could make the server connect wherever
they typed. Now it asks whether or not a key is configured, refuses to open when no sign-in is configured, and
an open public demo must be declared (`[gate] public = true`): Connect then reaches only the demo and CEOX's
published address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import gate
from dashboard.connection import (
    PUBLIC_DEMO_ONLY,
    PUBLISHED_BASE_URL,
    ConnectError,
    check_allowed,
    check_base_url,
    connect,
    sign_in,
)
from tests.security.fake_ceox import recorder
from tests.ui.conftest import APP, assert_clean
from tests.ui.test_gate import EVERYWHERE, PASSWORD_HASH, _page_text
from ui.plain_text import plain

CONNECT = "app_pages/connect.py"
KEY = "ceox_typed_by_a_visitor_123"


@pytest.fixture
def internal() -> Iterator:
    """A service on this machine that a visitor must not reach through the dashboard."""
    with recorder() as server:
        yield server


def _visit(secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    for name, section in (secrets or {}).items():
        at.secrets[name] = section
    return at.run()


def _field(at: AppTest, label: str, key: str | None = None):
    return next(t for t in at.text_input if t.label == label and t.key == key)


def _press(at: AppTest, label: str) -> AppTest:
    return next(b for b in at.button if b.label == label).click().run()


# Gated without a server key

@pytest.mark.parametrize("address", [EVERYWHERE, "", "10.0.0.5", "::"])
def test_a_public_address_without_a_server_key_and_no_sign_in_refuses_to_open(bind, fresh_guard, address):
    bind(address)
    at = _visit()
    assert_clean(at)
    assert "workspace" not in at.session_state and len(at.sidebar) == 0
    assert at.error[0].value.startswith("This dashboard will not open")
    text = _page_text(at)
    assert "python -m dashboard.gate hash" in text and "public = true" in text
    assert len(at.text_input) == 0 and len(at.button) == 0


def test_a_public_address_without_a_server_key_asks_for_the_password(bind, fresh_guard):
    bind(EVERYWHERE)
    at = _visit({"gate": {"password_hash": PASSWORD_HASH}})
    assert_clean(at)
    assert "workspace" not in at.session_state
    assert [t.label for t in at.text_input] == ["Operator password"]


def test_public_with_a_server_key_refuses_to_open(bind, server_key):
    bind(EVERYWHERE)
    at = _visit({"gate": {"public": True}})
    assert "workspace" not in at.session_state
    assert at.error[0].value.startswith("This dashboard will not open")
    assert "would open the server's API key to anyone" in at.caption[0].value
    assert server_key not in _page_text(at)


@pytest.mark.parametrize("value", ["true", 1, "yes"])
def test_public_must_be_said_plainly(value):
    decision = gate.decide(EVERYWHERE, server_credential=False, gate={"public": value})
    assert decision.kind == "refuse" and decision.problems == ("[gate] public must be true or false",)


# An open public demo

@pytest.fixture
def public_demo(bind, fresh_guard) -> AppTest:
    bind(EVERYWHERE)
    at = _visit({"gate": {"public": True}})
    assert_clean(at)
    assert at.session_state["workspace"].demo
    at.switch_page(CONNECT).run()
    assert_clean(at)
    assert PUBLIC_DEMO_ONLY in [c.value for c in at.caption]
    return at


def _refused(at: AppTest, internal) -> None:
    assert_clean(at)
    # Escaped like every message shown; the page adds which address was tried.
    [error] = [e.value for e in at.error]
    assert error.startswith(plain(PUBLIC_DEMO_ONLY)) and "tried 127" in error
    assert at.session_state["workspace"].demo  # still the demo
    assert internal.hits == []


def test_public_demo_refuses_a_typed_address_for_an_api_key(public_demo, internal):
    at = public_demo
    _field(at, "Base URL").input(internal.url + "/api/v1")
    _field(at, "API key").input(KEY)
    _refused(_press(at, "Check and connect"), internal)


def test_public_demo_refuses_a_typed_address_for_a_sign_in(public_demo, internal):
    at = public_demo
    _field(at, "Base URL", "sign_in_base_url").input(internal.url + "/api/v1")
    _field(at, "Email").input("visitor@example.org")
    _field(at, "Password").input("anything at all")
    _refused(_press(at, "Sign in"), internal)


def test_public_demo_refuses_a_typed_address_for_a_token(public_demo, internal):
    at = public_demo
    _field(at, "Base URL", "token_base_url").input(internal.url + "/api/v1")
    _field(at, "Token").input("a-token-typed-by-a-visitor")
    _refused(_press(at, "Use this token"), internal)


def test_public_demo_still_opens_the_demo(public_demo):
    at = public_demo
    at.session_state["workspace"] = None
    at = _press(at.run(), "Open the demo workspace")
    assert_clean(at)
    assert at.session_state["workspace"].demo


# The rule lives in the connection logic, not only on the page

@pytest.mark.parametrize("typed", [PUBLISHED_BASE_URL, PUBLISHED_BASE_URL + "/",
                                   " HTTPS://API-WA.FANTECNO.NET/api/v1 "])
def test_the_published_address_is_allowed(typed):
    check_allowed(check_base_url(typed), (PUBLISHED_BASE_URL,))


@pytest.mark.parametrize("typed", ["https://api-wa.fantecno.net/api/v2", "https://api-wa.fantecno.net.evil.com/api/v1",
                                   "http://api-wa.fantecno.net/api/v1", "https://api-wa.fantecno.net:8443/api/v1",
                                   "http://127.0.0.1:8700/api/v1", "http://169.254.169.254/latest/meta-data"])
def test_other_addresses_are_refused_without_a_request(typed, internal):
    with pytest.raises(ConnectError, match="^This public demo connects only"):
        check_allowed(typed, (PUBLISHED_BASE_URL,))
    only = (PUBLISHED_BASE_URL,)
    for attempt in (lambda: connect(internal.url + "/api/v1", api_key=KEY, only=only),
                    lambda: connect(internal.url + "/api/v1", token="t", only=only),
                    lambda: sign_in(internal.url + "/api/v1", "a@b.org", "pw", only=only)):
        with pytest.raises(ConnectError) as refused:
            attempt()
        assert str(refused.value) == PUBLIC_DEMO_ONLY
    assert internal.hits == []
