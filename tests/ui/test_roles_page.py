"""The Roles & capabilities page in AppTest, against a real sandbox; every change is checked through the API."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard import audit
from dashboard.capabilities import LABELS
from dashboard.connection import sign_in
from tests.ui.conftest import assert_clean, open_app

PAGE = "app_pages/roles.py"
SAVE = "FormSubmitter:roles_form-Save changes"
PASSWORD = "password-123"


def api(sandbox: SandboxServer) -> Client:
    return Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False)


def roles_by_name(sandbox: SandboxServer) -> dict:
    with api(sandbox) as client:
        return {role.name: role for role in client.roles.list()}


def make_roles(sandbox: SandboxServer, *roles: tuple[str, list[str]], users: dict[str, int] | None = None) -> None:
    """Roles with capabilities, and `users[name]` users holding each."""
    with api(sandbox) as client:
        for name, capabilities in roles:
            role = client.roles.create(name)
            if capabilities:
                client.roles.update(role.id, capabilities=capabilities)
            for n in range((users or {}).get(name, 0)):
                client.users.create(name=f"{name} {n}", email=f"{name.lower()}{n}@example.com", password=PASSWORD,
                                    role_id=role.id, inbox_ids=[])


def edit_table(at: AppTest, edited=None, added=(), deleted=()) -> None:
    version = at.session_state.get("roles_version", 0)
    at.session_state[f"roles_editor_{version}"] = {"edited_rows": edited or {}, "added_rows": list(added),
                                                   "deleted_rows": list(deleted)}


def save(at: AppTest) -> None:
    at.button(key=SAVE).click().run()
    assert_clean(at)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def texts(at: AppTest) -> str:
    """Everything shown as text, errors, notes and tables, in one string to search."""
    parts = [e.value for kind in (at.error, at.success, at.warning, at.info, at.text, at.caption) for e in kind]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(str(p) for p in parts)


def audited(at: AppTest) -> list[dict]:
    return audit.entries(at.session_state["workspace"])


def test_ticking_a_capability_saves_it(empty_sandbox):
    make_roles(empty_sandbox, ("Sales lead", ["contacts.manage"]), ("Other", []))
    at = open_app(empty_sandbox, PAGE)
    assert_clean(at)
    assert at.title[0].value == "Roles & capabilities"
    edit_table(at, {0: {"chats.send": True, "contacts.manage": False}})
    save(at)
    assert at.success[0].value == "Saved the change."
    roles = roles_by_name(empty_sandbox)
    assert roles["Sales lead"].capabilities == ["chats.send"]
    assert roles["Other"].capabilities == []
    assert [(e["action"], e["target"], e["outcome"], e["detail"]) for e in audited(at)] == [
        ("role.update", "Sales lead", "ok", "Capabilities: added Send messages; removed Manage contacts")]


def test_create_and_delete_after_confirming(empty_sandbox):
    make_roles(empty_sandbox, ("Old", []), ("Stays", ["chats.send"]))
    at = open_app(empty_sandbox, PAGE)
    edit_table(at, {1: {"name": "Stayed"}}, added=[{"name": "New", "contacts.manage": True, "analytics.view": True}],
               deleted=[0])
    save(at)
    assert at.session_state["roles_pending_plan"]  # the confirmation is open; nothing sent yet
    assert "Old" in texts(at)
    assert set(roles_by_name(empty_sandbox)) == {"Old", "Stays"}

    button(at, "Cancel").click().run()
    assert_clean(at)
    assert "roles_pending_plan" not in at.session_state
    assert set(roles_by_name(empty_sandbox)) == {"Old", "Stays"}

    save(at)  # the editor still holds the edits
    button(at, "Delete and save").click().run()
    assert_clean(at)
    assert at.success[0].value == "Saved all 3 changes."
    roles = roles_by_name(empty_sandbox)
    assert set(roles) == {"Stayed", "New"}
    assert sorted(roles["New"].capabilities) == ["analytics.view", "contacts.manage"]
    assert roles["Stayed"].capabilities == ["chats.send"]
    assert sorted((e["action"], e["target"]) for e in audited(at)) == [
        ("role.create", "New"), ("role.delete", "Old"), ("role.update", "Stayed")]


@pytest.mark.parametrize(("edits", "problem"), [
    ({"edited": {0: {"name": "Boss"}}}, "Admin is a system role: its name cannot change."),
    ({"deleted": [1]}, "Agent is a system role and cannot be deleted."),
    ({"added": [{"name": "admin", "chats.send": True}]},
     "Another row has this name (role names are compared ignoring case)."),
    ({"edited": {4: {"name": ""}}}, "Name is required."),
])
def test_invalid_edits_are_refused_before_any_call(demo_sandbox, edits, problem):
    before = roles_by_name(demo_sandbox)
    at = open_app(demo_sandbox, PAGE)
    edit_table(at, **edits)
    save(at)
    assert at.error[0].value == "Nothing was saved: 1 row needs fixing first."
    assert problem in texts(at)
    assert "roles_pending_plan" not in at.session_state
    assert roles_by_name(demo_sandbox) == before
    assert audited(at) == []


def test_deleting_a_role_still_assigned_is_explained_and_the_row_kept(empty_sandbox):
    make_roles(empty_sandbox, ("Busy", ["chats.send"]), ("Idle", []), users={"Busy": 2})
    at = open_app(empty_sandbox, PAGE)
    edit_table(at, {1: {"chats.send": True}}, deleted=[0])
    save(at)
    assert "Users" in at.dataframe[-1].value.columns and at.dataframe[-1].value["Users"].tolist() == [2]
    assert "cannot be deleted" in at.warning[0].value
    button(at, "Delete and save").click().run()
    assert_clean(at)
    assert at.error[0].value.startswith("1 of 2 changes saved; 1 failed.")
    assert "Busy is still assigned to 2 users: give them another role first, then delete it." in texts(at)
    draft = at.session_state["roles_draft"]
    assert draft["name"].tolist() == ["Busy", "Idle"]
    assert draft["result"][0].startswith("✗ delete failed: Busy is still assigned to 2 users")
    assert "Some changes failed at the last save" in at.warning[0].value
    roles = roles_by_name(empty_sandbox)
    assert set(roles) == {"Busy", "Idle"} and roles["Idle"].capabilities == ["chats.send"]

    button(at, "Discard unsaved edits").click().run()
    assert_clean(at)
    assert "roles_draft" not in at.session_state


def test_a_failed_create_stays_in_the_table_for_another_try(empty_sandbox):
    make_roles(empty_sandbox, ("Taken", []))
    at = open_app(empty_sandbox, PAGE)
    # a name taken on the server but not in this table: someone renamed a role meanwhile
    with api(empty_sandbox) as client:
        client.roles.create("Sneaky")
    edit_table(at, added=[{"name": "Fresh", "chats.send": True}, {"name": "Sneaky", "analytics.view": True}])
    save(at)
    assert at.error[0].value.startswith("1 of 2 changes saved; 1 failed.")
    draft = at.session_state["roles_draft"]
    kept = draft[draft["id"].isna()]
    assert kept["name"].tolist() == ["Sneaky"] and kept["result"].iloc[0].startswith("✗ create failed:")
    assert roles_by_name(empty_sandbox)["Fresh"].capabilities == ["chats.send"]

    # corrected in the new editor (the kept row is its last row) and saved again: only it is sent
    edit_table(at, {len(draft) - 1: {"name": "Sneaky two"}})
    save(at)
    assert at.success[0].value == "Saved the change."
    assert roles_by_name(empty_sandbox)["Sneaky two"].capabilities == ["analytics.view"]
    assert "roles_draft" not in at.session_state


def test_user_without_roles_manage_does_not_get_the_page(empty_sandbox):
    make_roles(empty_sandbox, ("Helper", ["users.manage", "chats.send"]), users={"Helper": 1})
    workspace = sign_in(empty_sandbox.api_url, "helper0@example.com", PASSWORD, allow_private=True)
    at = open_app(empty_sandbox, token=workspace.secret)
    assert_clean(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_a_role_losing_roles_manage_meanwhile_gets_a_clear_403(empty_sandbox):
    make_roles(empty_sandbox, ("Keeper", ["roles.manage"]), ("Target", []), users={"Keeper": 1})
    workspace = sign_in(empty_sandbox.api_url, "keeper0@example.com", PASSWORD, allow_private=True)
    at = open_app(empty_sandbox, PAGE, token=workspace.secret)  # the page is listed: the role had it at sign-in
    assert_clean(at)
    with api(empty_sandbox) as client:
        keeper = roles_by_name(empty_sandbox)["Keeper"]
        client.roles.update(keeper.id, capabilities=["chats.send"])
    edit_table(at, {1: {"chats.send": True}})
    save(at)
    assert at.error[0].value.startswith("0 of 1 changes saved; 1 failed.")
    assert "Your role lacks the “Manage roles” capability." in texts(at)
    assert at.session_state["roles_draft"]["result"][1] == (
        "✗ update failed: Your role lacks the “Manage roles” capability.")
    assert roles_by_name(empty_sandbox)["Target"].capabilities == []
    assert [(e["action"], e["outcome"]) for e in audited(at)] == [
        ("role.update", "Your role lacks the “Manage roles” capability.")]


def test_capabilities_unknown_to_the_dashboard_are_shown(empty_sandbox):
    make_roles(empty_sandbox, ("Billing", ["chats.send"]))
    with empty_sandbox.state.store.tx() as db:  # the sandbox refuses unknown capabilities, a real service may not
        db.execute("UPDATE roles SET capabilities = ? WHERE name = 'Billing'",
                   (json.dumps(["chats.send", "billing.export"]),))
    at = open_app(empty_sandbox, PAGE)
    assert_clean(at)
    assert "Unknown to this dashboard: billing.export." in texts(at)
    at.selectbox(key="roles_preview").select(roles_by_name(empty_sandbox)["Billing"].id).run()
    assert_clean(at)
    assert "Also holds, unknown to this dashboard: billing.export." in texts(at)


def test_view_as_a_role_lists_its_pages_and_actions(demo_sandbox):
    at = open_app(demo_sandbox, PAGE)
    analyst = roles_by_name(demo_sandbox)["Analyst"]
    at.selectbox(key="roles_preview").select(analyst.id).run()
    assert_clean(at)
    pages, may, may_not = (frame.value for frame in at.dataframe[-3:])
    assert pages["Page"].tolist() == ["Overview", "Devices", "Contacts", "Conversations", "Analytics", "Agents",
                                      "Live board"]
    assert may["Capability"].tolist() == [LABELS[c] for c in analyst.capabilities]
    assert "Manage roles" in may_not["Capability"].tolist()
    assert any("Inbox scoping applies" in info.value for info in at.info)

    at.selectbox(key="roles_preview").select(roles_by_name(demo_sandbox)["Admin"].id).run()
    pages = at.dataframe[-3].value
    assert "Roles & capabilities" in pages["Page"].tolist()
    assert at.dataframe[-1].value.empty
    assert any("sees every inbox" in info.value for info in at.info)


def test_a_create_whose_capabilities_fail_is_reported_and_kept_as_that_role(empty_sandbox):
    make_roles(empty_sandbox, ("Billing", []))
    with empty_sandbox.state.store.tx() as db:  # gives the table a column the sandbox will refuse on PUT
        db.execute("UPDATE roles SET capabilities = ? WHERE name = 'Billing'", (json.dumps(["billing.export"]),))
    at = open_app(empty_sandbox, PAGE)
    edit_table(at, added=[{"name": "Half", "chats.send": True, "billing.export": True}])
    save(at)
    assert at.error[0].value.startswith("0 of 1 changes saved; 1 failed.")
    assert "Half was created, but its capabilities were not set: " in texts(at)
    half = roles_by_name(empty_sandbox)["Half"]
    assert half.capabilities == []
    draft = at.session_state["roles_draft"]
    assert draft["id"].tolist() == [roles_by_name(empty_sandbox)["Billing"].id, half.id]
    assert draft["result"][1].startswith("✗ created, but capabilities not set:")

    edit_table(at, {1: {"billing.export": False}})  # drop what the service refuses, keep the rest
    save(at)
    assert at.success[0].value == "Saved the change."
    assert roles_by_name(empty_sandbox)["Half"].capabilities == ["chats.send"]
    assert [e["action"] for e in audited(at)] == ["role.update", "role.create"]


def test_unticking_roles_manage_from_the_last_role_that_has_it_is_refused(empty_sandbox):
    make_roles(empty_sandbox, ("Boss", ["roles.manage", "users.manage"]), ("Helper", []), users={"Boss": 1})
    at = open_app(empty_sandbox, PAGE)
    edit_table(at, {0: {"roles.manage": False}})
    save(at)
    assert "No role would have “Manage roles” any more" in texts(at)
    assert roles_by_name(empty_sandbox)["Boss"].capabilities == ["roles.manage", "users.manage"]
    assert audited(at) == []
    # Moving it to another role in the same save is fine.
    edit_table(at, {0: {"roles.manage": False}, 1: {"roles.manage": True}})
    save(at)
    assert at.success[0].value == "Saved all 2 changes."
    assert roles_by_name(empty_sandbox)["Helper"].capabilities == ["roles.manage"]


def test_removing_your_own_access_asks_for_your_email_typed(empty_sandbox):
    make_roles(empty_sandbox, ("Keeper", ["roles.manage"]), ("Other", ["roles.manage"]), users={"Keeper": 1})
    workspace = sign_in(empty_sandbox.api_url, "keeper0@example.com", PASSWORD, allow_private=True)
    at = open_app(empty_sandbox, PAGE, token=workspace.secret)
    edit_table(at, {0: {"roles.manage": False}})
    save(at)
    assert "You would lose access to this page: your role would no longer have “Manage roles”." in texts(at)
    confirm = button(at, "Save and lose my access")
    assert confirm.disabled
    assert roles_by_name(empty_sandbox)["Keeper"].capabilities == ["roles.manage"]
    at.text_input(key="roles_typed_confirmation").input("someone@else.com").run()
    assert button(at, "Save and lose my access").disabled
    at.text_input(key="roles_typed_confirmation").input("keeper0@example.com").run()
    button(at, "Save and lose my access").click().run()
    assert_clean(at)
    assert roles_by_name(empty_sandbox)["Keeper"].capabilities == []
    assert [(e["actor"], e["detail"]) for e in audited(at)] == [
        ("Keeper 0 <keeper0@example.com>", "Capabilities: removed Manage roles")]
