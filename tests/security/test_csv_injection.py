"""Finding 5: CSV formula injection. Every CSV the dashboard offers escapes every text cell that a
spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return).

The pages run in AppTest against a sandbox holding hostile names; the files they offer are taken from
Streamlit's media manager as the browser would download them, parsed with the csv module and checked
cell by cell. The export functions also get the whole catalogue, including the tab and carriage
return that the sandbox strips from names but a real service may not.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard import audit, users_import
from dashboard.analytics import cycles_csv, series_csv
from dashboard.users_table import users_frame
from tests.analytics.helpers import Workspace as AnalyticsWorkspace
from tests.ui.conftest import assert_clean, open_app

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://evil.example","x")'
CATALOGUE = (HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0")
KEPT_BY_THE_SANDBOX = (HYPERLINK, "+1+1", "-2+3", "@SUM(A1)")  # it strips leading tabs and returns


def cells(data: bytes | str) -> list[str]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def assert_no_formula(found: list[str], *expected: str) -> None:
    """No cell would run as a formula, and each `expected` hostile value is there, escaped (its line
    breaks as line feeds: a lone carriage return would end the row in a spreadsheet)."""
    risky = [c for c in found if c.startswith(FORMULA_START)]
    assert risky == [], risky
    missing = [value for value in expected if "'" + value.replace("\r", "\n") not in found]
    assert missing == [], missing


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "ceox-data"))
    monkeypatch.delenv("CEOX_API_KEY", raising=False)
    monkeypatch.delenv("CEOX_BASE_URL", raising=False)


@pytest.fixture
def downloads(monkeypatch) -> dict[str, Callable[[], bytes | str]]:
    """File name → the bytes a download button serves (a callable for deferred ones, run on demand)."""
    offered: dict[str, Callable[[], bytes | str]] = {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def spy_add(self, path_or_data, mimetype, coordinates, file_name=None, *args, **kwargs):
        offered[str(file_name)] = lambda: path_or_data
        return add(self, path_or_data, mimetype, coordinates, file_name, *args, **kwargs)

    def spy_add_deferred(self, data_callable, mimetype, coordinates, file_name=None, *args, **kwargs):
        offered[str(file_name)] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", spy_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", spy_add_deferred)
    return offered


@pytest.fixture(scope="module")
def hostile_sandbox() -> Iterator[SandboxServer]:
    """Users, a device and contacts named with the catalogue, in an empty sandbox."""
    with SandboxServer(seed="empty") as sandbox:
        with sandbox.state.store.tx() as db:  # devices are paired on a phone, not created through the API
            db.execute("INSERT INTO devices (id, name, phone, wa_jid, status) VALUES"
                       " (1, ?, '+6281110001001', '6281110001001@s.whatsapp.net', 'connected')", (HYPERLINK,))
        with Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False) as client:
            role = client.roles.create("@SUM(A1)")
            for number, name in enumerate(KEPT_BY_THE_SANDBOX):
                client.users.create(name=name, email=f"-user{number}@x.io", password="longenough", role_id=role.id)
                conversation = client.sandbox.inbound(device_id=1, from_=f"+62812345678{number}", name=name,
                                                      body="hi").conversation_id
                client.conversations.send(conversation, body="hello")
        yield sandbox


def test_the_users_page_export(hostile_sandbox, downloads):
    at = open_app(hostile_sandbox, "app_pages/users.py")
    assert_clean(at)
    assert_no_formula(cells(downloads["users.csv"]()), *KEPT_BY_THE_SANDBOX, "-user0@x.io")


def test_the_users_export_escapes_the_whole_catalogue_and_reads_its_own_file_back(hostile_sandbox):
    with Client(hostile_sandbox.api_url, api_key=hostile_sandbox.api_key, use_env=False) as client:
        roles, inboxes = client.roles.list(), client.inboxes.list()
        server = users_frame(client.users.list(), roles, inboxes)
    assert_no_formula(cells(users_import.to_csv(server)), *KEPT_BY_THE_SANDBOX)
    # Export, then import the file unchanged: the apostrophes come off again, so nothing would change.
    preview, changes, problem = users_import.plan_import(users_import.to_csv(server), server, roles, inboxes)
    assert problem is None and changes == [] and set(preview["action"]) == {"unchanged"}
    rows = len(CATALOGUE)
    every_cell = server.head(1).loc[[server.index[0]] * rows].reset_index(drop=True).assign(
        name=list(CATALOGUE), email=list(CATALOGUE), role=list(CATALOGUE), status=list(CATALOGUE),
        inboxes=[[value] for value in CATALOGUE])
    assert_no_formula(cells(users_import.to_csv(every_cell)), *CATALOGUE)


def test_the_audit_log_export(hostile_sandbox, downloads):
    at = open_app(hostile_sandbox, "app_pages/audit_log.py")
    workspace = at.session_state["workspace"]
    for value in CATALOGUE:  # what a failed save records: the row's label and the service's message
        audit.record(workspace, "user.update", value, value, value)
    at.run()
    assert_clean(at)
    assert_no_formula(cells(downloads["ceox-audit-log.csv"]()), *CATALOGUE)


def test_the_analytics_page_exports(hostile_sandbox, downloads):
    at = open_app(hostile_sandbox, "app_pages/analytics.py")
    at.session_state["analytics_tab"] = "Export"  # tabs run lazily: only the chosen one renders
    at.run()
    assert_clean(at)
    exports = {name: make for name, make in downloads.items() if name.endswith(".csv")}
    # The file names carry the rules (zone, replies counted, duration mode): find each by its ending.
    [cycles_name] = [name for name in exports if name.endswith("_cycles.csv")]
    assert any(name.endswith("_day-series.csv") for name in exports)
    assert_no_formula(cells(exports.pop(cycles_name)()), *KEPT_BY_THE_SANDBOX)
    for make in exports.values():
        assert_no_formula(cells(make()))


def test_the_analytics_exports_escape_every_text_column():
    ws = AnalyticsWorkspace()
    for number, value in enumerate(CATALOGUE, start=1):
        ws.add(number, ("2026-06-01 08:00", "in"), ("2026-06-01 08:05", "out", 7), contact_name=value)
        ws.conversations[-1].update(device_name=value, contact_phone=value)
    data = ws.build()
    assert_no_formula(cells(cycles_csv(data)), *CATALOGUE)
    assert_no_formula(cells(series_csv(data)))
