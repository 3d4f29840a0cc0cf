"""The roles matrix: frame building, plans, validation, and running plans against a real sandbox."""

from __future__ import annotations

import pandas as pd
import pytest

from ceox_api import Client
from ceox_api.models import Role
from dashboard import roles_matrix
from dashboard.capabilities import LABELS
from dashboard.editing import apply_editor_state, apply_plan, draft_after
from dashboard.feedback import explain_error
from dashboard.roles_matrix import KNOWN_CAPABILITIES, Matrix

ROLES = [
    Role(id=1, name="Admin", is_system=True, capabilities=list(KNOWN_CAPABILITIES), user_count=1),
    Role(id=2, name="Agent", is_system=True, capabilities=["chats.send"], user_count=4),
    Role(id=3, name="Analyst", is_system=False, capabilities=["analytics.view"], user_count=0),
]


def edit(frame: pd.DataFrame, edited=None, added=(), deleted=()) -> pd.DataFrame:
    return apply_editor_state(frame, {"edited_rows": edited or {}, "added_rows": list(added),
                                      "deleted_rows": list(deleted)})


def planned(roles=ROLES, **edits):
    matrix = Matrix.of(roles)
    shown = roles_matrix.roles_frame(roles, matrix)
    desired = edit(shown, **edits)
    changes = roles_matrix.plan(shown, desired, matrix)
    return changes, roles_matrix.validate(changes, shown, desired)


# ---- the frame ------------------------------------------------------------------------------------

def test_frame_has_a_checkbox_column_per_known_capability_in_a_stable_order():
    frame = roles_matrix.roles_frame(ROLES, Matrix.of(ROLES))
    assert list(frame.columns) == ["id", "name", "is_system", *KNOWN_CAPABILITIES, "user_count"]
    assert frame.loc[1, "chats.send"] and not frame.loc[1, "users.manage"]
    assert frame["chats.send"].dtype == "boolean" and frame["id"].dtype == "Int64"
    assert frame["is_system"].tolist() == [True, True, False]


def test_capabilities_unknown_to_the_dashboard_still_get_a_column():
    roles = [*ROLES, Role(id=4, name="Billing", capabilities=["chats.send", "billing.export", "name"])]
    matrix = Matrix.of(roles)
    assert matrix.capabilities == (*KNOWN_CAPABILITIES, "billing.export", "name")
    assert matrix.unknown == ("billing.export", "name")
    frame = roles_matrix.roles_frame(roles, matrix)
    # an unknown capability named like a role field gets a column of its own
    assert list(frame.columns)[-3:] == ["billing.export", "name (capability)", "user_count"]
    assert frame.loc[3, "billing.export"] and frame.loc[3, "name (capability)"] and frame.loc[3, "name"] == "Billing"
    assert roles_matrix.describe("billing.export") == f"{roles_matrix.UNKNOWN_NOTE} (capability id: billing.export)"
    assert "unknown to this dashboard" in roles_matrix.describe("billing.export").lower()
    assert roles_matrix.describe("chats.send").startswith("Reply")


def test_draft_missing_a_capability_column_leaves_it_as_on_the_server():
    roles = [*ROLES, Role(id=4, name="Billing", capabilities=["billing.export"])]
    matrix = Matrix.of(roles)
    server = roles_matrix.roles_frame(roles, matrix)
    old_draft = server.drop(columns=["billing.export"]).assign(result="")
    shown = roles_matrix.typed(old_draft, matrix)
    assert shown["billing.export"].isna().all()
    desired = edit(shown, {3: {"chats.send": True}})
    [change] = roles_matrix.plan(server, desired, matrix)
    assert change.fields == {"capabilities": ["chats.send", "billing.export"]}


# ---- the plan -------------------------------------------------------------------------------------

def test_no_edits_no_plan():
    assert planned() == ([], {})


def test_tick_and_untick_send_the_whole_new_capability_list():
    changes, problems = planned(edited={2: {"chats.send": True, "analytics.view": False, "inbox.view_all": True}})
    assert problems == {}
    assert [(c.kind, c.id, c.label, c.fields) for c in changes] == [
        ("update", 3, "Analyst", {"capabilities": ["chats.send", "inbox.view_all"]})]


def test_capabilities_of_a_system_role_may_change():
    changes, problems = planned(edited={0: {"webhooks.manage": False}})
    assert problems == {}
    assert changes[0].fields == {"capabilities": [c for c in KNOWN_CAPABILITIES if c != "webhooks.manage"]}


def test_rename_a_custom_role():
    changes, problems = planned(edited={2: {"name": " Data analyst "}})
    assert problems == {}
    assert [(c.kind, c.id, c.fields) for c in changes] == [("update", 3, {"name": "Data analyst"})]


def test_create_carries_name_and_ticked_capabilities_and_blank_rows_are_ignored():
    changes, problems = planned(added=[{"name": "Sales lead", "chats.send": True, "contacts.manage": True},
                                       {}, {"chats.send": False}])
    assert problems == {}
    assert [(c.kind, c.id, c.label, c.fields) for c in changes] == [
        ("create", None, "Sales lead", {"name": "Sales lead", "capabilities": ["chats.send", "contacts.manage"]})]


def test_delete_a_custom_role():
    changes, problems = planned(deleted=[2])
    assert problems == {}
    assert [(c.kind, c.id, c.label) for c in changes] == [("delete", 3, "Analyst")]


# ---- validation -----------------------------------------------------------------------------------

def test_system_role_name_is_locked():
    changes, problems = planned(edited={0: {"name": "Boss"}})
    assert [c.kind for c in changes] == ["update"]
    assert problems == {"Boss": ["Admin is a system role: its name cannot change."]}


def test_system_role_cannot_be_deleted():
    _, problems = planned(deleted=[1])
    assert problems == {"Agent": ["Agent is a system role and cannot be deleted."]}


def test_system_flag_comes_from_the_server_not_from_the_table():
    _, problems = planned(edited={0: {"name": "Boss", "is_system": False}})
    assert problems == {"Boss": ["Admin is a system role: its name cannot change."]}


def test_duplicate_names_ignoring_case():
    _, problems = planned(added=[{"name": "analyst ", "chats.send": True}])
    assert problems == {"analyst": ["Another row has this name (role names are compared ignoring case)."]}


@pytest.mark.parametrize(("name", "problem"), [
    ("", "Name is required."),
    ("x" * 201, "Name is 201 characters long; at most 200 are allowed."),
    ("Sales\x07", "Name must not contain control characters."),
])
def test_bad_names(name, problem):
    _, problems = planned(added=[{"name": name, "chats.send": True}])
    assert list(problems.values()) == [[problem]]


def test_emptied_name_of_an_existing_role():
    _, problems = planned(edited={2: {"name": "  "}})
    assert problems == {"new role": ["Name is required."]}


# ---- the preview ----------------------------------------------------------------------------------

def test_preview_lists_pages_actions_and_scoping():
    preview = roles_matrix.preview(["analytics.view", "roles.manage", "billing.export"])
    assert [p.path for p in preview.pages] == [
        "app_pages/overview.py", "app_pages/roles.py", "app_pages/devices.py", "app_pages/contacts.py",
        "app_pages/conversations.py", "app_pages/analytics.py", "app_pages/agents.py", "app_pages/live_board.py"]
    assert [c for c, _ in preview.may] == ["View analytics", "Manage roles"]
    assert [c for c, _ in preview.may_not] == [LABELS[c] for c in KNOWN_CAPABILITIES
                                               if c not in ("analytics.view", "roles.manage")]
    assert preview.unknown == ["billing.export"]
    assert preview.scoped
    assert not roles_matrix.preview(["inbox.view_all"]).scoped


# ---- against a real sandbox ------------------------------------------------------------------------

def run(client: Client, shown: pd.DataFrame, matrix: Matrix, **edits):
    desired = edit(shown, **edits)
    changes = roles_matrix.plan(shown, desired, matrix)
    assert roles_matrix.validate(changes, shown, desired) == {}
    writer = roles_matrix.RoleWriter()
    outcomes = apply_plan(changes, lambda change: writer(client, change), explain_error)
    return outcomes, writer


def test_one_plan_creates_renames_ticks_and_deletes(empty_sandbox):
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key, use_env=False) as client:
        keep = client.roles.create("Keep")
        client.roles.create("Doomed")
        roles = client.roles.list()
        matrix = Matrix.of(roles)
        shown = roles_matrix.roles_frame(roles, matrix)
        outcomes, _ = run(client, shown, matrix, edited={0: {"name": "Kept", "chats.send": True}}, deleted=[1],
                          added=[{"name": "New", "analytics.view": True, "inbox.view_all": True}, {"name": "Bare"}])
        assert [(o.change.kind, o.ok) for o in outcomes] == [("update", True), ("create", True), ("create", True),
                                                             ("delete", True)]
        after = {r.name: r for r in client.roles.list()}
    assert set(after) == {"Kept", "New", "Bare"}
    assert after["Kept"].id == keep.id and after["Kept"].capabilities == ["chats.send"]
    assert sorted(after["New"].capabilities) == ["analytics.view", "inbox.view_all"]
    assert after["Bare"].capabilities == []


def test_deleting_a_role_still_assigned_says_to_how_many_users(empty_sandbox):
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key, use_env=False) as client:
        role = client.roles.create("Busy")
        for n in range(2):
            client.users.create(name=f"U{n}", email=f"u{n}@x.co", password="password1", role_id=role.id,
                                inbox_ids=[])
        roles = client.roles.list()
        matrix = Matrix.of(roles)
        shown = roles_matrix.roles_frame(roles, matrix)
        [outcome], _ = run(client, shown, matrix, deleted=[0])
        assert [r.name for r in client.roles.list()] == ["Busy"]
    assert not outcome.ok
    assert outcome.message == "Busy is still assigned to 2 users: give them another role first, then delete it."
    draft = draft_after(shown, [outcome])
    assert draft["name"].tolist() == ["Busy"] and draft["result"][0].startswith("✗ delete failed: Busy is still")


def test_a_create_whose_capabilities_fail_is_kept_as_that_role(empty_sandbox):
    """The sandbox refuses a capability it does not know, so the second call of a create fails."""
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key, use_env=False) as client:
        existing = client.roles.create("Existing")
        matrix = Matrix.of([*client.roles.list(), Role(id=0, name="elsewhere", capabilities=["billing.export"])])
        shown = roles_matrix.roles_frame(client.roles.list(), matrix)
        [outcome], writer = run(client, shown, matrix,
                                added=[{"name": "Half", "chats.send": True, "billing.export": True}])
        assert not outcome.ok
        assert outcome.message.startswith("Half was created, but its capabilities were not set: capabilities: "
                                          "unknown capability billing.export")
        assert outcome.message.endswith("Save again to set them.")
        created = {r.name: r for r in client.roles.list()}["Half"]
        assert created.capabilities == []

        fresh = roles_matrix.roles_frame(client.roles.list(), matrix)
        draft = roles_matrix.keep_created(draft_after(fresh, [outcome]), writer.created_without_capabilities)
        assert draft["id"].tolist() == [existing.id, created.id]
        assert draft["result"].tolist()[1].startswith("✗ created, but capabilities not set: capabilities: unknown")
        shown = roles_matrix.typed(draft, matrix)
        assert shown.loc[1, "chats.send"] and shown.loc[1, "billing.export"]

        outcomes, _ = run(client, shown, matrix, edited={1: {"billing.export": False}})
        assert [(o.change.kind, o.change.id, o.change.fields, o.ok) for o in outcomes] == [
            ("update", created.id, {"capabilities": ["chats.send"]}, True)]
        assert client.roles.list()[1].capabilities == ["chats.send"]


def test_a_failed_update_stays_in_the_draft_with_its_ticks_and_the_rest_is_applied(empty_sandbox):
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key, use_env=False) as client:
        client.roles.create("Refused")
        client.roles.create("Fine")
        matrix = Matrix.of([*client.roles.list(), Role(id=0, name="elsewhere", capabilities=["billing.export"])])
        shown = roles_matrix.roles_frame(client.roles.list(), matrix)
        outcomes, _ = run(client, shown, matrix, edited={0: {"billing.export": True, "chats.send": True},
                                                         1: {"chats.send": True}})
        assert [(o.change.label, o.ok) for o in outcomes] == [("Refused", False), ("Fine", True)]
        fresh = roles_matrix.roles_frame(client.roles.list(), matrix)
    assert fresh["chats.send"].tolist() == [False, True]
    draft = roles_matrix.typed(draft_after(fresh, outcomes), matrix)
    assert draft["chats.send"].tolist() == [True, True] and draft["billing.export"].tolist() == [True, False]
    assert draft["result"][0].startswith("✗ update failed: capabilities: unknown capability billing.export")
    assert draft["result"][1] == ""


def test_names_the_server_already_holds_are_not_checked_again():
    roles = [*ROLES, Role(id=4, name="analyst", capabilities=[])]  # the service may compare names exactly
    changes, problems = planned(roles, edited={3: {"chats.send": True}})
    assert problems == {} and [c.fields for c in changes] == [{"capabilities": ["chats.send"]}]
    _, problems = planned(roles, edited={3: {"name": "ANALYST"}})
    assert list(problems.values()) == [["Another row has this name (role names are compared ignoring case)."]]
