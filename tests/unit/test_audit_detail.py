"""The audit log's who and what: the actor by key name or last four characters, before → after in words."""

from __future__ import annotations

from dataclasses import replace

from ceox_api import Credential
from ceox_api.models import Me, User
from dashboard.audit import actor_of, difference
from dashboard.connection import Workspace

KEY = "ceox_0123456789abcdefWXYZ"
WORKSPACE = Workspace("http://127.0.0.1:1/api/v1", Credential("api_key", KEY), "browser", Me(kind="api_key"))


def test_an_api_key_is_named_by_its_name_else_by_its_last_four_characters():
    assert actor_of(WORKSPACE, "CRM integration") == "API key “CRM integration”"
    assert actor_of(WORKSPACE) == "API key ending …WXYZ"
    user = User(id=7, name="Budi", email="budi@x.co", role_id=1)
    signed_in = replace(WORKSPACE, credential=Credential("token", "eyJ.a.b"), me=Me(kind="user", user=user))
    assert actor_of(signed_in, "ignored") == "Budi <budi@x.co>"


def test_difference_reads_before_and_after():
    labels = {"name": "Name", "role": "Role", "inboxes": "Inboxes", "description": "Description"}
    before = {"name": "Ana", "role": "Agent", "inboxes": ["Sales"], "description": None, "password": "x"}
    after = {"role": "Lead", "inboxes": ["Support", "VIP"], "description": "VIP desk", "password": "secret-1"}
    assert difference(before, after, labels) == (
        "Role: Agent → Lead · Inboxes: added Support, VIP; removed Sales · Description: — → VIP desk")
    assert difference(None, {"name": "Ana", "inboxes": [], "password": "secret-1"}, labels) == "Name: Ana · Inboxes: —"
    assert difference(before, {"name": "Ana"}, labels) == ""
