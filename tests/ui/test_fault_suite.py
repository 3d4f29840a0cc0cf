"""The fault suite: the dashboard under 10 % 5xx, 5 % 429 and 200 ms latency, and with the service stopped.

- every page renders with data or a clear message, and no traceback;
- the analytics sync completes under faults and matches the fault-free result;
- a bulk users save under faults creates each user at most once, whatever the retries;
- with the sandbox stopped mid-session, pages say the service is unreachable, unsaved table edits stay in the
  session, and after a restart on the same port and database the page recovers and the edits can be saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard import navigation
from dashboard import sync as cache_sync
from dashboard.navigation import pages_for
from tests.ui.conftest import assert_clean, open_app

PASSWORD = "password-123"


@pytest.fixture(scope="module")
def faulty_demo() -> Iterator[SandboxServer]:
    """A private demo workspace whose faults this module sets (and always clears): a fifth of the demo's
    conversations, so that a full sync under faults takes a minute or two rather than a quarter hour."""
    with SandboxServer(seed="demo") as server:
        with server.state.store.tx() as db:
            where = "conversation_id IN (SELECT id FROM conversations WHERE id % 5 != 0)"
            db.execute(f"DELETE FROM messages WHERE {where}")
            db.execute("DELETE FROM conversations WHERE id % 5 != 0")
        yield server


def api(sandbox: SandboxServer) -> Client:
    return Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False)


@contextmanager
def faults(sandbox: SandboxServer, **rates) -> Iterator[None]:
    rates = rates or {"error_rate": 0.1, "throttle_rate": 0.05, "latency_ms": 200}
    with api(sandbox) as client:
        client.sandbox.set_faults(**rates)
    try:
        yield
    finally:
        with api(sandbox) as client:
            client.sandbox.clear_faults()


app_on = partial(open_app, run=False)  # connected, not run yet: each test picks its page


# What a page may say when a read failed even after the client's retries: the explained sentences of
# dashboard.feedback for a transient failure, nothing else (no raw service text, no exception).
TRANSIENT = ("unreachable right now", "rate limiting requests", "The service failed (5")


def assert_renders_under_faults(at: AppTest, title: str) -> None:
    """The page's own title, and content of its own or only explained transient failures as errors
    (warnings are the pages' own findings, such as a disconnected device)."""
    assert [t.value for t in at.main.title] == [title]
    errors = [e.value for e in at.main.error]
    unexplained = [e for e in errors if not any(sentence in e for sentence in TRANSIENT)]
    assert unexplained == [], (title, unexplained)
    own_content = at.main.dataframe or at.main.metric or at.main.text_input or at.get("arrow_vega_lite_chart")
    assert own_content or errors, f"{title}: neither content nor a reason"


def test_every_page_renders_under_faults(faulty_demo):
    at = app_on(faulty_demo)
    workspace = at.session_state["workspace"]
    cache_sync.sync(workspace)  # the first full sync is the sync test's; here the pages refresh it under faults
    with faults(faulty_demo):
        for page in pages_for(workspace):
            at.switch_page(page.path).run()
            assert_clean(at)
            assert_renders_under_faults(at, page.title)


# A full sync under 10 % 5xx, 200 ms latency and a rate limit of 40 requests a second (429 beyond it), as a
# busy service behind a gateway answers: the client paces itself under the limit and retries the rest.
@pytest.mark.timeout(600)
def test_sync_under_faults_completes_and_matches_the_fault_free_result(faulty_demo, tmp_path):
    with api(faulty_demo) as client:
        cache_sync.sync(client, cache_dir=tmp_path / "clean")
        clean = cache_sync.Cache.for_client(client, cache_dir=tmp_path / "clean").frames()
    with faults(faulty_demo, error_rate=0.1, rate_limit_per_s=40, latency_ms=200), api(faulty_demo) as client:
        report = cache_sync.sync(client, cache_dir=tmp_path / "faulty", concurrency=32)
    assert report.cold and report.failed == 0 and report.fetched == report.listed > 0
    with api(faulty_demo) as client:
        faulty = cache_sync.Cache.for_client(client, cache_dir=tmp_path / "faulty").frames()
    for clean_frame, faulty_frame in zip(clean[:2], faulty[:2], strict=True):
        assert len(clean_frame) > 0
        key = list(clean_frame.columns)
        pd.testing.assert_frame_equal(clean_frame.sort_values(key).reset_index(drop=True),
                                      faulty_frame.sort_values(key).reset_index(drop=True))
    assert clean[2] == faulty[2]


@pytest.fixture
def team(empty_sandbox):
    with api(empty_sandbox) as client:
        client.roles.create("Agent")
        client.inboxes.create("Sales")
    return empty_sandbox


def new_row(i: int) -> dict:
    return {"name": f"New {i}", "email": f"new{i}@x.co", "role": "Agent", "status": "offline", "inboxes": [],
            "password": PASSWORD}


def test_bulk_save_under_faults_creates_each_user_at_most_once(team):
    at = app_on(team)
    at.switch_page(navigation.USERS.path).run()
    at.session_state["users_editor_0"] = {"added_rows": [new_row(i) for i in range(15)]}
    at.run()  # the grid's edits reach the page before Save (which is disabled until there are changes)
    wanted = {f"new{i}@x.co" for i in range(15)}
    with faults(team, error_rate=0.2, throttle_rate=0.1, latency_ms=50):
        next(b for b in at.button if b.label == "Save changes").click().run()
        assert_clean(at)
        for attempt in range(1, 8):  # save the kept rows again, still under faults, until none is left
            draft = at.session_state.get("users_draft")
            if draft is None:
                break
            at.session_state[f"users_editor_{attempt}"] = {}
            at.run()
            next(b for b in at.button if b.label == "Save changes").click().run()
            assert_clean(at)
    with api(team) as client:
        emails = [u.email for u in client.users.list()]
    assert sorted(emails) == sorted(set(emails)), "a user was created twice"
    assert set(emails) <= wanted
    kept = at.session_state.get("users_draft")
    kept_emails = set() if kept is None else set(kept.loc[kept["result"] != "", "email"])
    assert set(emails) | kept_emails == wanted  # each row is saved or still on screen with its reason


def test_service_stopped_mid_session_then_back(tmp_path):
    db = str(tmp_path / "workspace.sqlite")
    server = SandboxServer(db=db, seed="empty").start()
    port, key = server.port, server.api_key
    try:
        with api(server) as client:
            agent = client.roles.create("Agent")
            client.users.create(name="Ana", email="ana@x.co", password=PASSWORD, role_id=agent.id)
        at = app_on(server)
        at.switch_page(navigation.USERS.path).run()
        assert_clean(at)
        edits = {"edited_rows": {"0": {"name": "Ana Renamed"}}, "added_rows": [new_row(1)], "deleted_rows": []}
        at.session_state["users_editor_0"] = edits
        server.stop()

        from ui import reads
        reads.invalidate()  # (the 30 s read cache would hide the outage; a new read is what matters)
        at.run()
        assert_clean(at)
        assert any("unreachable" in e.value for e in at.error), [e.value for e in at.error]
        assert at.session_state["users_editor_0"]["added_rows"] == edits["added_rows"]  # unsaved edits survive

        server = SandboxServer(db=db, seed="empty", port=port, api_key=key).start()
        at.switch_page(navigation.USERS.path).run()
        assert_clean(at)
        assert not any("unreachable" in e.value for e in at.error)
        assert "Ana" in set(at.dataframe[0].value["name"])
        at.session_state["users_editor_0"] = edits
        next(b for b in at.button if b.label == "Save changes").click().run()
        assert_clean(at)
        with api(server) as client:
            names = {u.email: u.name for u in client.users.list()}
        assert names == {"ana@x.co": "Ana Renamed", "new1@x.co": "New 1"}
    finally:
        server.stop()
