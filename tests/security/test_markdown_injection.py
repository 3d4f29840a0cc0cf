"""Finding 6: text from users and from the service is never rendered as Markdown.

Every page runs (AppTest) against a sandbox whose user, email, role, inbox, device, contact, webhook
and API-key names are hostile Markdown, and against a service whose error messages are; then every
Markdown source the page produced (bodies, labels, help texts, titles) is rendered by a CommonMark
parser, and no link, image or HTML pointing at the hostile host may come out of it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard.connection import sign_in
from dashboard.navigation import CONNECT_PAGE, pages_for
from tests.security.hostile import (
    PASSWORD,
    USER_EMAIL,
    USER_NAME,
    ErrorProxy,
    HostileWorkspace,
    fill,
    hostile_links,
    iter_pages,
    markdown_sources,
)
from tests.ui.conftest import APP, assert_clean, open_app

PAGES = list(iter_pages())


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "ceox-data"))
    monkeypatch.delenv("CEOX_API_KEY", raising=False)
    monkeypatch.delenv("CEOX_BASE_URL", raising=False)
    st.cache_data.clear()  # the sidebar's health check must ask the service in each test


@pytest.fixture(scope="module")
def workspace() -> Iterator[HostileWorkspace]:
    with SandboxServer(seed="empty") as sandbox:
        yield fill(sandbox)


@pytest.fixture(scope="module")
def proxy(workspace) -> Iterator[ErrorProxy]:
    with ErrorProxy(workspace.sandbox) as server:
        yield server


def restore_password(workspace: HostileWorkspace) -> None:
    """Other tests here reset the hostile user's password (it is one of their targets)."""
    with Client(workspace.sandbox.api_url, api_key=workspace.sandbox.api_key, use_env=False) as client:
        client.users.set_password(workspace.user_id, PASSWORD)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def shows_error(at: AppTest) -> bool:
    """The refusal reached the page (escaped, so its words are there and its links are not)."""
    return any("evil" in source for source in markdown_sources(at))


@pytest.mark.parametrize("page", PAGES)
def test_hostile_names_make_no_link_or_image_on_any_page(workspace, page):
    at = open_app(workspace.sandbox, page)
    assert_clean(at)
    assert hostile_links(at) == {}


def test_hostile_names_make_no_link_for_the_hostile_user_signed_in(workspace):
    restore_password(workspace)
    token = sign_in(workspace.sandbox.api_url, USER_EMAIL, PASSWORD, allow_private=True)
    pages = [spec.path for spec in pages_for(token)] + [CONNECT_PAGE.path]
    assert "app_pages/analytics.py" in pages  # the role's capabilities open the analytics pages
    for page in pages:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.session_state["workspace"] = token
        at.run()
        at.switch_page(page).run()
        assert_clean(at)
        assert hostile_links(at) == {}, page


def test_a_password_reset_names_the_user_without_a_link(workspace):
    at = open_app(workspace.sandbox, "app_pages/users.py")
    chooser = next(s for s in at.selectbox if s.label == "User")
    chooser.set_value(f"{USER_NAME} <{USER_EMAIL}>")
    at.text_input[[t.label for t in at.text_input].index("New password")].input("another-password-1")
    button(at, "Reset password").click().run()
    assert_clean(at)
    assert [s.value for s in at.success if "reset" in s.value]  # the sentence names the user…
    assert hostile_links(at) == {}  # …as plain text


@pytest.mark.parametrize("refusal", ["reads", "reads as conflicts"])
@pytest.mark.parametrize("page", PAGES)
def test_service_error_messages_make_no_link_on_any_page(proxy, page, refusal):
    proxy.refuse = refusal
    try:
        at = open_app(proxy, page)
    finally:
        proxy.refuse = "nothing"
    assert_clean(at)
    assert shows_error(at), markdown_sources(at)
    assert hostile_links(at) == {}


def _written(proxy: ErrorProxy, page: str, act) -> AppTest:
    at = open_app(proxy, page)
    proxy.refuse = "writes"
    try:
        act(at)
    finally:
        proxy.refuse = "nothing"
    assert_clean(at)
    assert shows_error(at), markdown_sources(at)
    return at


def test_refused_writes_show_the_service_message_without_a_link(proxy):
    def add_contact(at):
        at.text_input[[t.label for t in at.text_input].index("Name")].input("Budi")
        at.text_input[[t.label for t in at.text_input].index("Phone (E.164)")].input("+6281299990000")
        button(at, "Add contact").click().run()

    def reset_password(at):
        next(s for s in at.selectbox if s.label == "User").set_value(f"{USER_NAME} <{USER_EMAIL}>")
        at.text_input[[t.label for t in at.text_input].index("New password")].input("another-password-2")
        button(at, "Reset password").click().run()

    def add_webhook(at):
        at.text_input(key="new_webhook_url").input("https://hooks.example.com/ceox")
        button(at, "Add webhook").click().run()

    def create_key(at):
        at.text_input(key="new_api_key_name").input("CRM")
        button(at, "Create key").click().run()

    def send(at):
        at.text_input(key="send_to").input("+6281299990001")
        at.text_area[0].input("Hello")
        button(at, "Send").click().run()

    def solve(at):
        button(at, "Solve").click().run()

    for page, act in [("app_pages/contacts.py", add_contact), ("app_pages/users.py", reset_password),
                      ("app_pages/webhooks.py", add_webhook), ("app_pages/webhooks.py", create_key),
                      ("app_pages/send.py", send), ("app_pages/conversations.py", solve)]:
        at = _written(proxy, page, act)
        assert hostile_links(at) == {}, page
