"""The bad-input catalogue: every form, editable table, upload and CSV import of the dashboard, fed bad input.

One table of cases. Each case drives one page through AppTest against a private sandbox, then checks:

- no traceback reached the page;
- a clear message is shown (an error, warning or info sentence, or a problems/preview table);
- for a refused input, nothing changed on the server (read back through the API) and, for the Connect
  page, the session keeps its workspace; for an input the service refuses, its reason is shown;
- for an input that is legitimately accepted (emoji, right-to-left text, injection-looking text that is a
  valid name), it was stored as typed and is shown literally: in table cells, never rendered as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard import roles_matrix
from dashboard.connection import sign_in
from tests.ui.conftest import APP, as_read, assert_clean, open_app

PASSWORD = "password-123"
ADMIN_EMAIL = "owner@x.co"
TEN_K = "x" * 10_000
RTL = "مرحبا بالعالم"
EMOJI = "Budi 🚀👩🏽‍💻"


# --- the private workspace ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """An empty workspace with an Admin and an Agent role, two inboxes, three users and two contacts."""
    with SandboxServer(seed="empty") as server:
        with api(server) as client:
            admin = client.roles.create("Admin")
            client.roles.update(admin.id, capabilities=list(roles_matrix.KNOWN_CAPABILITIES))
            agent = client.roles.create("Agent")
            sales = client.inboxes.create("Sales", color="#16a34a", description="Orders")
            client.inboxes.create("Support")
            client.users.create(name="Owner", email=ADMIN_EMAIL, password=PASSWORD, role_id=admin.id)
            for i in range(2):
                client.users.create(name=f"User {i}", email=f"user{i}@x.co", password=PASSWORD,
                                    role_id=agent.id, inbox_ids=[sales.id])
            client.contacts.create(name="Ana", phone="+6281234567890")
            client.contacts.create(name="Budi", phone="+6281234567891")
        yield server


def api(sandbox: SandboxServer) -> Client:
    return Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False)


def snapshot(sandbox: SandboxServer) -> tuple:
    """Everything the forms can change, read through the API."""
    with api(sandbox) as client:
        return (sorted((u.id, u.name, u.email, u.role_name, u.status, tuple(u.inbox_ids)) for u in client.users.list()),
                sorted((r.id, r.name, tuple(sorted(r.capabilities))) for r in client.roles.list()),
                sorted((i.id, i.name, i.color, i.description) for i in client.inboxes.list()),
                sorted((c.id, c.name, c.phone) for c in client.contacts.list()),
                sorted((w.id, w.url) for w in client.webhooks.list()))


def still_signs_in(sandbox: SandboxServer, email: str = "user1@x.co") -> bool:
    with Client.login(sandbox.api_url, email, PASSWORD) as client:
        return client.me.get().user.email == email


# --- driving the pages --------------------------------------------------------------------------------

def open_page(sandbox: SandboxServer, page: str, as_user: bool = False) -> AppTest:
    if as_user:
        return open_app(sandbox, page, token=sign_in(sandbox.api_url, ADMIN_EMAIL, PASSWORD, allow_private=True).secret)
    return open_app(sandbox, page)


def click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()


def typed(label: str, key: str | None = None) -> Callable[[AppTest], object]:
    return lambda at: next(t for t in at.text_input if t.label == label and (key is None or t.key == key))


def fill(at: AppTest, values: dict[str, str], button: str, keys: dict[str, str] | None = None) -> None:
    for label, value in values.items():
        typed(label, (keys or {}).get(label))(at).input(value)
    click(at, button)


def user_row(i: int | str, **extra) -> dict:
    return {"name": f"New {i}", "email": f"new{i}@x.co", "role": "Agent", "status": "offline", "inboxes": [],
            "password": PASSWORD, **extra}


def users_table(added=(), edited=None, deleted=()) -> Callable[[AppTest], None]:
    def act(at: AppTest) -> None:
        at.session_state["users_editor_0"] = {"edited_rows": edited or {}, "added_rows": list(added),
                                              "deleted_rows": list(deleted)}
        at.run()  # the grid is outside a form: its Save button is enabled once the page sees the edits
        click(at, "Save changes")
    return act


def roles_table(added=(), edited=None, deleted=()) -> Callable[[AppTest], None]:
    def act(at: AppTest) -> None:
        at.session_state["roles_editor_0"] = {"edited_rows": edited or {}, "added_rows": list(added),
                                              "deleted_rows": list(deleted)}
        click(at, "Save changes")
    return act


def inboxes_table(added=(), edited=None, deleted=()) -> Callable[[AppTest], None]:
    def act(at: AppTest) -> None:
        at.session_state["inboxes_editor_0"] = {"edited_rows": edited or {}, "added_rows": list(added),
                                                "deleted_rows": list(deleted)}
        click(at, "Save changes")
    return act


def inbox_row(**values) -> dict:
    return {"name": "Fresh", "color": None, "description": None, **values}


def reset_password(password: str, user: str | None = "User 1 <user1@x.co>") -> Callable[[AppTest], None]:
    def act(at: AppTest) -> None:
        if user is not None:
            next(s for s in at.selectbox if s.label == "User").select(user)
        fill(at, {"New password": password}, "Reset password")
    return act


def my_password(current: str, new: str, again: str | None = None) -> Callable[[AppTest], None]:
    def act(at: AppTest) -> None:
        fields = {"Current password": current, "New password again": new if again is None else again}
        for label, value in fields.items():
            typed(label)(at).input(value)
        next(t for t in at.text_input if t.key == "my_new_password").input(new)
        click(at, "Change my password")
    return act


def upload(content: bytes, name: str = "users.csv", mime: str = "text/csv") -> Callable[[AppTest], None]:
    def act(at: AppTest) -> None:
        at.file_uploader(key="users_csv").set_value((name, content, mime)).run()
    return act


def csv_of(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def add_contact(name: str, phone: str) -> Callable[[AppTest], None]:
    return lambda at: fill(at, {"Name": name, "Phone (E.164)": phone}, "Add contact")


def api_key(key: str, base_url: str | None = None) -> Callable[[AppTest], None]:
    def act(at: AppTest) -> None:
        next(t for t in at.text_input if t.label == "Base URL" and t.key is None).input(base_url or at.base)
        typed("API key")(at).input(key)
        click(at, "Check and connect")
    return act


def sign_in_form(email: str, password: str, base_url: str | None = None) -> Callable[[AppTest], None]:
    def act(at: AppTest) -> None:
        typed("Base URL", "sign_in_base_url")(at).input(base_url or at.base)
        fill(at, {"Email": email, "Password": password}, "Sign in")
    return act


def token_form(token: str) -> Callable[[AppTest], None]:
    def act(at: AppTest) -> None:
        typed("Base URL", "token_base_url")(at).input(at.base)
        fill(at, {"Token": token}, "Use this token")
    return act


# --- the catalogue ------------------------------------------------------------------------------------

USERS, ROLES, INBOXES = "app_pages/users.py", "app_pages/roles.py", "app_pages/inboxes.py"
CONTACTS, CONNECT = "app_pages/contacts.py", "app_pages/connect.py"
WEBHOOKS = "app_pages/webhooks.py"


def add_webhook(url: str) -> Callable[[AppTest], None]:
    return lambda at: fill(at, {"URL": url}, "Add webhook")


@dataclass
class Case:
    id: str
    page: str
    act: Callable[[AppTest], None]
    message: str  # (part of) the sentence the page shows
    accepted: Callable[[tuple], bool] | None = None  # for valid input: is it stored as typed?
    literal: str | None = None  # for valid input: shown exactly so, in a table cell
    as_user: bool = False
    server_refuses: bool = False  # the input reaches the service, which refuses it with a shown reason
    verify: Callable[[SandboxServer], bool] = field(default=lambda sandbox: True)


def has_user(name: str, email: str) -> Callable[[tuple], bool]:
    return lambda snap: any(u[1] == name and u[2] == email for u in snap[0])


def has_role(name: str) -> Callable[[tuple], bool]:
    return lambda snap: any(r[1] == name for r in snap[1])


def has_inbox(name: str, description: str | None = None) -> Callable[[tuple], bool]:
    return lambda snap: any(i[1] == name and (description is None or i[3] == description) for i in snap[2])


def has_contact(name: str) -> Callable[[tuple], bool]:
    return lambda snap: any(c[1] == name for c in snap[3])


NOT_SAVED = "Nothing was saved"
NOT_EMAIL = "is not an email address"
NO_CHANGE = "Nothing to save"
PW_MIN = "at least 8"
CONTROL = "control characters"
TOO_LONG = "at most 200"
NOT_COLOUR = "is not a colour"
NOT_E164 = "is not an E.164 number"
BASE_URL = "The base URL must"
KEY_SHAPE = "does not look like a CEOX API key"
REFUSED = "The server refused this credential"
UNREACHABLE = "could not be reached"
BAD_CSV_NAME = "unknown role"

CASES = [
    # users: rows of the editable table
    Case("users-empty-name", USERS, users_table([user_row(1, name="")]), "Name is required"),
    Case("users-whitespace-name", USERS, users_table([user_row(1, name="   \t ")]), "Name is required"),
    Case("users-10k-name", USERS, users_table([user_row(1, name=TEN_K)]), TOO_LONG),
    Case("users-control-chars-name", USERS, users_table([user_row(1, name="Ana\x00\x07\x1b[31m")]), CONTROL),
    Case("users-newline-name", USERS, users_table([user_row(1, name="Ana\r\nSet-Cookie: x=1")]), CONTROL),
    Case("users-email-no-at", USERS, users_table([user_row(1, email="plainaddress")]), NOT_EMAIL),
    Case("users-email-no-domain", USERS, users_table([user_row(1, email="ana@localhost")]), NOT_EMAIL),
    Case("users-email-space", USERS, users_table([user_row(1, email="ana maria@x.co")]), NOT_EMAIL),
    Case("users-email-two-ats", USERS, users_table([user_row(1, email="a@b@x.co")]), NOT_EMAIL),
    Case("users-email-html", USERS, users_table([user_row(1, email="<script>alert(1)</script>")]), NOT_EMAIL),
    Case("users-email-10k", USERS, users_table([user_row(1, email=TEN_K + "@x.co")]), NOT_EMAIL),
    Case("users-email-empty", USERS, users_table([user_row(1, email="")]), "Email is required"),
    Case("users-duplicate-email-rows", USERS, users_table([user_row(1), user_row(2, email="NEW1@x.co")]),
         "more than one row"),
    Case("users-duplicate-existing-email", USERS, users_table([user_row(1, email="USER0@X.CO")]),
         "more than one row"),
    Case("users-short-password", USERS, users_table([user_row(1, password="short")]), PW_MIN),
    Case("users-empty-password", USERS, users_table([user_row(1, password=None)]), PW_MIN),
    Case("users-huge-password", USERS, users_table([user_row(1, password="p" * 5000)]), "too long"),
    Case("users-no-role", USERS, users_table([user_row(1, role=None)]), "Choose a role"),
    Case("users-sql-role", USERS, users_table([user_row(1, role="Admin'; DROP TABLE users;--")]), "Choose a role"),
    Case("users-unknown-inbox", USERS, users_table([user_row(1, inboxes=["Nope"])]), "Unknown inbox"),
    Case("users-edit-name-emptied", USERS, users_table(edited={"1": {"name": ""}}), "Name is required"),
    Case("users-edit-email-invalid", USERS, users_table(edited={"1": {"email": "nope"}}), NOT_EMAIL),
    Case("users-added-row-huge-id", USERS, users_table([user_row(1, id=10**12, email="")]), "Email is required"),
    Case("users-added-row-with-id", USERS, users_table([user_row(1, id=-7, name="")]), "Name is required"),
    Case("users-emoji-name", USERS, users_table([user_row("emoji", name=EMOJI)]), "saved",
         accepted=has_user(EMOJI, "newemoji@x.co"), literal=EMOJI),
    Case("users-rtl-name", USERS, users_table([user_row("rtl", name=RTL)]), "saved",
         accepted=has_user(RTL, "newrtl@x.co"), literal=RTL),
    Case("users-markdown-name", USERS, users_table([user_row("md", name="**Bold** [x](javascript:alert(1))")]),
         "saved", accepted=has_user("**Bold** [x](javascript:alert(1))", "newmd@x.co"),
         literal="**Bold** [x](javascript:alert(1))"),
    Case("users-html-name", USERS, users_table([user_row("html", name="<img src=x onerror=alert(1)>")]),
         "saved", accepted=has_user("<img src=x onerror=alert(1)>", "newhtml@x.co"),
         literal="<img src=x onerror=alert(1)>"),
    Case("users-sql-name", USERS, users_table([user_row("sql", name="Robert'); DROP TABLE users;--")]),
         "saved", accepted=has_user("Robert'); DROP TABLE users;--", "newsql@x.co"),
         literal="Robert'); DROP TABLE users;--"),
    # users: reset a user's password, and change my own
    Case("reset-no-user", USERS, reset_password(PASSWORD + "x", user=None), "Choose a user"),
    Case("reset-empty", USERS, reset_password(""), PW_MIN, verify=still_signs_in),
    Case("reset-short", USERS, reset_password("1234567"), PW_MIN, verify=still_signs_in),
    Case("reset-seven-spaces", USERS, reset_password(" " * 7), PW_MIN, verify=still_signs_in),
    Case("my-password-differ", USERS, my_password(PASSWORD, "new-password-1", "new-password-2"), "differ",
         as_user=True, verify=lambda s: still_signs_in(s, ADMIN_EMAIL)),
    Case("my-password-no-current", USERS, my_password("", "new-password-1"), "current password", as_user=True),
    Case("my-password-short", USERS, my_password(PASSWORD, "short"), PW_MIN, as_user=True),
    Case("my-password-wrong-current", USERS, my_password("wrong-password", "new-password-1"),
         "Your password was not changed", as_user=True, server_refuses=True,
         verify=lambda s: still_signs_in(s, ADMIN_EMAIL)),
    # users: CSV import
    Case("csv-empty-file", USERS, upload(b""), "has no name, email, role column"),
    Case("csv-header-only", USERS, upload(csv_of("name,email,role")), "no rows"),
    Case("csv-missing-columns", USERS, upload(csv_of("full name,mail", "Ana,ana@x.co")), "has no name, email"),
    Case("csv-not-utf8", USERS, upload("name,email,role\nJosé,jose@x.co,Agent\n".encode("latin-1")), "not UTF-8"),
    Case("csv-png-labelled-csv", USERS, upload(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
         "not"),
    Case("csv-zip-labelled-csv", USERS, upload(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 64,
                                               mime="application/vnd.ms-excel"), "not"),
    Case("csv-too-many-rows", USERS,
         upload(csv_of("name,email,role,password", *(f"U{i},u{i}@x.co,Agent,{PASSWORD}" for i in range(5001)))),
         "more than 5,000 rows"),
    Case("csv-oversized", USERS, upload(csv_of("name,email,role", *(f"{'n' * 400},a{i}@x.co,Agent"
                                                                   for i in range(3000)))), "larger than"),
    Case("csv-bad-rows", USERS, upload(csv_of("name,email,role,password", ",nope,Agent,short",
                                              f"Ana,ana@x.co,Wizard,{PASSWORD}")), "invalid"),
    Case("csv-unclosed-quote", USERS, upload(csv_of("name,email,role", '"Ana,ana@x.co,Agent')), "invalid"),
    Case("csv-duplicate-emails", USERS, upload(csv_of("name,email,role,password", f"A,dup@x.co,Agent,{PASSWORD}",
                                                      f"B,DUP@x.co,Agent,{PASSWORD}")), "several rows"),
    Case("csv-formula-injection", USERS, upload(csv_of("name,email,role,password",
                                                       f"=HYPERLINK(\"http://evil\"),evil@x.co,Agent,{PASSWORD}")),
         "1 create"),
    Case("csv-control-chars", USERS, upload(csv_of("name,email,role,password", f"Ana\x07,ana@x.co,Agent,{PASSWORD}")),
         CONTROL),
    # roles: rows of the matrix
    Case("roles-empty-name", ROLES, roles_table([{"name": "", "chats.send": True}]), "required"),
    Case("roles-10k-name", ROLES, roles_table([{"name": TEN_K}]), TOO_LONG),
    Case("roles-control-name", ROLES, roles_table([{"name": "Lead\x1b[2J"}]), CONTROL),
    Case("roles-duplicate-existing", ROLES, roles_table([{"name": "agent"}]), "Another row has this name"),
    Case("roles-duplicate-rows", ROLES, roles_table([{"name": "Lead"}, {"name": "LEAD "}]), "Another row"),
    Case("roles-rename-to-existing", ROLES, roles_table(edited={"1": {"name": "ADMIN"}}), "Another row"),
    Case("roles-edit-disabled-id", ROLES, roles_table(edited={"0": {"id": -1}, "1": {"id": 10**12}}), NO_CHANGE),
    Case("roles-emoji-name", ROLES, roles_table([{"name": "Lead 🚀"}]), "saved",
         accepted=has_role("Lead 🚀"), literal="Lead 🚀"),
    Case("roles-rtl-name", ROLES, roles_table([{"name": RTL}]), "saved", accepted=has_role(RTL), literal=RTL),
    # inboxes: rows of the table, colours and descriptions
    Case("inboxes-empty-name", INBOXES, inboxes_table([inbox_row(name="", color="#16a34a")]), "Name is required"),
    Case("inboxes-10k-name", INBOXES, inboxes_table([inbox_row(name=TEN_K)]), TOO_LONG),
    Case("inboxes-duplicate-name", INBOXES, inboxes_table([inbox_row(name="sales")]), "Another row has this name"),
    Case("inboxes-colour-word", INBOXES, inboxes_table([inbox_row(color="red")]), NOT_COLOUR),
    Case("inboxes-colour-short", INBOXES, inboxes_table([inbox_row(color="#12345")]), NOT_COLOUR),
    Case("inboxes-colour-not-hex", INBOXES, inboxes_table([inbox_row(color="#GGGGGG")]), NOT_COLOUR),
    Case("inboxes-colour-css-injection", INBOXES,
         inboxes_table(edited={"0": {"color": "#000000;background:url(javascript:alert(1))"}}), NOT_COLOUR),
    Case("inboxes-colour-svg-injection", INBOXES, inboxes_table(edited={"0": {"color": '"/><script>x</script>'}}),
         NOT_COLOUR),
    Case("inboxes-description-10k", INBOXES, inboxes_table(edited={"0": {"description": TEN_K}}), "too long"),
    Case("inboxes-description-control", INBOXES, inboxes_table(edited={"0": {"description": "a\x00b"}}), CONTROL),
    Case("inboxes-edit-disabled-id", INBOXES, inboxes_table(edited={"0": {"id": -1}, "1": {"id": 2**53}}),
         NO_CHANGE),
    Case("inboxes-markdown-description", INBOXES,
         inboxes_table([inbox_row(name="VIP 🚀", description="# Title <b>x</b> [link](http://evil.example)")]),
         "saved", accepted=has_inbox("VIP 🚀", "# Title <b>x</b> [link](http://evil.example)"),
         literal="VIP 🚀"),
    Case("inboxes-rtl-name", INBOXES, inboxes_table([inbox_row(name=RTL, color="#9333ea")]), "saved",
         accepted=has_inbox(RTL), literal=RTL),
    # contacts: the add form
    # webhooks: the add form
    Case("webhooks-empty-url", WEBHOOKS, add_webhook(""), "URL is required"),
    Case("webhooks-ftp-url", WEBHOOKS, add_webhook("ftp://example.com/hook"), "must start with http"),
    Case("webhooks-javascript-url", WEBHOOKS, add_webhook("javascript:alert(1)"), "must start with http"),
    Case("webhooks-credentials-in-url", WEBHOOKS, add_webhook("https://user:secret@example.com/h"),
         "user name or password"),
    Case("webhooks-plain-http-remote", WEBHOOKS, add_webhook("http://example.com/hook"), "Use https://"),
    Case("webhooks-space-in-url", WEBHOOKS, add_webhook("https://example.com/a b"), "without spaces"),
    Case("webhooks-bad-port", WEBHOOKS, add_webhook("https://example.com:99999/h"), "is not a valid URL"),
    Case("webhooks-markdown-url", WEBHOOKS, add_webhook("[click](https://evil.example)"), "must start with http"),
    Case("contacts-empty", CONTACTS, add_contact("", ""), "Name is required"),
    Case("contacts-empty-phone", CONTACTS, add_contact("Ana", ""), "Phone is required"),
    Case("contacts-10k-name", CONTACTS, add_contact(TEN_K, "+6281200000001"), "Name is required"),
    Case("contacts-control-name", CONTACTS, add_contact("Ana\x08\x08", "+6281200000001"), CONTROL),
    Case("contacts-phone-no-plus", CONTACTS, add_contact("Ana", "081234567890"), NOT_E164),
    Case("contacts-phone-letters", CONTACTS, add_contact("Ana", "+62812ABCDEF"), NOT_E164),
    Case("contacts-phone-too-long", CONTACTS, add_contact("Ana", "+1234567890123456"), NOT_E164),
    Case("contacts-phone-leading-zero", CONTACTS, add_contact("Ana", "+0812345678"), NOT_E164),
    Case("contacts-phone-sql", CONTACTS, add_contact("Ana", "+62' OR '1'='1"), NOT_E164),
    Case("contacts-phone-html", CONTACTS, add_contact("Ana", "<b>+6281</b>"), NOT_E164),
    Case("contacts-phone-negative", CONTACTS, add_contact("Ana", "-6281234567890"), NOT_E164),
    Case("contacts-rtl-emoji-name", CONTACTS, add_contact(RTL + " 🌙", "+6281200000009"), "Added contact",
         accepted=has_contact(RTL + " 🌙"), literal=RTL + " 🌙"),
    # connect: API key, base URL, sign-in, token
    Case("connect-key-empty", CONNECT, api_key(""), "Paste the API key"),
    Case("connect-key-bearer", CONNECT, api_key("Bearer ceox_0123456789abcdef"), "without “Bearer”"),
    Case("connect-key-wrong-shape", CONNECT, api_key("sk-live-0123456789"), KEY_SHAPE),
    Case("connect-key-space", CONNECT, api_key("ceox_0123 456789"), KEY_SHAPE),
    Case("connect-key-emoji", CONNECT, api_key("ceox_🔑🔑🔑🔑🔑🔑"), KEY_SHAPE),
    Case("connect-key-revoked", CONNECT, api_key("ceox_" + "0" * 40), REFUSED, server_refuses=True),
    # The field takes at most 300 characters: a longer paste never reaches the check.
    Case("connect-key-10k", CONNECT, api_key("ceox_" + TEN_K), "Paste the API key"),
    Case("connect-url-javascript", CONNECT, api_key("ceox_" + "0" * 40, "javascript:alert(1)"), BASE_URL),
    Case("connect-url-ftp", CONNECT, api_key("ceox_" + "0" * 40, "ftp://files.example.com/api/v1"), BASE_URL),
    Case("connect-url-words", CONNECT, api_key("ceox_" + "0" * 40, "not a url"), BASE_URL),
    Case("connect-url-userinfo", CONNECT, api_key("ceox_" + "0" * 40, "http://admin:pw@127.0.0.1:1/api/v1"),
         "plain address"),
    Case("connect-url-query", CONNECT, api_key("ceox_" + "0" * 40, "https://api.example.com/api/v1?x=<script>"),
         "plain address"),
    Case("connect-url-unreachable", CONNECT, api_key("ceox_" + "0" * 40, "http://127.0.0.1:9/api/v1"), UNREACHABLE,
         server_refuses=True),
    Case("connect-url-long-host", CONNECT, api_key("ceox_" + "0" * 40, "https://" + "a" * 280 + ".example"),
         "could not be found", server_refuses=True),
    Case("sign-in-empty", CONNECT, sign_in_form("", ""), "Enter your email and password"),
    Case("sign-in-wrong-password", CONNECT, sign_in_form(ADMIN_EMAIL, "wrong-password"), "Wrong email or password",
         server_refuses=True),
    Case("sign-in-sql-email", CONNECT, sign_in_form("' OR 1=1 --", "' OR '1'='1"), "Wrong email or password",
         server_refuses=True),
    Case("sign-in-bad-url", CONNECT, sign_in_form(ADMIN_EMAIL, PASSWORD, "file:///etc/passwd"), BASE_URL),
    Case("token-empty", CONNECT, token_form("   "), "Paste the token"),
    Case("token-garbage", CONNECT, token_form("eyJhbGciOiJub25lIn0.e30." + "A" * 4000), REFUSED,
         server_refuses=True),
]


def shown_text(at: AppTest) -> str:
    """Every sentence and table cell on the page, to look for the case's message."""
    parts = [as_read(e.value) for kind in (at.error, at.warning, at.info, at.success) for e in kind]
    parts += [e.value for e in at.exception] + [as_read(m.value) for m in at.markdown]
    parts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(str(p) for p in parts)


def cells(at: AppTest) -> list[str]:
    return [str(v) for frame in at.dataframe for v in frame.value.astype(str).to_numpy().ravel()]


def test_the_catalogue_has_at_least_60_bad_inputs():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    print(f"bad-input catalogue: {len(CASES)} cases")
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(sandbox, case: Case):
    at = open_page(sandbox, case.page, case.as_user)
    assert_clean(at)
    at.base = sandbox.api_url
    identity = at.session_state["workspace"].identity
    before = snapshot(sandbox)
    case.act(at)
    assert_clean(at)
    after = snapshot(sandbox)
    messages = [e.value for kind in (at.error, at.warning, at.info, at.success) for e in kind]
    assert messages, "no message at all"
    assert case.message.lower() in shown_text(at).lower(), (case.message, messages)
    if case.accepted is not None:
        assert case.accepted(after), "the valid input was not stored as typed"
        assert case.literal in cells(at), "the stored value is not shown literally in the table"
        assert not any(case.literal in m.value for m in at.markdown), "the value went through Markdown"
        return
    assert after == before, "a refused input changed the workspace"
    assert case.verify(sandbox)
    if case.server_refuses:
        assert at.error, "the service's refusal is shown"
    if case.page == CONNECT:
        assert at.session_state["workspace"].identity == identity  # the session kept its workspace
        assert at.error, "the Connect page shows why"
    else:
        assert not at.main.success, "a refused input reported success"


def test_change_my_password_reaches_the_service(sandbox):
    """A valid change of one's own password works (the form called the client wrongly before)."""
    with api(sandbox) as client:
        admin = next(r for r in client.roles.list() if r.name == "Admin")
        client.users.create(name="Second", email="second@x.co", password=PASSWORD, role_id=admin.id)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["workspace"] = sign_in(sandbox.api_url, "second@x.co", PASSWORD, allow_private=True)
    at.switch_page(USERS)
    at.run()
    my_password(PASSWORD, "brand-new-pass-1")(at)
    assert_clean(at)
    assert any("Your password was changed" in s.value for s in at.success)
    with Client.login(sandbox.api_url, "second@x.co", "brand-new-pass-1") as client:
        assert client.me.get().user.email == "second@x.co"


@pytest.mark.parametrize("edited", [{"1": {"status": "busy"}}, {"-1": {"name": "Ghost"}},
                                    {"1": {"id": -1}, "2": {"id": 10**12}}],
                         ids=["read-only-status", "negative-row", "disabled-id"])
def test_edits_the_users_grid_cannot_make_leave_nothing_to_save(sandbox, edited):
    """Presence and ids are read-only and a row that does not exist is no row: such an edit plans nothing,
    so Save stays disabled (never "Nothing to save" beside pending work) and the workspace is unchanged."""
    at = open_page(sandbox, USERS)
    before = snapshot(sandbox)
    at.session_state["users_editor_0"] = {"edited_rows": edited, "added_rows": [], "deleted_rows": []}
    at.run()
    assert_clean(at)
    assert next(b for b in at.button if b.label == "Save changes").disabled
    assert snapshot(sandbox) == before
