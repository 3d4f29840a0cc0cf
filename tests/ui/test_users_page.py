"""The Users page through AppTest, against a real sandbox."""

from __future__ import annotations

import pytest

from ceox_api import Client
from ceox_api.errors import NotFound, PermissionDenied
from dashboard.feedback import explain_error
from tests.ui.conftest import assert_clean, open_app

EDITOR = "users_editor_0"


@pytest.fixture
def team(empty_sandbox):
    """An empty workspace with two roles, two inboxes and ten users."""
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key) as client:
        agent = client.roles.create(name="Agent")
        client.roles.create(name="Lead")
        sales = client.inboxes.create(name="Sales")
        client.inboxes.create(name="Support")
        users = [client.users.create(name=f"User {i}", email=f"user{i}@x.co", password="password1",
                                     role_id=agent.id, inbox_ids=[sales.id]) for i in range(10)]
    return empty_sandbox, users


def api(sandbox) -> Client:
    return Client(sandbox.api_url, api_key=sandbox.api_key)


def save(at):
    next(b for b in at.button if b.label == "Save changes").click().run()


def new_row(i, **extra):
    return {"name": f"New {i}", "email": f"new{i}@x.co", "role": "Agent", "status": "offline",
            "inboxes": ["Support"], "password": "password1", **extra}


def test_edit_create_and_delete_with_confirmation(team):
    sandbox, users = team
    at = open_app(sandbox, "app_pages/users.py")
    assert_clean(at)
    at.session_state[EDITOR] = {"edited_rows": {"0": {"name": "Renamed", "role": "Lead", "inboxes": []}},
                                "added_rows": [new_row(1)], "deleted_rows": [9]}
    save(at)
    assert_clean(at)
    # The deletion waits for confirmation; nothing has happened yet.
    with api(sandbox) as client:
        assert len(client.users.list()) == 10
    next(b for b in at.button if b.label == "Delete and save").click().run()
    assert_clean(at)
    with api(sandbox) as client:
        by_email = {u.email: u for u in client.users.list()}
    assert by_email["user0@x.co"].name == "Renamed" and by_email["user0@x.co"].role_name == "Lead"
    assert by_email["user0@x.co"].inbox_ids == []
    assert by_email["new1@x.co"].role_name == "Agent" and by_email["new1@x.co"].status == "offline"
    assert "user9@x.co" not in by_email
    assert any("Saved all 3 changes" in s.value for s in at.success)


def test_cancelled_deletion_keeps_user(team):
    sandbox, _ = team
    at = open_app(sandbox, "app_pages/users.py")
    at.session_state[EDITOR] = {"deleted_rows": [0]}
    save(at)
    next(b for b in at.button if b.label == "Cancel").click().run()
    with api(sandbox) as client:
        assert len(client.users.list()) == 10


@pytest.mark.parametrize("row, message", [
    (new_row(1, email="not-an-email"), "not an email address"),
    (new_row(1, password="short"), "at least 8"),
    (new_row(1, name=""), "Name is required"),
    (new_row(1, email="USER3@x.co"), "more than one row"),
    (new_row(1, role=None), "Choose a role"),
])
def test_validation_errors_block_the_save(team, row, message):
    sandbox, _ = team
    at = open_app(sandbox, "app_pages/users.py")
    at.session_state[EDITOR] = {"added_rows": [row], "edited_rows": {"1": {"name": "Changed"}}}
    save(at)
    assert_clean(at)
    assert any("Nothing was saved" in e.value for e in at.error)
    problems = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    assert message in " ".join(problems["problem"])
    with api(sandbox) as client:
        assert {u.name for u in client.users.list()} == {f"User {i}" for i in range(10)}


def test_conflict_keeps_the_row_with_the_reason(team):
    sandbox, _ = team
    at = open_app(sandbox, "app_pages/users.py")
    with api(sandbox) as client:  # someone else takes the address while the table is open
        client.users.create(name="Taken", email="taken@x.co", password="password1", role_id=1)
    at.session_state[EDITOR] = {"added_rows": [new_row(1), new_row(2, email="taken@x.co")]}
    save(at)
    assert_clean(at)
    assert any("1 failed" in e.value for e in at.error)
    draft = at.session_state["users_draft"]
    failed = draft[draft["result"] != ""]
    assert failed["email"].tolist() == ["taken@x.co"] and "already exists" in failed["result"].iloc[0]
    # Saving the corrected row again creates exactly it, and nothing twice.
    position = draft.index[draft["email"] == "taken@x.co"][0]
    at.session_state["users_editor_1"] = {"edited_rows": {str(position): {"email": "fixed@x.co"}}}
    save(at)
    assert_clean(at)
    with api(sandbox) as client:
        emails = sorted(u.email for u in client.users.list())
    assert emails.count("new1@x.co") == 1 and "fixed@x.co" in emails
    assert "users_draft" not in at.session_state


def test_bulk_save_of_20_under_30_percent_faults_keeps_every_failure(team):
    sandbox, users = team
    at = open_app(sandbox, "app_pages/users.py")
    at.session_state[EDITOR] = {"edited_rows": {str(i): {"name": f"Renamed {i}"} for i in range(10)},
                                "added_rows": [new_row(i) for i in range(10)]}
    with api(sandbox) as client:
        client.sandbox.set_faults(error_rate=0.3)
        try:
            save(at)
        finally:
            client.sandbox.clear_faults()
    assert_clean(at)
    with api(sandbox) as client:
        on_server = {u.email: u.name for u in client.users.list()}
    report = {row: ok for _, row, ok, _ in at.session_state.get("users_report") or []} or None
    draft = at.session_state.get("users_draft")
    kept = set() if draft is None else set(draft.loc[draft["result"] != "", "email"])
    wanted = {f"user{i}@x.co": f"Renamed {i}" for i in range(10)} | {f"new{i}@x.co": f"New {i}" for i in range(10)}
    for email, name in wanted.items():
        applied = on_server.get(email) == name
        assert applied != (email in kept), email  # each edit is either applied or kept on screen, never both
    assert len(on_server) == 10 + sum(1 for i in range(10) if f"new{i}@x.co" in on_server)
    assert report is None or len(report) == 20


def test_reset_password_and_csv_export(team):
    sandbox, users = team
    at = open_app(sandbox, "app_pages/users.py")
    at.selectbox[-1].select("User 2 <user2@x.co>")
    password_input = next(t for t in at.text_input if t.label == "New password")
    password_input.input("brand-new-pass")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert_clean(at)
    assert any("reset" in s.value for s in at.success)
    with Client.login(sandbox.api_url, "user2@x.co", "brand-new-pass") as client:
        assert client.me.get().user.email == "user2@x.co"
    assert all("brand-new-pass" not in str(e.value) for e in [*at.success, *at.error, *at.markdown])


def test_short_reset_password_is_refused_before_any_call(team):
    sandbox, _ = team
    at = open_app(sandbox, "app_pages/users.py")
    at.selectbox[-1].select("User 2 <user2@x.co>")
    next(t for t in at.text_input if t.label == "New password").input("short")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert any("at least 8" in e.value for e in at.error)


def test_role_without_users_manage_never_sees_the_page_and_writes_get_a_clear_403(team):
    sandbox, users = team
    with api(sandbox) as client:
        viewer = client.roles.create(name="Viewer")
        client.users.create(name="Vera", email="vera@x.co", password="password1", role_id=viewer.id)
        token = client.auth.login(email="vera@x.co", password="password1").token.get_secret_value()
    at = open_app(sandbox, token=token)
    assert_clean(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/users.py")
    # Hiding is not access control: a write with this credential still gets a clear sentence.
    workspace = at.session_state["workspace"]
    with workspace.client() as client, pytest.raises(PermissionDenied) as raised:
        client.users.create(name="X", email="x@x.co", password="password1", role_id=viewer.id)
    assert explain_error(raised.value) == "Your role lacks users.manage."


def test_api_error_on_load_is_a_sentence_not_a_traceback(team):
    sandbox, _ = team
    at = open_app(sandbox)
    with api(sandbox) as client:
        client.sandbox.set_faults(error_rate=1.0)
        try:
            at.switch_page("app_pages/users.py").run()
        finally:
            client.sandbox.clear_faults()
    assert_clean(at)
    assert any("service failed" in e.value or "unreachable" in e.value for e in at.error)


def test_deleted_meanwhile_is_reported_as_not_found(team):
    sandbox, users = team
    at = open_app(sandbox, "app_pages/users.py")
    with api(sandbox) as client:
        client.users.delete(users[3].id)
        with pytest.raises(NotFound):
            client.users.update(users[3].id, name="x")
    at.session_state[EDITOR] = {"edited_rows": {"3": {"name": "Too late"}}}
    save(at)
    assert_clean(at)
