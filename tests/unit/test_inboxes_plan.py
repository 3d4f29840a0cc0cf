"""Plans of the Inboxes page: inbox rows, the membership matrix and device moves; run against a sandbox."""

from __future__ import annotations

from urllib.parse import unquote

import pandas as pd
import pytest

from ceox_api import Client
from ceox_api.models import Device, Inbox, User
from dashboard import inboxes_plan
from dashboard.editing import Change, Outcome, apply_editor_state, apply_plan, plan_changes
from dashboard.feedback import explain_error
from dashboard.inboxes_plan import UNASSIGNED, CellChange, inbox_column

INBOXES = [Inbox(id=1, name="Sales", description="Orders", color="#16a34a", member_ids=[1, 2], device_ids=[1]),
           Inbox(id=2, name="Support", description="", color="#2563eb", member_ids=[2], device_ids=[2, 3])]
DEVICES = [Device(id=1, name="CS Sales", phone="+6281110001001", status="connected", inbox_id=1),
           Device(id=2, name="Help desk", phone="+6281110002002", status="connected", inbox_id=2),
           Device(id=3, name="Spare", phone="+6281110003003", status="disconnected", inbox_id=2),
           Device(id=4, name="Loose", phone="+6281110004004", status="connected", inbox_id=None)]
USERS = [User(id=1, name="Ana", email="ana@x.co", inbox_ids=[1]),
         User(id=2, name="Budi", email="budi@x.co", inbox_ids=[1, 2]),
         User(id=3, name="Citra", email="citra@x.co", inbox_ids=[])]


def inbox_plan(state):
    server = inboxes_plan.inboxes_frame(INBOXES, DEVICES)
    shown = inboxes_plan.with_swatches(server.assign(result=""))
    desired = inboxes_plan.tidy(apply_editor_state(shown, state))
    changes = plan_changes(server, desired, inboxes_plan.FIELDS, inboxes_plan.label)
    return changes, inboxes_plan.validate(changes, desired)


# --- the inbox table --------------------------------------------------------------------------------

def test_inbox_rows_count_members_and_name_devices():
    frame = inboxes_plan.inboxes_frame(INBOXES, DEVICES)
    assert frame.to_dict("records") == [
        {"id": 1, "name": "Sales", "description": "Orders", "color": "#16a34a", "members": 2, "devices": ["CS Sales"]},
        {"id": 2, "name": "Support", "description": "", "color": "#2563eb", "members": 1,
         "devices": ["Help desk", "Spare"]}]


def test_swatch_draws_valid_colours_only():
    svg = unquote(inboxes_plan.swatch("#16A34A"))
    assert svg.startswith("data:image/svg+xml;utf8,<svg") and "fill='#16A34A'" in svg
    for bad in ["", None, "red", "#12345", "#16a34a' onload='x", float("nan")]:
        assert inboxes_plan.swatch(bad) is None


def test_edit_add_delete_plan():
    changes, problems = inbox_plan({"edited_rows": {"0": {"name": "Sales ID", "color": "#FF0000"}},
                                    "added_rows": [{"name": "VIP", "color": "#9333ea", "description": "Members"}],
                                    "deleted_rows": [1]})
    assert problems == {}
    assert [(c.kind, c.id, c.label, c.fields) for c in changes] == [
        ("update", 1, "Sales ID", {"name": "Sales ID", "color": "#ff0000"}),
        ("create", None, "VIP", {"name": "VIP", "description": "Members", "color": "#9333ea"}),
        ("delete", 2, "Support", {}),
    ]


def test_colour_case_alone_is_no_change_and_a_cleared_description_is_empty_text():
    changes, _ = inbox_plan({"edited_rows": {"0": {"color": "#16A34A", "description": None}}})
    assert [(c.kind, c.fields) for c in changes] == [("update", {"description": ""})]


@pytest.mark.parametrize("edit, message", [
    ({"name": ""}, "Name is required"),
    ({"name": "x" * 201}, "at most 200"),
    ({"name": "SUPPORT"}, "Another row has this name"),
    ({"color": "green"}, "is not a colour written #rrggbb"),
    ({"color": "#12345g"}, "is not a colour written #rrggbb"),
    ({"description": "line\nbreak"}, "control characters"),
    ({"description": "x" * 1001}, "too long"),
])
def test_validation_problems(edit, message):
    _, problems = inbox_plan({"edited_rows": {"0": edit}})
    assert message in " ".join(m for found in problems.values() for m in found)


def test_duplicate_names_among_new_rows_and_deleted_rows_are_not_validated():
    _, problems = inbox_plan({"added_rows": [{"name": "Ops"}, {"name": " ops "}]})
    assert "Another row has this name" in " ".join(problems["Ops"])
    # Deleting Support and renaming Sales to it in the same save is no duplicate.
    _, problems = inbox_plan({"edited_rows": {"0": {"name": "Support"}}, "deleted_rows": [1]})
    assert problems == {}


# --- memberships ------------------------------------------------------------------------------------

def member_matrix():
    return inboxes_plan.membership_frame(USERS, INBOXES, inboxes_plan.memberships_from_users(USERS))


def test_membership_matrix_ticks_members():
    frame = member_matrix()
    assert list(frame.columns) == ["id", "name", "email", "inbox_1", "inbox_2"]
    assert frame[["inbox_1", "inbox_2"]].values.tolist() == [[True, False], [True, True], [False, False]]


def test_membership_plan_adds_and_removes():
    actual = member_matrix()
    desired = apply_editor_state(actual, {"edited_rows": {"0": {"inbox_2": True}, "1": {"inbox_1": False},
                                                          "2": {"inbox_1": False}}})
    changes = inboxes_plan.plan_memberships(actual, desired, INBOXES)
    assert changes == [CellChange("add", 1, "inbox_2", True, 2, "ana@x.co in Support", was=False),
                       CellChange("remove", 2, "inbox_1", False, 1, "budi@x.co in Sales", was=True)]
    assert [c.detail for c in changes] == ["Member: no → yes", "Member: yes → no"]
    assert [c.action for c in changes] == ["inbox.member.add", "inbox.member.remove"]


def test_membership_plan_skips_users_and_inboxes_gone_meanwhile():
    shown = member_matrix()
    desired = apply_editor_state(shown, {"edited_rows": {"2": {"inbox_1": True, "inbox_2": True}}})
    actual = shown[shown["id"] != 3]
    assert inboxes_plan.plan_memberships(actual, desired, INBOXES) == []
    without_support = shown.drop(columns=["inbox_2"])
    assert [c.column for c in inboxes_plan.plan_memberships(without_support, desired, INBOXES)] == ["inbox_1"]


def test_failed_cells_stay_as_left_with_the_reason_and_only_they_are_planned_again():
    actual = member_matrix()
    desired = apply_editor_state(actual, {"edited_rows": {"0": {"inbox_2": True}, "2": {"inbox_1": True,
                                                                                        "inbox_2": True}}})
    changes = inboxes_plan.plan_memberships(actual, desired, INBOXES)
    outcomes = [Outcome(c, c.row_id != 3, "done" if c.row_id != 3 else "The service failed (503).") for c in changes]
    # From the rows read before the save (re-reading failed): the success is applied, the failures kept.
    draft = inboxes_plan.after_save(actual, outcomes)
    assert draft[["inbox_1", "inbox_2"]].values.tolist() == [[True, True], [True, True], [True, True]]
    assert draft["result"].tolist()[:2] == ["", ""]
    assert draft["result"].iloc[2].count("✗ add failed: The service failed (503).") == 2
    server_now = actual.copy()
    server_now.loc[0, "inbox_2"] = True
    again = inboxes_plan.plan_memberships(server_now, apply_editor_state(draft, {}), INBOXES)
    assert [(c.kind, c.row_id, c.inbox_id) for c in again] == [("add", 3, 1), ("add", 3, 2)]
    assert inboxes_plan.report(outcomes)[0] == ("add", "ana@x.co in Support", True, "added")


# --- device moves -----------------------------------------------------------------------------------

def device_plan(edits):
    actual = inboxes_plan.devices_frame(DEVICES, INBOXES)
    desired = apply_editor_state(actual, {"edited_rows": edits})
    return (inboxes_plan.plan_device_moves(actual, desired, INBOXES),
            inboxes_plan.device_problems(actual, desired, INBOXES))


def test_devices_frame_names_inboxes():
    frame = inboxes_plan.devices_frame(DEVICES, INBOXES)
    assert frame["inbox"].tolist() == ["Sales", "Support", "Support", UNASSIGNED]


def test_device_moves_and_unassignments():
    changes, problems = device_plan({"0": {"inbox": "Support"}, "2": {"inbox": UNASSIGNED},
                                     "3": {"inbox": "Sales"}, "1": {"inbox": "Support"}})
    assert problems == {}
    assert [(c.kind, c.row_id, c.inbox_id, c.value, c.label) for c in changes] == [
        ("move", 1, 2, "Support", "CS Sales to Support"),
        ("unassign", 3, 2, UNASSIGNED, "Spare out of Support"),
        ("move", 4, 1, "Sales", "Loose to Sales"),
    ]


def test_a_cleared_choice_means_unassigned_and_an_unknown_inbox_is_a_problem():
    changes, problems = device_plan({"0": {"inbox": None}, "1": {"inbox": "Nowhere"}})
    assert [(c.kind, c.row_id) for c in changes] == [("unassign", 1)]
    assert list(problems) == ["Help desk"] and "Choose one of the inboxes" in problems["Help desk"][0]


# --- against a real sandbox -------------------------------------------------------------------------

@pytest.fixture
def demo_client(demo_sandbox):
    with Client(demo_sandbox.api_url, api_key=demo_sandbox.api_key) as client:
        yield client


def test_inbox_plan_runs_against_the_sandbox(demo_client):
    server = inboxes_plan.inboxes_frame(demo_client.inboxes.list(), demo_client.devices.list())
    desired = inboxes_plan.tidy(apply_editor_state(server, {"added_rows": [
        {"name": "Plan test A", "color": "#ABCDEF", "description": "first"}, {"name": "Plan test B"}]}))
    changes = plan_changes(server, desired, inboxes_plan.FIELDS, inboxes_plan.label)
    outcomes = apply_plan(changes, lambda c: inboxes_plan.execute(demo_client, c), explain_error)
    assert all(o.ok for o in outcomes)
    created = {o.result.name: o.result for o in outcomes}
    try:
        assert created["Plan test A"].color == "#abcdef" and created["Plan test B"].color == ""
        server = inboxes_plan.inboxes_frame(demo_client.inboxes.list(), demo_client.devices.list())
        position = int(server.index[server["id"] == created["Plan test A"].id][0])
        desired = inboxes_plan.tidy(apply_editor_state(server, {"edited_rows": {
            str(position): {"description": None, "name": "Plan test A2"}}}))
        changes = plan_changes(server, desired, inboxes_plan.FIELDS, inboxes_plan.label)
        assert [c.fields for c in changes] == [{"name": "Plan test A2", "description": ""}]
        outcomes = apply_plan(changes, lambda c: inboxes_plan.execute(demo_client, c), explain_error)
        assert outcomes[0].ok
        renamed = next(i for i in demo_client.inboxes.list() if i.id == created["Plan test A"].id)
        assert (renamed.name, renamed.description, renamed.color) == ("Plan test A2", "", "#abcdef")
        # A name taken by another inbox (whatever its case) is the server's 409, explained.
        failed = apply_plan([Change("update", renamed.id, "x", {"name": "sales"})],
                            lambda c: inboxes_plan.execute(demo_client, c), explain_error)
        assert not failed[0].ok and "already exists" in failed[0].message
    finally:
        for inbox in created.values():
            demo_client.inboxes.delete(inbox.id)
    assert not {"Plan test A2", "Plan test B"} & {i.name for i in demo_client.inboxes.list()}


def test_membership_and_device_cells_run_against_the_sandbox(demo_client):
    inbox = demo_client.inboxes.create("Cell test")
    devices_before = {d.id: d.inbox_id for d in demo_client.devices.list()}
    try:
        inboxes = demo_client.inboxes.list()
        users = demo_client.users.list()
        actual = inboxes_plan.membership_frame(users, inboxes, inboxes_plan.memberships_from_users(users))
        column = inbox_column(inbox.id)
        desired = apply_editor_state(actual, {"edited_rows": {"0": {column: True}, "1": {column: True}}})
        changes = inboxes_plan.plan_memberships(actual, desired, inboxes)
        outcomes = apply_plan(changes, lambda c: inboxes_plan.execute_cell(demo_client, c), explain_error)
        assert all(o.ok for o in outcomes) and len(outcomes) == 2
        member_ids = {u.id for u in demo_client.inboxes.members(inbox.id)}
        assert member_ids == {int(actual["id"][0]), int(actual["id"][1])}
        # One removal, and one add for a user deleted meanwhile: the second fails on its own.
        users = demo_client.users.list()
        actual = inboxes_plan.membership_frame(users, inboxes, inboxes_plan.memberships_from_users(users))
        changes = [CellChange("remove", int(actual["id"][0]), column, False, inbox.id, "first"),
                   CellChange("add", 999_999, column, True, inbox.id, "ghost")]
        outcomes = apply_plan(changes, lambda c: inboxes_plan.execute_cell(demo_client, c), explain_error)
        assert [o.ok for o in outcomes] == [True, False] and "does not exist" in outcomes[1].message
        assert {u.id for u in demo_client.inboxes.members(inbox.id)} == {int(actual["id"][1])}

        # Move the demo's first device into the new inbox, then unassign it.
        actual = inboxes_plan.devices_frame(demo_client.devices.list(), inboxes)
        desired = apply_editor_state(actual, {"edited_rows": {"0": {"inbox": "Cell test"}}})
        changes = inboxes_plan.plan_device_moves(actual, desired, inboxes)
        assert [(c.kind, c.inbox_id) for c in changes] == [("move", inbox.id)]
        assert all(o.ok for o in apply_plan(changes, lambda c: inboxes_plan.execute_cell(demo_client, c),
                                            explain_error))
        moved = next(d for d in demo_client.devices.list() if d.id == changes[0].row_id)
        assert moved.inbox_id == inbox.id
        actual = inboxes_plan.devices_frame(demo_client.devices.list(), demo_client.inboxes.list())
        desired = apply_editor_state(actual, {"edited_rows": {"0": {"inbox": UNASSIGNED}}})
        changes = inboxes_plan.plan_device_moves(actual, desired, inboxes)
        assert [(c.kind, c.inbox_id) for c in changes] == [("unassign", inbox.id)]
        assert all(o.ok for o in apply_plan(changes, lambda c: inboxes_plan.execute_cell(demo_client, c),
                                            explain_error))
        assert next(d for d in demo_client.devices.list() if d.id == moved.id).inbox_id is None
    finally:
        for device_id, inbox_id in devices_before.items():
            if inbox_id is not None:
                demo_client.inboxes.assign_device(inbox_id, device_id)
        demo_client.inboxes.delete(inbox.id)
    assert {d.id: d.inbox_id for d in demo_client.devices.list()} == devices_before


def test_after_save_works_on_device_frames():
    actual = inboxes_plan.devices_frame(DEVICES, INBOXES)
    changes, _ = device_plan({"0": {"inbox": "Support"}, "3": {"inbox": "Sales"}})
    outcomes = [Outcome(changes[0], True, "moved"), Outcome(changes[1], False, "Your role lacks inboxes.manage.")]
    draft = inboxes_plan.after_save(actual, outcomes)
    assert draft["inbox"].tolist() == ["Support", "Support", "Support", "Sales"]
    assert draft["result"].tolist() == ["", "", "", "✗ move failed: Your role lacks inboxes.manage."]
    assert isinstance(draft, pd.DataFrame) and list(actual["inbox"]) == ["Sales", "Support", "Support", UNASSIGNED]
