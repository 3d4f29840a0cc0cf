"""Finding 4: local data keyed by tenant and filtered by scope.

Two workspaces behind one sandbox address stand for the published CEOX address, which serves every
customer. Tenant A uses everything that keeps local data (receiver, events, settings, audit log,
device history, webhook tests, analytics cache); then tenant B's key opens every page, and nothing of
A's shows. A scoped user sees no device history of devices outside its inboxes, and the live board
names no inbox it cannot list.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_api.models import Me
from ceox_sandbox.server import SandboxServer
from dashboard import audit, preferences, receiver, webhooks
from dashboard.analytics.settings import AnalyticsSettings
from dashboard.connection import Workspace, connect, sign_in
from dashboard.navigation import PAGES
from dashboard.sync import Cache, sync
from dashboard.tenants import identify, identify_client
from tests.conftest import FAST_RETRIES
from tests.ui.conftest import APP, assert_clean, private_data_dir  # noqa: F401 (fixture)
from tests.unit.test_receiver import event, served_receiver  # noqa: F401 (fixture)

PASSWORD = "ceox-demo-2026"
MARK = "A-ONLY"  # in every text tenant A leaves behind
A_TIMEZONE = "Pacific/Chatham"  # tenant A's analytics setting


@pytest.fixture(scope="module")
def two_tenants():
    with SandboxServer(seed="demo", workspaces=2, webhook_retry_delays=FAST_RETRIES) as server:
        yield server


def open_as(workspace: Workspace, page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["workspace"] = workspace
    at.switch_page(page)
    at.run()
    assert_clean(at)
    return at


def shown(at: AppTest) -> str:
    """Everything the page sent to the browser: texts, widget options and values, tables, charts."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(parts)


def leave_traces_as_tenant_a(tenant_a: Workspace, b_hook_id: int, receiver_url: str) -> dict[str, str]:
    """Everything tenant A does that keeps local data; returns what of it must never show to B."""
    with tenant_a.client() as client:
        secret = receiver.secret_for(tenant_a.workspace_id)
        own_hook = client.webhooks.create(receiver.url_for(receiver_url, secret), events=["message.received"])
        conversation = client.conversations.list(status="all")[0].id
    for n in range(3):
        answer = httpx.post(receiver.url_for(receiver_url, secret), timeout=30,
                            json=event(n, conversation_id=conversation, body=f"{MARK} event body {n}",
                                       name=f"{MARK} sender"))
        assert answer.status_code == 200
    preferences.save_analytics_settings(tenant_a.workspace_id, AnalyticsSettings(timezone=A_TIMEZONE))
    audit.record(tenant_a, "user.update", f"{MARK} audited user", "ok")
    failed = webhooks.TestResult(time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), url="https://a.example/h",
                                 error=f"{MARK} webhook test outcome")
    webhooks.record_test(tenant_a.workspace_id, own_hook.id, failed)
    # The real service may number each workspace's webhooks from 1: A's test of "its" hook with B's number.
    webhooks.record_test(tenant_a.workspace_id, b_hook_id, failed)
    sync(tenant_a)
    return {"receiver secret": secret, "marked text": MARK, "analytics timezone": A_TIMEZONE}


def test_nothing_of_tenant_a_shows_to_tenant_b_through_any_page(two_tenants, served_receiver):  # noqa: F811
    url = two_tenants.api_url
    tenant_a = connect(url, api_key=two_tenants.api_keys[0], source="demo")
    tenant_b = connect(url, api_key=two_tenants.api_keys[1], source="demo")
    assert tenant_a.base_url == tenant_b.base_url
    with tenant_b.client() as client:
        b_hook_id = client.webhooks.list()[0].id
    with tenant_a.client() as client:
        a_devices = [d.name for d in client.devices.list()]
    # A's device history, recorded the way the dashboard records it: by opening its Devices page.
    assert all(name in shown(open_as(tenant_a, "app_pages/devices.py")) for name in a_devices)
    traces = leave_traces_as_tenant_a(tenant_a, b_hook_id, served_receiver)
    traces |= {f"device {name}": name for name in a_devices}

    # A sees its own traces: the markers can show, so their absence below means something.
    a_pages = "\n".join(shown(open_as(tenant_a, page)) for page in (
        "app_pages/webhooks.py", "app_pages/audit_log.py", "app_pages/analytics.py"))
    assert traces["receiver secret"] in a_pages and A_TIMEZONE in a_pages
    for text in (f"{MARK} event body 2", f"{MARK} audited user", f"{MARK} webhook test outcome"):
        assert text in a_pages

    leaks = {}
    for page in PAGES:
        text = shown(open_as(tenant_b, page.path))
        leaks[page.title] = [what for what, trace in traces.items() if trace in text]
    assert {page: what for page, what in leaks.items() if what} == {}
    assert receiver.event_count(tenant_b.workspace_id) == 0 and receiver.secret_for(tenant_b.workspace_id) != (
        traces["receiver secret"])
    assert preferences.analytics_settings(tenant_b.workspace_id).timezone != A_TIMEZONE
    assert webhooks.recent_tests(tenant_b.workspace_id, b_hook_id) == []
    assert Cache.for_workspace(tenant_b).path != Cache.for_workspace(tenant_a).path
    assert tenant_a.workspace_id != tenant_b.workspace_id


def test_cache_for_client_and_for_workspace_name_the_same_file_and_a_new_token_keeps_a_users_cache(two_tenants):
    url = two_tenants.api_url
    key = connect(url, api_key=two_tenants.api_keys[1], source="demo")
    with Client(url, api_key=two_tenants.api_keys[1], use_env=False) as client:
        assert Cache.for_client(client).path == Cache.for_workspace(key).path
    email = two_tenants.sign_in_email(0, "agent")
    first = second = sign_in(url, email, PASSWORD, allow_private=True)
    deadline = time.monotonic() + 10
    while second.secret == first.secret:  # tokens issued within the same second are alike
        assert time.monotonic() < deadline, "the service kept issuing the same token"
        second = sign_in(url, email, PASSWORD, allow_private=True)
    assert first.identity == second.identity
    assert first.workspace_id == second.workspace_id != key.workspace_id
    with first.client() as client:
        assert Cache.for_client(client).path == Cache.for_workspace(second).path
    assert two_tenants.api_keys[1] not in Cache.for_workspace(key).path.name


def test_a_workspace_the_service_names_is_one_tenant_for_all_its_credentials():
    """The sandbox names no workspace; a service whose `/me` does (either spelling) joins its credentials."""
    base = "https://api-wa.fantecno.net/api/v1"
    admin = Me.model_validate(json.loads('{"kind": "user", "user": {"id": 1, "email": "a@x.co"},'
                                         ' "workspace_id": "ws_81"}'))
    agent = Me.model_validate(json.loads('{"kind": "user", "user": {"id": 2, "email": "b@x.co"},'
                                         ' "workspace": {"id": "ws_81", "name": "Acme"}}'))
    key = Me.model_validate(json.loads('{"kind": "api_key", "workspaceId": "ws_81"}'))
    other = Me.model_validate(json.loads('{"kind": "api_key", "workspace": {"id": 82}}'))
    names = [identify(base, credential, me) for credential, me in (
        ("token:1111", admin), ("token:2222", agent), ("api_key:3333", key), ("api_key:4444", other))]
    assert len({n.tenant for n in names[:3]}) == 1 and names[3].tenant != names[0].tenant
    assert len({n.credential for n in names}) == 4
    # Without a workspace named, each credential is its own tenant; a user is the same across tokens.
    bare = [identify(base, c, Me.model_validate({"kind": "user", "user": {"id": 1, "email": "a@x.co"}}))
            for c in ("token:1111", "token:9999")]
    assert bare[0] == bare[1] and bare[0].tenant == bare[0].credential != names[0].tenant
    assert identify(base, "api_key:3333", Me()).tenant != identify(base, "api_key:4444", Me()).tenant
    assert identify("https://other.example/api/v1", "token:1111", admin).tenant != names[0].tenant


def test_identify_client_asks_the_service(two_tenants):
    with Client(two_tenants.api_url, api_key=two_tenants.api_keys[0], use_env=False) as client:
        names = identify_client(client)
    assert names == identify(two_tenants.api_url, client.identity, Me(kind="api_key"))


# --- scope -----------------------------------------------------------------------------------------------

def in_named_workspace(workspace: Workspace) -> Workspace:
    """The same credential as a service that names its workspace in `/me` would describe it."""
    return replace(workspace, me=workspace.me.model_copy(update={"workspace_id": "acme"}))


@pytest.mark.parametrize("named", [False, True], ids=["each credential its tenant", "one named workspace"])
def test_a_scoped_user_sees_no_device_history_outside_its_inboxes(two_tenants, named):
    url = two_tenants.api_url
    admin = connect(url, api_key=two_tenants.api_keys[0], source="demo")
    agent = sign_in(url, two_tenants.sign_in_email(0, "agent"), PASSWORD, allow_private=True)
    if named:
        admin, agent = in_named_workspace(admin), in_named_workspace(agent)
        assert admin.workspace_id == agent.workspace_id
    with agent.client() as client:
        own = {d.name for d in client.devices.list()}
    with admin.client() as client:
        others = {d.name for d in client.devices.list()} - own
    assert own and others
    assert all(name in shown(open_as(admin, "app_pages/devices.py")) for name in others)  # recorded
    text = shown(open_as(agent, "app_pages/devices.py"))
    assert all(name in text for name in own)
    assert [name for name in others if name in text] == []


def test_the_live_board_names_no_inbox_the_user_cannot_list(two_tenants):
    # The Agent has no analytics.view; the Analyst is the demo's one-inbox user who opens the live board.
    url = two_tenants.api_url
    analyst = sign_in(url, two_tenants.sign_in_email(0, "analyst"), PASSWORD, allow_private=True)
    with analyst.client() as client:
        own = {i.id: i.name for i in client.inboxes.list()}
    with Client(url, api_key=two_tenants.api_keys[0], use_env=False) as client:
        others = {i.id: i.name for i in client.inboxes.list() if i.id not in own}
    assert own and others
    text = shown(open_as(analyst, "app_pages/live_board.py"))
    assert all(name in text for name in own.values())
    named = [name for name in others.values() if name in text]
    numbered = [f"inbox #{i}" for i in others if f"inbox #{i}" in text]
    assert named == [] and numbered == []


def test_a_scoped_user_sees_received_events_only_of_conversations_it_lists(two_tenants):
    url = two_tenants.api_url
    with Client(url, api_key=two_tenants.api_keys[0], use_env=False) as admin:
        role = admin.roles.create("Webhook keeper")
        admin.roles.update(role.id, capabilities=["webhooks.manage"])
        admin.users.create(name="Keeper", email="keeper@demo.ceox.local", password=PASSWORD, role_id=role.id,
                           inbox_ids=[admin.inboxes.list()[0].id])
        every = [c.id for c in admin.conversations.list(status="all")]
    key = in_named_workspace(connect(url, api_key=two_tenants.api_keys[0], source="demo"))
    keeper = in_named_workspace(sign_in(url, "keeper@demo.ceox.local", PASSWORD, allow_private=True))
    assert key.workspace_id == keeper.workspace_id  # one tenant: only the scope filter stands between them
    with keeper.client() as client:
        own = {c.id for c in client.conversations.list(status="all")}
    other = next(i for i in every if i not in own)
    receiver.store_event(key.workspace_id, event(1, conversation_id=min(own), body="event in the inbox of the keeper"))
    receiver.store_event(key.workspace_id, event(2, conversation_id=other, body=f"{MARK} event in another inbox"))
    assert f"{MARK} event in another inbox" in shown(open_as(key, "app_pages/webhooks.py"))
    text = shown(open_as(keeper, "app_pages/webhooks.py"))
    assert "event in the inbox of the keeper" in text and MARK not in text
