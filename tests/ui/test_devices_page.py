"""The Devices page through AppTest: live states, disconnected devices standing out, recorded history."""

from __future__ import annotations

import re
from functools import partial

import pytest
from streamlit.testing.v1 import AppTest

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard import device_history
from dashboard.connection import connect
from tests.ui.conftest import assert_clean, open_app

PAGE = "app_pages/devices.py"


page_app = partial(open_app, page=PAGE, run=False)  # set on this page before its first run


@pytest.fixture
def own_demo():
    """A demo workspace of this test's own, whose devices may change state."""
    with SandboxServer(seed="demo") as server:
        yield server


def set_status(sandbox, device_id, status):
    # The API has no way to (dis)connect a phone; the sandbox's store stands in for WhatsApp here.
    with sandbox.state.store.tx() as db:
        db.execute("UPDATE devices SET status = ? WHERE id = ?", (status, device_id))


def frames(at):
    return [d.value for d in at.dataframe]


def test_devices_show_state_inbox_and_last_seen_with_disconnected_ones_standing_out(demo_sandbox):
    at = page_app(demo_sandbox).run()
    assert_clean(at)
    table = max((f for f in frames(at) if "state" in f.columns), key=len)
    by_name = dict(zip(table["name"], table["state"], strict=True))
    assert by_name["Billing & Finance"] == "● disconnected" and by_name["CS Sales Jakarta"] == "● connected"
    assert dict(zip(table["name"], table["inbox"], strict=True))["VIP Concierge"] == "VIP"
    billing = table[table["name"] == "Billing & Finance"].iloc[0]
    assert billing["last_seen"].endswith("h ago") and "day" in billing["last_seen"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", billing["last_seen_at"])  # the one format, zone named once
    assert any(c.value.startswith("Times are in UTC.") for c in at.caption)
    assert any("1 of 4 devices is disconnected" in w.value for w in at.warning)
    listed = next(f for f in frames(at) if list(f.columns[:1]) == ["id"] and len(f) == 1)
    assert listed["name"].tolist() == ["Billing & Finance"]
    # First sight of each device is in the history; the first device's is shown.
    history = next(f for f in frames(at) if list(f.columns) == ["time", "status", "connected"])
    assert history["status"].tolist() == ["● connected"]
    assert at.get("vega_lite_chart")


def test_a_state_change_is_recorded_and_shown_newest_first(own_demo):
    at = page_app(own_demo).run()
    set_status(own_demo, 3, "connected")
    at.run()  # what the 20-second refresh does
    assert_clean(at)
    assert any("All 4 devices are connected" in s.value for s in at.success)
    at.selectbox(key="device_history_choice").select_index(2).run()
    assert_clean(at)
    history = next(f for f in frames(at) if list(f.columns) == ["time", "status", "connected"])
    assert history["status"].tolist() == ["● connected", "● disconnected"]
    set_status(own_demo, 3, "disconnected")
    at.run()
    history = next(f for f in frames(at) if list(f.columns) == ["time", "status", "connected"])
    assert history["status"].tolist() == ["● disconnected", "● connected", "● disconnected"]
    workspace_id = at.session_state["workspace"].workspace_id
    assert len(device_history.history(workspace_id)) == 4 + 2


def sidebar_only():
    from ui import session, sidebar

    sidebar.show(session.current())


def test_the_sidebar_health_check_records_too(own_demo):
    # Only the sidebar: AppTest runs a switched-to page's file on its own, without app.py and its sidebar.
    at = AppTest.from_function(sidebar_only, default_timeout=60)
    at.session_state["workspace"] = connect(own_demo.api_url, api_key=own_demo.api_key, source="demo")
    at.run()
    assert_clean(at)
    assert any("3 of 4 devices connected" in s.value for s in at.sidebar.success)
    recorded = device_history.history(at.session_state["workspace"].workspace_id)
    assert sorted((r["device_id"], r["status"]) for r in recorded) == [
        (1, "connected"), (2, "connected"), (3, "disconnected"), (4, "connected")]


def test_api_error_is_a_sentence_not_a_traceback(demo_sandbox):
    at = page_app(demo_sandbox)
    with Client(demo_sandbox.api_url, api_key=demo_sandbox.api_key) as client:
        client.sandbox.set_faults(error_rate=1.0)
        try:
            at.run()
        finally:
            client.sandbox.clear_faults()
    assert_clean(at)
    assert any("service failed" in e.value for e in at.error)
