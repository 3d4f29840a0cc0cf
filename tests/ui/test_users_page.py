"""The Users page through AppTest, against a real sandbox."""

from __future__ import annotations

import pytest

from ceox_api import Client
from ceox_api.errors import NotFound, PermissionDenied
from dashboard import audit
from dashboard.feedback import explain_error
from tests.ui.conftest import as_read, assert_clean, open_app

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
    at.run()  # as a committed cell edit does: the page sees the edits and enables "Save changes"
    next(b for b in at.button if b.label == "Save changes").click().run()


def texts(at) -> str:
    parts = [e.value for kind in (at.error, at.success, at.warning, at.info, at.text, at.caption, at.markdown)
             for e in kind]
    return "\n".join(str(p) for p in parts + [frame.value.to_csv() for frame in at.dataframe])


def open_add_dialog(at):
    next(b for b in at.button if b.label == "Add user").click().run()
    assert_clean(at)


def fill_add_dialog(at, name="New 1", email="new1@x.co", role="Agent", inboxes=("Support",), typed=None, again=None):
    fields = {t.label: t for t in at.text_input}
    fields["Name"].input(name)
    fields["Email"].input(email)
    next(s for s in at.selectbox if s.label == "Role").select(role)
    next(m for m in at.multiselect if m.label == "Inboxes").set_value(list(inboxes))
    if typed is not None:
        at.radio[0].set_value("Type a password")
        fields["Password (if typed)"].input(typed)
        fields["Password again"].input(typed if again is None else again)
    next(b for b in at.button if b.label == "Add user" and b.proto.is_form_submitter).click().run()
    assert_clean(at)


def test_edit_and_delete_with_confirmation(team):
    sandbox, users = team
    at = open_app(sandbox, "app_pages/users.py")
    assert_clean(at)
    at.session_state[EDITOR] = {"edited_rows": {"0": {"name": "Renamed", "role": "Lead", "inboxes": []}},
                                "deleted_rows": [9]}
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
    assert "user9@x.co" not in by_email
    assert any("Saved all 2 changes" in s.value for s in at.success)
    logged = {e["action"]: e for e in audit.entries(at.session_state["workspace"])}
    assert logged["user.update"]["detail"] == "Name: User 0 → Renamed · Role: Agent → Lead · Inboxes: removed Sales"
    with api(sandbox) as client:  # the key by its name, as the sandbox lists it
        (key,) = [k for k in client.sandbox.list_api_keys() if sandbox.api_key.startswith(k.key_prefix)]
    assert logged["user.update"]["actor"] == f"API key “{key.name}”"
    assert logged["user.delete"]["detail"] == "Had role: Agent"


def test_the_table_holds_no_password_adds_no_rows_and_counts_unsaved_edits(team):
    sandbox, _ = team
    at = open_app(sandbox, "app_pages/users.py")
    grid = at.dataframe[0]
    assert list(grid.proto.column_order) == ["id", "name", "email", "role", "status", "inboxes", "result"]
    assert grid.proto.editing_mode == grid.proto.EditingMode.DELETE_ONLY if hasattr(grid.proto, "EditingMode") else True
    save_button = next(b for b in at.button if b.label == "Save changes")
    assert save_button.disabled and "No unsaved changes." in texts(at)
    at.session_state[EDITOR] = {"edited_rows": {"2": {"name": "Half done"}}}
    at.run()
    assert "1 change not saved yet." in texts(at)
    assert not next(b for b in at.button if b.label == "Save changes").disabled
    assert "Nothing to save" not in texts(at)


@pytest.mark.parametrize("fields, message", [
    ({"email": "not-an-email"}, "not an email address"),
    ({"typed": "short"}, "at least 8"),
    ({"typed": "long-enough-1", "again": "long-enough-2"}, "The two passwords differ."),
    ({"name": ""}, "Name is required"),
    ({"email": "USER3@x.co"}, "exists already"),
])
def test_add_user_problems_are_shown_in_the_dialog_before_any_call(team, fields, message):
    sandbox, _ = team
    at = open_app(sandbox, "app_pages/users.py")
    open_add_dialog(at)
    fill_add_dialog(at, **fields)
    assert any(message in as_read(e.value) for e in at.error)
    with api(sandbox) as client:
        assert len(client.users.list()) == 10


def test_add_user_with_a_generated_password_shown_once(team):
    sandbox, _ = team
    at = open_app(sandbox, "app_pages/users.py")
    open_add_dialog(at)
    fill_add_dialog(at)
    password = at.session_state["add_user_created"]["password"]
    assert len(password) >= 16 and [c.value for c in at.code] == [password]
    with api(sandbox) as client:
        created = next(u for u in client.users.list() if u.email == "new1@x.co")
    assert (created.name, created.role_name) == ("New 1", "Agent")
    with Client.login(sandbox.api_url, "new1@x.co", password) as as_new:
        assert as_new.me.get().user.email == "new1@x.co"
    entry = audit.entries(at.session_state["workspace"])[0]
    assert (entry["action"], entry["detail"]) == ("user.create", "Name: New 1 · Email: new1@x.co · Role: Agent · "
                                                                 "Inboxes: Support")
    assert password not in str(audit.entries(at.session_state["workspace"]))
    next(b for b in at.button if b.label == "Done").click().run()
    assert "add_user_created" not in at.session_state and not at.code
    assert password not in texts(at)


def test_add_user_with_a_typed_password(team):
    sandbox, _ = team
    at = open_app(sandbox, "app_pages/users.py")
    open_add_dialog(at)
    fill_add_dialog(at, typed="typed-pass-123")
    assert at.session_state["add_user_created"]["password"] is None and not at.code
    with Client.login(sandbox.api_url, "new1@x.co", "typed-pass-123") as as_new:
        assert as_new.me.get().user.email == "new1@x.co"


def test_an_edit_that_fails_keeps_the_row_with_the_reason(team):
    sandbox, _ = team
    at = open_app(sandbox, "app_pages/users.py")
    with api(sandbox) as client:  # someone else takes the address while the table is open
        client.users.create(name="Taken", email="taken@x.co", password="password1", role_id=1)
    at.session_state[EDITOR] = {"edited_rows": {"1": {"email": "taken@x.co"}, "2": {"name": "Fine"}}}
    save(at)
    assert_clean(at)
    assert any("1 failed" in e.value for e in at.error)
    draft = at.session_state["users_draft"]
    failed = draft[draft["result"] != ""]
    assert failed["email"].tolist() == ["taken@x.co"] and "already exists" in failed["result"].iloc[0]
    position = draft.index[draft["email"] == "taken@x.co"][0]
    at.session_state["users_editor_1"] = {"edited_rows": {str(position): {"email": "fixed@x.co"}}}
    save(at)
    assert_clean(at)
    with api(sandbox) as client:
        emails = sorted(u.email for u in client.users.list())
    assert "fixed@x.co" in emails and "user1@x.co" not in emails
    assert "users_draft" not in at.session_state


def test_bulk_save_of_20_under_30_percent_faults_keeps_every_failure(team):
    sandbox, users = team
    at = open_app(sandbox, "app_pages/users.py")
    at.session_state[EDITOR] = {"edited_rows": {str(i): {"name": f"Renamed {i}", "role": "Lead"} for i in range(10)}}
    with api(sandbox) as client:
        client.sandbox.set_faults(error_rate=0.3)
        try:
            save(at)
        finally:
            client.sandbox.clear_faults()
    assert_clean(at)
    with api(sandbox) as client:
        on_server = {u.email: u.name for u in client.users.list()}
    draft = at.session_state.get("users_draft")
    kept = set() if draft is None else set(draft.loc[draft["result"] != "", "email"])
    for i in range(10):
        email = f"user{i}@x.co"
        assert (on_server[email] == f"Renamed {i}") != (email in kept), email  # applied or kept, never both


@pytest.fixture
def managers(empty_sandbox):
    """Boss (users.manage) and two agents."""
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key) as client:
        boss = client.roles.create(name="Boss")
        client.roles.update(boss.id, capabilities=["users.manage"])
        agent = client.roles.create(name="Agent")
        for name, role in (("boss", boss), ("ann", agent), ("bob", agent)):
            client.users.create(name=name.title(), email=f"{name}@x.co", password="password1", role_id=role.id)
    return empty_sandbox


def test_deleting_or_demoting_the_last_user_who_manages_users_is_refused(managers):
    at = open_app(managers, "app_pages/users.py")
    for edit in ({"deleted_rows": [0]}, {"edited_rows": {"0": {"role": "Agent"}}}):
        at.session_state[EDITOR] = edit
        save(at)
        assert_clean(at)
        assert "No user would be able to manage users any more" in texts(at)
        assert not at.session_state.get("users_pending_plan")
    with api(managers) as client:
        boss = next(u for u in client.users.list() if u.email == "boss@x.co")
    assert boss.role_name == "Boss"
    assert audit.entries(at.session_state["workspace"]) == []


def test_demoting_yourself_asks_for_your_email_typed(managers):
    with api(managers) as client:
        client.users.update(next(u.id for u in client.users.list() if u.email == "ann@x.co"),
                            role_id=next(r.id for r in client.roles.list() if r.name == "Boss"))
        token = client.auth.login(email="boss@x.co", password="password1").token.get_secret_value()
    at = open_app(managers, "app_pages/users.py", token=token)
    at.session_state[EDITOR] = {"edited_rows": {"0": {"role": "Agent"}}}
    save(at)
    assert "You would lose access to this page: your role would no longer have “Manage users”." in texts(at)
    assert next(b for b in at.button if b.label == "Save and lose my access").disabled
    at.text_input(key="users_typed_confirmation").input("boss@x.co").run()
    next(b for b in at.button if b.label == "Save and lose my access").click().run()
    with api(managers) as client:
        assert next(u for u in client.users.list() if u.email == "boss@x.co").role_name == "Agent"


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
    assert explain_error(raised.value) == "Your role lacks the “Manage users” capability."


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
