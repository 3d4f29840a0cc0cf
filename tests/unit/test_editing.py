"""Turning editor state into a plan, applying it row by row, and keeping failures on screen."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.editing import Change, Outcome, apply_editor_state, apply_plan, draft_after, plan_changes

FIELDS = ["name", "email", "tags"]


def frame(rows):
    return pd.DataFrame(rows, columns=["id", "name", "email", "tags"]).astype({"id": "Int64"})


@pytest.fixture
def server():
    return frame([[1, "Ana", "ana@x.co", ["a"]], [2, "Budi", "budi@x.co", []], [3, "Citra", "c@x.co", ["b", "a"]]])


def label(row):
    return row.get("email") or "new"


def test_no_edits_no_plan(server):
    desired = apply_editor_state(server, {"edited_rows": {}, "added_rows": [], "deleted_rows": []})
    assert plan_changes(server, desired, FIELDS, label) == []


def test_edit_add_delete_become_update_create_delete(server):
    state = {"edited_rows": {"1": {"name": "Budi S."}}, "added_rows": [{"name": "Dewi", "email": "d@x.co"}],
             "deleted_rows": [0]}
    changes = plan_changes(server, apply_editor_state(server, state), FIELDS, label)
    assert [(c.kind, c.id, c.label, c.fields) for c in changes] == [
        ("update", 2, "budi@x.co", {"name": "Budi S."}),
        ("create", None, "d@x.co", {"name": "Dewi", "email": "d@x.co", "tags": None}),
        ("delete", 1, "ana@x.co", {}),
    ]


def test_list_order_and_whitespace_are_not_changes(server):
    state = {"edited_rows": {"2": {"tags": ["a", "b"], "name": " Citra "}}}
    assert plan_changes(server, apply_editor_state(server, state), FIELDS, label) == []


def test_blank_added_row_is_ignored(server):
    state = {"added_rows": [{}]}
    assert plan_changes(server, apply_editor_state(server, state), FIELDS, label) == []


def test_row_deleted_on_server_meanwhile_is_not_updated(server):
    shown = server.copy()
    actual = server[server["id"] != 2]
    state = {"edited_rows": {"1": {"name": "gone"}}}
    assert plan_changes(actual, apply_editor_state(shown, state), FIELDS, label) == []


def test_apply_plan_continues_after_failures():
    changes = [Change("update", i, f"row{i}", {"name": "x"}) for i in range(1, 6)]

    def execute(change):
        if change.id % 2 == 0:
            raise RuntimeError(f"boom {change.id}")

    outcomes = apply_plan(changes, execute, lambda exc: str(exc))
    assert [o.ok for o in outcomes] == [True, False, True, False, True]
    assert outcomes[1].message == "boom 2"


def test_draft_keeps_failed_rows_with_reason_and_saving_it_again_retries_only_them(server):
    state = {"edited_rows": {"0": {"name": "Ana B."}, "1": {"name": "Budi B."}},
             "added_rows": [{"name": "Eka", "email": "e@x.co"}], "deleted_rows": [2]}
    changes = plan_changes(server, apply_editor_state(server, state), FIELDS, label)
    ok = {("update", 1)}
    outcomes = [Outcome(c, (c.kind, c.id) in ok, "" if (c.kind, c.id) in ok else "server said no")
                for c in changes]
    after = server.copy()
    after.loc[after["id"] == 1, "name"] = "Ana B."  # what the server holds after the partial save
    draft = draft_after(after, outcomes)
    assert draft["name"].tolist() == ["Ana B.", "Budi B.", "Citra", "Eka"]
    assert draft["result"].tolist()[0] == ""
    assert all("server said no" in r for r in draft["result"].tolist()[1:])
    # The draft, saved again without further edits, plans exactly the three failed changes.
    again = plan_changes(after, apply_editor_state(draft, {"deleted_rows": [2]}), FIELDS, label)
    assert sorted((c.kind, c.id) for c in again) == [("create", None), ("delete", 3), ("update", 2)]
