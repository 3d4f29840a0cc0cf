"""Credential safety: API keys, tokens and passwords never leave the session state.

Checked, for AppTest runs of every page with the admin key and with a signed-in Analyst, after connecting
with a pasted key, signing in through the form and resetting a password: everything the pages send to
the browser (every element's message), the URL's query parameters, the texts of ceox_api errors, the
audit log and sync cache files under CEOX_DATA_DIR, and every log record (DEBUG and up) written meanwhile.
And two sessions side by side (the admin key and the demo Analyst) never see each other's data.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_api.errors import CeoxError
from dashboard import sync as cache_sync
from dashboard.connection import ConnectError, connect, sign_in
from dashboard.feedback import explain_error
from dashboard.navigation import pages_for
from tests.ui.conftest import APP, assert_clean

ANALYST, DEMO_PASSWORD = "analyst@demo.ceox.local", "ceox-demo-2026"
RESET_PASSWORD = "Reset-Secret-" + uuid.uuid4().hex[:8]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture
def logs() -> Iterator[Collect]:
    """Every log record from the dashboard, Streamlit, httpx and the client, at DEBUG and up."""
    handler = Collect()
    names = ["", "streamlit", "httpx", "httpcore", "ceox_api", "dashboard"]
    saved = {name: (logging.getLogger(name).level, logging.getLogger(name).propagate) for name in names}
    for name in names:
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    for name, (level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def page_output(at: AppTest) -> str:
    """Every element's message as sent to the browser, and the URL's query parameters."""
    parts: list[str] = [repr(dict(at.query_params))]

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def data_files_text() -> str:
    """The bytes of every file the dashboard wrote (audit log, sync caches, preferences)."""
    root = Path(os.environ["CEOX_DATA_DIR"])
    return "\n".join(p.read_bytes().decode("latin-1") for p in root.rglob("*") if p.is_file())


def assert_secrets_absent(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:6]}…) appears in {where}"


def app_with(workspace) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.session_state["workspace"] = workspace
    return at


def test_no_secret_in_pages_urls_errors_logs_audit_or_cache(demo_sandbox, logs):
    sandbox = demo_sandbox
    admin = connect(sandbox.api_url, api_key=sandbox.api_key, source="demo")
    analyst = sign_in(sandbox.api_url, ANALYST, DEMO_PASSWORD, allow_private=True)
    secrets = [sandbox.api_key, analyst.secret, DEMO_PASSWORD, RESET_PASSWORD]
    assert all(s not in repr(w) for w in (admin, analyst) for s in secrets)

    # Every page, for both credentials.
    for workspace in (admin, analyst):
        at = app_with(workspace)
        for page in pages_for(workspace):
            at.switch_page(page.path).run()
            assert_clean(at)
            assert_secrets_absent(page_output(at), secrets, f"{page.path} ({workspace.kind})")

    # Connecting by pasting the key on the Connect page, then signing in through the form.
    at = app_with(admin)
    at.switch_page("app_pages/connect.py").run()
    next(t for t in at.text_input if t.label == "Base URL" and t.key is None).input(sandbox.api_url)
    next(t for t in at.text_input if t.label == "API key").input(sandbox.api_key)
    next(b for b in at.button if b.label == "Check and connect").click().run()
    assert_clean(at)
    assert at.session_state["workspace"].identity == admin.identity
    # A successful connect lands on the Overview (the output searched is what that page shows).
    assert [t.value for t in at.title] == ["Overview"]
    assert_secrets_absent(page_output(at), secrets, "the page after pasting a key")
    at.switch_page("app_pages/connect.py").run()
    next(t for t in at.text_input if t.key == "sign_in_base_url").input(sandbox.api_url)
    next(t for t in at.text_input if t.label == "Email").input(ANALYST)
    next(t for t in at.text_input if t.label == "Password").input(DEMO_PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert_clean(at)
    assert at.session_state["workspace"].kind == "token"
    assert_secrets_absent(page_output(at), secrets, "the Connect page after signing in")

    # Resetting a password.
    email = f"reset-{uuid.uuid4().hex[:8]}@example.com"
    with admin.client() as client:
        role = next(r for r in client.roles.list() if r.name == "Agent") if any(
            r.name == "Agent" for r in client.roles.list()) else client.roles.list()[0]
        client.users.create(name="Reset Me", email=email, password="initial-pass-1", role_id=role.id)
    at = app_with(admin)
    at.switch_page("app_pages/users.py").run()
    next(s for s in at.selectbox if s.label == "User").select(f"Reset Me <{email}>")
    next(t for t in at.text_input if t.label == "New password").input(RESET_PASSWORD)
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert_clean(at)
    assert any("reset" in s.value for s in at.success)
    assert_secrets_absent(page_output(at), secrets, "the Users page after a password reset")

    # The analytics cache, for both credentials.
    for workspace in (admin, analyst):
        cache_sync.sync(workspace)

    # Texts of the client's errors and of the sentences made from them.
    errors: list[Exception] = []
    for credential in ({"api_key": sandbox.api_key + "x"}, {"token": analyst.secret + "x"}):
        with Client(sandbox.api_url, **credential, use_env=False, max_retries=0) as client:
            try:
                client.users.list()
            except CeoxError as exc:
                errors.append(exc)
    with Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False) as client:
        client.sandbox.set_faults(error_rate=1.0)
        try:
            with admin.client(max_retries=0) as failing:
                failing.users.list()
        except CeoxError as exc:
            errors.append(exc)
        finally:
            client.sandbox.clear_faults()
    for attempt in (lambda: connect(sandbox.api_url, api_key=sandbox.api_key + "x", allow_private=True),
                    lambda: sign_in(sandbox.api_url, ANALYST, DEMO_PASSWORD + "x", allow_private=True)):
        with pytest.raises(ConnectError) as raised:
            attempt()
        errors.append(raised.value)
    assert len(errors) == 5
    error_text = "\n".join(f"{e!s}\n{e!r}\n{explain_error(e)}\n{vars(e)!r}" for e in errors)
    wrong = [sandbox.api_key + "x", analyst.secret + "x", DEMO_PASSWORD + "x"]
    assert_secrets_absent(error_text, secrets + wrong, "an error text")

    # Files and logs.
    files = data_files_text()
    assert "audit.sqlite" in {p.name for p in Path(os.environ["CEOX_DATA_DIR"]).rglob("*")}
    assert "user.password_reset" in files  # the audit entry is there, without the password
    assert_secrets_absent(files, secrets, "a file under CEOX_DATA_DIR")
    assert any(re.search(r"httpx|ceox|streamlit", line) for line in logs.lines)
    assert_secrets_absent("\n".join(logs.lines), secrets + wrong, "the logs")


def caption_count(at: AppTest) -> int:
    found = [m for c in at.caption if (m := re.match(r"([\d,]+) contacts", c.value))]
    return int(found[0].group(1).replace(",", ""))


def test_two_sessions_side_by_side_never_see_each_others_data(demo_sandbox):
    sandbox = demo_sandbox
    admin = connect(sandbox.api_url, api_key=sandbox.api_key, source="demo")
    analyst = sign_in(sandbox.api_url, ANALYST, DEMO_PASSWORD, allow_private=True)
    with admin.client() as client:
        admin_contacts, admin_open = len(client.contacts.list()), len(client.conversations.list(status="open"))
    with analyst.client() as client:
        analyst_contacts, analyst_open = len(client.contacts.list()), len(client.conversations.list(status="open"))
    assert analyst_contacts < admin_contacts and analyst_open < admin_open  # the Analyst is scoped

    admin_at, analyst_at = app_with(admin), app_with(analyst)
    for _ in range(2):  # interleaved: each session's reads are cached while the other runs
        admin_at.switch_page("app_pages/contacts.py").run()
        analyst_at.switch_page("app_pages/contacts.py").run()
        assert_clean(admin_at)
        assert_clean(analyst_at)
        assert caption_count(admin_at) == admin_contacts
        assert caption_count(analyst_at) == analyst_contacts
    # The Analyst's session holds only its own workspace; the admin-only pages stay out of its navigation.
    assert analyst_at.session_state["workspace"].identity == analyst.identity
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        analyst_at.switch_page("app_pages/users.py")

    # The analytics caches are files per credential identity, and hold each one's own threads.
    cache_sync.sync(admin)
    cache_sync.sync(analyst)
    admin_conversations = cache_sync.Cache.for_workspace(admin).frames()[0]
    analyst_conversations = cache_sync.Cache.for_workspace(analyst).frames()[0]
    assert cache_sync.cache_path(admin.workspace_id, admin.identity) != cache_sync.cache_path(
        analyst.workspace_id, analyst.identity)
    assert 0 < len(analyst_conversations) < len(admin_conversations)
    with analyst.client() as client:
        analyst_open_ids = {c.id for c in client.conversations.list(status="open")}
    analyst_ids, admin_ids = set(analyst_conversations["id"]), set(admin_conversations["id"])
    assert analyst_open_ids <= analyst_ids <= admin_ids and analyst_ids != admin_ids
