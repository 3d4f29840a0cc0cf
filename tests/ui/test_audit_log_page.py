"""The Audit log page: who, what, before → after, in the display timezone; filters by who and what."""

from __future__ import annotations

import re

import pandas as pd

from ceox_api import Client
from dashboard import audit, preferences
from dashboard.analytics.settings import AnalyticsSettings
from tests.ui.conftest import assert_clean, open_app

PAGE = "app_pages/audit_log.py"


def test_an_edit_shows_who_before_after_and_its_time_in_the_workspace_zone(empty_sandbox):
    with Client(empty_sandbox.api_url, api_key=empty_sandbox.api_key) as client:
        role = client.roles.create(name="Agent")
        client.users.create(name="Ana", email="ana@x.co", password="password1", role_id=role.id)
    at = open_app(empty_sandbox, "app_pages/users.py")
    workspace = at.session_state["workspace"]
    preferences.save_analytics_settings(workspace.workspace_id, AnalyticsSettings(timezone="Asia/Jakarta"))
    at.session_state["users_editor_0"] = {"edited_rows": {"0": {"name": "Ana Maria"}}}
    at.run()
    next(b for b in at.button if b.label == "Save changes").click().run()
    audit.record(workspace, "role.update", "Other", "ok", "Name: A → B")  # another action, to filter out
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert any(c.value.startswith("Times are in Asia/Jakarta.") for c in at.caption)
    table = at.dataframe[0].value
    row = table[table["action"] == "user.update"].iloc[0]
    assert (row["actor"], row["target"], row["detail"], row["outcome"]) == (
        "API key “default”", "ana@x.co", "Name: Ana → Ana Maria", "saved")
    # The stored UTC time, shown 7 hours later in Jakarta.
    stored = next(e["time"] for e in audit.entries(workspace) if e["action"] == "user.update")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stored)
    utc = row["time"] - pd.Timedelta(hours=7)
    assert utc.strftime("%Y-%m-%dT%H:%M:%SZ") == stored
    at.multiselect[1].set_value(["user.update"]).run()
    assert at.dataframe[0].value["action"].tolist() == ["user.update"]
    assert any(c.value == "1 entry" for c in at.caption)
