"""CSV import of users: every row validated and previewed before anything is applied."""

from __future__ import annotations

import pytest

from ceox_api import Client
from dashboard.users_import import plan_import, to_csv
from dashboard.users_table import users_frame


@pytest.fixture
def directory(demo_sandbox):
    with Client(demo_sandbox.api_url, api_key=demo_sandbox.api_key) as client:
        roles, inboxes = client.roles.list(), client.inboxes.list()
        server = users_frame(client.users.list(), roles, inboxes)
    return server, roles, inboxes


def test_export_then_import_is_unchanged(directory):
    server, roles, inboxes = directory
    preview, changes, problem = plan_import(to_csv(server), server, roles, inboxes)
    assert problem is None and changes == []
    assert set(preview["action"]) == {"unchanged"}
    assert len(preview) == len(server)
    assert b"password" not in to_csv(server)


def test_preview_sorts_rows_into_create_update_unchanged_invalid(directory):
    server, roles, inboxes = directory
    csv = (
        b"name,email,role,status,inboxes,password\n"
        b"New Person,new.person@demo.ceox.local,Agent,,Sales;Support,longenough\n"
        b"Budi Santoso,AGENT@demo.ceox.local,Supervisor,online,Sales,\n"
        b"Rina Wijaya,admin@demo.ceox.local,Admin,online,,\n"
        b"No Password,nopw@demo.ceox.local,Agent,,,short\n"
        b",noname@demo.ceox.local,Agent,,,longenough\n"
        b"Bad Role,badrole@demo.ceox.local,Wizard,,,longenough\n"
        b"Bad Inbox,badinbox@demo.ceox.local,Agent,,Nowhere,longenough\n"
        b"Twice,twice@demo.ceox.local,Agent,,,longenough\n"
        b"Twice again,twice@demo.ceox.local,Agent,,,longenough\n"
        b"Bad status,badstatus@demo.ceox.local,Agent,asleep,,longenough\n"
        b"<img src=x onerror=alert(1)>,not-an-email,Agent,,,longenough\n"
    )
    preview, changes, problem = plan_import(csv, server, roles, inboxes)
    assert problem is None
    assert preview["action"].tolist() == ["create", "update", "unchanged"] + ["invalid"] * 8
    assert [(c.kind, c.label) for c in changes] == [("create", "new.person@demo.ceox.local"),
                                                     ("update", "AGENT@demo.ceox.local")]
    assert changes[1].fields == {"role": "Supervisor"}
    details = preview["details"].tolist()
    assert "at least 8" in details[3] and "required" in details[4] and "Wizard" in details[5]
    assert "Nowhere" in details[6] and "several rows" in details[7] and "online, idle" in details[9]


@pytest.mark.parametrize("data, message", [
    (b"", "no name, email, role column"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (b"name,email\nA,a@x.co\n", "no role column"),
    (b"name,email,role\n", "no rows"),
    (b"PK\x03\x04\x00\x00binary", "not"),
])
def test_bad_files_are_refused_whole(directory, data, message):
    server, roles, inboxes = directory
    _, changes, problem = plan_import(data, server, roles, inboxes)
    assert changes == [] and message in problem
