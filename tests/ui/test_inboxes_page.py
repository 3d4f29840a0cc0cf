"""The Inboxes & members page through AppTest, against real sandboxes: inboxes, memberships, devices."""

from __future__ import annotations

from functools import partial

import pytest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard import audit
from dashboard.inboxes_plan import UNASSIGNED, inbox_column
from tests.ui.conftest import assert_clean, open_app

PAGE = "app_pages/inboxes.py"
INBOX_EDITOR, MEMBER_EDITOR, DEVICE_EDITOR = "inboxes_editor_0", "inbox_members_editor_0", "inbox_devices_editor_0"


def api(sandbox) -> Client:
    return Client(sandbox.api_url, api_key=sandbox.api_key)


@pytest.fixture
def team(empty_sandbox):
    """An empty workspace with two inboxes and three users: Ana in Sales, Budi in both, Citra in none."""
    with api(empty_sandbox) as client:
        agent = client.roles.create(name="Agent")
        sales = client.inboxes.create("Sales", description="Orders", color="#16a34a")
        support = client.inboxes.create("Support", color="#2563eb")
        users = [client.users.create(name=name, email=f"{name.lower()}@x.co", password="password1",
                                     role_id=agent.id, inbox_ids=ids)
                 for name, ids in [("Ana", [sales.id]), ("Budi", [sales.id, support.id]), ("Citra", [])]]
    return empty_sandbox, sales, support, users


@pytest.fixture
def own_demo():
    """A demo workspace of this test's own, for moving devices about freely."""
    with SandboxServer(seed="demo") as server:
        yield server


page_app = partial(open_app, page=PAGE, run=False)  # set on this page before its first run
open_page = partial(open_app, page=PAGE)


def click(at, label):
    next(b for b in at.button if b.label == label).click().run()


def inboxes_on_server(sandbox):
    with api(sandbox) as client:
        return {i.name: i for i in client.inboxes.list()}


# --- the inbox table --------------------------------------------------------------------------------

def test_create_edit_and_delete_with_confirmation(team):
    sandbox, sales, support, users = team
    at = open_page(sandbox)
    assert_clean(at)
    shown = at.dataframe[0].value
    assert shown["swatch"].str.startswith("data:image/svg+xml").all() and shown["members"].tolist() == [2, 1]
    at.session_state[INBOX_EDITOR] = {
        "edited_rows": {"0": {"name": "Sales ID", "color": "#FF0000", "description": None}},
        "added_rows": [{"name": "VIP", "color": "#9333ea", "description": "Member customers"}],
        "deleted_rows": [1]}
    click(at, "Save changes")
    assert_clean(at)
    # The deletion waits for confirmation, which says what goes with the inbox; nothing has happened yet.
    assert any("memberships and device assignments go with them" in m.value for m in at.markdown)
    doomed = next(d.value for d in at.dataframe if "Inbox" in d.value.columns)
    assert doomed["Inbox"].tolist() == ["Support"] and doomed["Members"].tolist() == [1]
    assert set(inboxes_on_server(sandbox)) == {"Sales", "Support"}
    click(at, "Delete and save")
    assert_clean(at)
    on_server = inboxes_on_server(sandbox)
    assert set(on_server) == {"Sales ID", "VIP"}
    assert (on_server["Sales ID"].color, on_server["Sales ID"].description) == ("#ff0000", "")
    assert (on_server["VIP"].color, on_server["VIP"].description) == ("#9333ea", "Member customers")
    assert any("Saved all 3 changes" in s.value for s in at.success)
    with api(sandbox) as client:  # Budi's membership of Support went with it
        assert next(u for u in client.users.list() if u.name == "Budi").inbox_ids == [sales.id]


def test_cancelled_deletion_keeps_the_inbox(team):
    sandbox, *_ = team
    at = open_page(sandbox)
    at.session_state[INBOX_EDITOR] = {"deleted_rows": [0]}
    click(at, "Save changes")
    click(at, "Cancel")
    assert_clean(at)
    assert set(inboxes_on_server(sandbox)) == {"Sales", "Support"}


@pytest.mark.parametrize("edit, message", [
    ({"color": "green"}, "is not a colour written #rrggbb"),
    ({"color": "#12345"}, "is not a colour written #rrggbb"),
    ({"name": ""}, "Name is required"),
    ({"name": "support"}, "Another row has this name"),
    ({"description": "two\nlines"}, "control characters"),
])
def test_validation_errors_block_the_save(team, edit, message):
    sandbox, *_ = team
    at = open_page(sandbox)
    at.session_state[INBOX_EDITOR] = {"edited_rows": {"0": edit}, "added_rows": [{"name": "Ops"}]}
    click(at, "Save changes")
    assert_clean(at)
    assert any("Nothing was saved" in e.value for e in at.error)
    problems = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    assert message in " ".join(problems["problem"])
    on_server = inboxes_on_server(sandbox)
    assert set(on_server) == {"Sales", "Support"} and on_server["Sales"].color == "#16a34a"


def test_failed_save_keeps_the_edit_with_the_reason_and_saves_it_next_time(team):
    sandbox, *_ = team
    at = open_page(sandbox)
    at.session_state[INBOX_EDITOR] = {"edited_rows": {"0": {"name": "Sales ID"}}}
    with api(sandbox) as client:
        client.sandbox.set_faults(error_rate=1.0)
        try:
            click(at, "Save changes")
            assert_clean(at)  # while the service fails, the page says so (and re-reads nothing)
            assert any("service failed" in e.value for e in at.error)
        finally:
            client.sandbox.clear_faults()
    at.run()
    assert_clean(at)
    assert any("0 of 1 changes saved" in e.value for e in at.error)
    assert any("could not be re-read" in w.value for w in at.warning)
    draft = at.session_state["inboxes_draft"]
    kept = draft[draft["result"] != ""]
    assert kept["name"].tolist() == ["Sales ID"] and "service failed" in kept["result"].iloc[0]
    assert "Sales ID" not in inboxes_on_server(sandbox)
    click(at, "Save changes")  # no new edits: the kept one is planned again
    assert_clean(at)
    assert set(inboxes_on_server(sandbox)) == {"Sales ID", "Support"}
    assert "inboxes_draft" not in at.session_state


def test_inbox_page_load_error_is_a_sentence(team):
    sandbox, *_ = team
    at = page_app(sandbox)
    with api(sandbox) as client:
        client.sandbox.set_faults(error_rate=1.0)
        try:
            at.run()
        finally:
            client.sandbox.clear_faults()
    assert_clean(at)
    assert any("service failed" in e.value or "unreachable" in e.value for e in at.error)


# --- membership matrix ------------------------------------------------------------------------------

def members_of(sandbox, inbox_id):
    with api(sandbox) as client:
        return {u.name for u in client.inboxes.members(inbox_id)}


def test_membership_adds_and_removes_as_one_plan(team):
    sandbox, sales, support, users = team
    at = open_page(sandbox)
    at.session_state[MEMBER_EDITOR] = {"edited_rows": {
        "0": {inbox_column(support.id): True}, "1": {inbox_column(sales.id): False},
        "2": {inbox_column(sales.id): True, inbox_column(support.id): True}}}
    click(at, "Save memberships")
    assert_clean(at)
    assert any("Saved all 4 changes" in s.value for s in at.success)
    report = next(d.value for d in at.dataframe if "change" in d.value.columns)
    assert sorted(report["change"]) == ["add", "add", "add", "remove"]
    assert members_of(sandbox, sales.id) == {"Ana", "Citra"}
    assert members_of(sandbox, support.id) == {"Ana", "Budi", "Citra"}
    logged = audit.entries(at.session_state["workspace"])
    assert sorted((e["action"], e["target"], e["outcome"]) for e in logged) == [
        ("inbox.member.add", "ana@x.co in Support", "ok"), ("inbox.member.add", "citra@x.co in Sales", "ok"),
        ("inbox.member.add", "citra@x.co in Support", "ok"), ("inbox.member.remove", "budi@x.co in Sales", "ok")]


def test_failed_membership_changes_stay_ticked_with_the_reason(team):
    sandbox, sales, support, users = team
    at = open_page(sandbox)
    at.session_state[MEMBER_EDITOR] = {"edited_rows": {"2": {inbox_column(sales.id): True},
                                                       "1": {inbox_column(support.id): False}}}
    with api(sandbox) as client:
        client.sandbox.set_faults(error_rate=1.0)
        try:
            click(at, "Save memberships")
        finally:
            client.sandbox.clear_faults()
    at.run()
    assert_clean(at)
    assert any("2 failed" in e.value for e in at.error)
    draft = at.session_state["inbox_members_draft"]
    assert bool(draft.loc[2, inbox_column(sales.id)]) and not bool(draft.loc[1, inbox_column(support.id)])
    assert "✗ add failed" in draft.loc[2, "result"] and "✗ remove failed" in draft.loc[1, "result"]
    assert members_of(sandbox, sales.id) == {"Ana", "Budi"}
    click(at, "Save memberships")
    assert_clean(at)
    assert members_of(sandbox, sales.id) == {"Ana", "Budi", "Citra"}
    assert members_of(sandbox, support.id) == set()
    assert "inbox_members_draft" not in at.session_state


def test_matrix_from_member_lists_without_users_manage(team):
    sandbox, sales, support, users = team
    with api(sandbox) as client:
        lead = client.roles.create(name="Inbox lead")
        client.roles.update(lead.id, capabilities=["inboxes.manage", "inbox.view_all"])
        client.users.create(name="Lena", email="lena@x.co", password="password1", role_id=lead.id,
                            inbox_ids=[support.id])
        token = client.auth.login(email="lena@x.co", password="password1").token.get_secret_value()
    at = open_page(sandbox, token=token)
    assert_clean(at)
    assert any("lacks “Manage users”" in c.value for c in at.caption)
    # Members only (Citra is in no inbox); Lena is row 2 after Ana and Budi.
    at.session_state[MEMBER_EDITOR] = {"edited_rows": {"0": {inbox_column(support.id): True}}}
    click(at, "Save memberships")
    assert_clean(at)
    assert members_of(sandbox, support.id) == {"Ana", "Budi", "Lena"}


# --- devices ----------------------------------------------------------------------------------------

def device_inboxes(sandbox):
    with api(sandbox) as client:
        return {d.name: d.inbox_id for d in client.devices.list()}


def test_move_and_unassign_devices(own_demo):
    at = open_page(own_demo)
    assert_clean(at)
    # Demo devices 1..4 sit in inboxes 1..4 (Sales, Support, Billing, VIP).
    at.session_state[DEVICE_EDITOR] = {"edited_rows": {"0": {"inbox": "Support"}, "3": {"inbox": UNASSIGNED}}}
    click(at, "Save device assignments")
    assert_clean(at)
    assert any("Saved all 2 changes" in s.value for s in at.success)
    assert device_inboxes(own_demo) == {"CS Sales Jakarta": 2, "Support Center": 2, "Billing & Finance": 3,
                                        "VIP Concierge": None}


def test_device_moved_meanwhile_keeps_the_failed_unassignment_on_screen(own_demo):
    at = open_page(own_demo)
    with api(own_demo) as client:  # someone else moves the Support device to VIP while the page is open
        client.inboxes.assign_device(4, 2)
    at.session_state[DEVICE_EDITOR] = {"edited_rows": {"1": {"inbox": UNASSIGNED}, "0": {"inbox": "Billing"}}}
    click(at, "Save device assignments")
    assert_clean(at)
    assert any("1 of 2 changes saved; 1 failed" in e.value for e in at.error)
    draft = at.session_state["inbox_devices_draft"]
    assert draft["inbox"].tolist()[:2] == ["Billing", UNASSIGNED]
    assert "✗ unassign failed: Not found" in draft.loc[1, "result"] and draft.loc[0, "result"] == ""
    assert device_inboxes(own_demo)["CS Sales Jakarta"] == 3
    assert device_inboxes(own_demo)["Support Center"] == 4


def test_unknown_inbox_choice_is_refused_before_any_call(own_demo):
    at = open_page(own_demo)
    at.session_state[DEVICE_EDITOR] = {"edited_rows": {"0": {"inbox": "Nowhere"}}}
    click(at, "Save device assignments")
    assert_clean(at)
    assert any("Nothing was saved" in e.value for e in at.error)
    assert device_inboxes(own_demo)["CS Sales Jakarta"] == 1
