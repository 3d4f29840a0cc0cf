"""Every variant of docs/shapes.md: the client reads what the sandbox holds (or the documented
missing-data rule), errors keep their meaning, and every page renders with no exception or HTML."""

from __future__ import annotations

from typing import Any

import pytest

from ceox_api import Client, PermissionDenied, ServerError, is_partial
from ceox_sandbox.server import SandboxServer
from dashboard.connection import connect
from dashboard.navigation import PAGES
from tests.shapes.proxy import BODY_VARIANTS, DROPPED, PAGED_VARIANTS, VARIANTS, ShapeProxy
from tests.ui.conftest import APP, assert_clean, markdown_texts

READS = {
    "users": lambda c: c.users.list(),
    "roles": lambda c: c.roles.list(),
    "inboxes": lambda c: c.inboxes.list(),
    "devices": lambda c: c.devices.list(),
    "wa_status": lambda c: c.wa.status(),
    "contacts": lambda c: c.contacts.list(),
    # An empty list: the variants that spell it `null` or leave it out must still read [].
    "no_contacts": lambda c: c.contacts.list(q="zz-nobody-zz"),
    "conversations": lambda c: c.conversations.list(status="all"),
    "webhooks": lambda c: c.webhooks.list(),
    "me": lambda c: [c.me.get()],
}


def _dump(items: Any) -> list[dict]:
    return [item.model_dump(mode="json") for item in items]


def _documented(variant: str, name: str, rows: list[dict]) -> list[dict]:
    """The sandbox's own data as the variant's missing-data rule says the client must read it."""
    if variant == "dropped_fields":
        return [{k: (None if k in DROPPED else v) for k, v in row.items()} for row in rows]
    if variant == "omitempty" and name == "roles":
        # A role's user count of 0, omitted, is unknown rather than 0 (assumptions: OMITTED_BOOLEAN note).
        return [{**row, "user_count": row["user_count"] or None} for row in rows]
    return rows


@pytest.fixture(scope="module")
def direct(small_sandbox: SandboxServer) -> dict[str, list[dict]]:
    with Client(small_sandbox.api_url, api_key=small_sandbox.api_key) as client:
        data = {name: _dump(read(client)) for name, read in READS.items()}
        ids = [c["id"] for c in data["conversations"]]
        data["threads"] = [_dump(client.conversations.messages(i)) for i in ids[:8]]
    return data


@pytest.mark.parametrize("variant", tuple(BODY_VARIANTS) + PAGED_VARIANTS)
def test_the_client_reads_what_the_sandbox_holds(variant: str, shape_proxy: ShapeProxy, small_sandbox, direct) -> None:
    shape_proxy.variant = variant
    with Client(shape_proxy.api_url, api_key=small_sandbox.api_key) as client:
        for name, read in READS.items():
            listed = read(client)
            assert not is_partial(listed), name
            assert _dump(listed) == _documented(variant, name, direct[name]), name
        ids = [c["id"] for c in direct["conversations"]][:8]
        threads = [_dump(client.conversations.messages(i)) for i in ids]
        assert threads == [_documented(variant, "messages", t) for t in direct["threads"]]
        assert len(client.conversations.fetch_threads(ids)) == len(ids)


@pytest.mark.parametrize("variant", ["plain", "pascal_errors", "nested_errors"])
def test_a_refusal_keeps_its_capability(variant: str, shape_proxy: ShapeProxy, small_sandbox: SandboxServer) -> None:
    shape_proxy.variant = variant
    agent = SandboxServer.sign_in_email(1, "agent")
    with Client.login(shape_proxy.api_url, agent, "ceox-demo-2026") as client, \
            pytest.raises(PermissionDenied) as refused:
        client.users.list()
    assert refused.value.capability == "users.manage"
    assert "{" not in refused.value.message


def test_a_gateway_page_is_summarised_not_quoted(shape_proxy: ShapeProxy, small_sandbox: SandboxServer) -> None:
    shape_proxy.variant = "html_gateway"
    with Client(shape_proxy.api_url, api_key=small_sandbox.api_key, max_retries=0) as client, \
            pytest.raises(ServerError) as failed:
        client.wa.status()
    assert failed.value.message == "the service's gateway answered 502 with a web page instead of an API answer"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_page_renders(variant: str, shape_proxy: ShapeProxy, small_sandbox: SandboxServer,
                            tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path))
    shape_proxy.variant = variant
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.session_state["workspace"] = connect(shape_proxy.api_url, api_key=small_sandbox.api_key, source="demo")
    at.run()
    for page in PAGES:
        at.switch_page(page.path)
        at.run()
        assert_clean(at)
        texts = " ".join(markdown_texts(at))
        assert "<html" not in texts.lower() and "<!doctype" not in texts.lower(), page.path
