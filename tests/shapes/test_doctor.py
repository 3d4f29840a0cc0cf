"""The connection doctor on every variant of the shape-changing server, on the demo, read-only, with
nothing personal or secret in its report; its command line and its section on the Connect page."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from ceox_api import Client
from ceox_api.doctor import diagnose
from ceox_sandbox.server import SandboxServer
from dashboard.connection import connect
from dashboard.doctor import ALL_THERE, DoctorReport, assess, check
from tests.shapes.proxy import DROPPED, PAGED_VARIANTS, VARIANTS, ShapeProxy
from tests.ui.conftest import APP, as_read, assert_clean

ROOT = Path(__file__).resolve().parents[2]
# How each variant spells what the doctor describes, as tests/shapes/proxy.py makes it.
KEY_CASE = {"camel_case": "camelCase", "pascal_case": "PascalCase"}
WRAPPER = {"data_envelope": "list under “data”", "items_envelope": "list under “items”",
           "cursor_pages": "list under “data”", "laravel_pages": "list under “data”"}
TIMES = {"epoch_times": ("epoch seconds",), "offset_times": ("ISO 8601 with offset",)}
NEVER = {"go_zero_times": "Go zero time", "empty_string_times": "empty text", "omitempty": "omitted", "plain": "null"}
PAGING = {"cursor_pages": "cursor", "link_pages": "Link header", "laravel_pages": "next-page address"}


def _report(url: str, **credential: str) -> DoctorReport:
    return assess(diagnose(partial(Client, url, use_env=False, **credential)))


@pytest.fixture(scope="module")
def truth(small_sandbox: SandboxServer) -> dict[str, int]:
    """How many items each list holds, read straight from the sandbox."""
    with Client(small_sandbox.api_url, api_key=small_sandbox.api_key, use_env=False) as client:
        return {"conversations": len(client.conversations.list(status="all")), "contacts": len(client.contacts.list()),
                "users": len(client.users.list()), "roles": len(client.roles.list())}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_doctor_describes_each_variant(variant: str, shape_proxy: ShapeProxy, small_sandbox: SandboxServer,
                                           truth: dict[str, int]) -> None:
    shape_proxy.variant = variant
    report = _report(shape_proxy.api_url, api_key=small_sandbox.api_key)
    diagnosis = report.diagnosis
    assert all(p.checked for p in diagnosis.probes)  # an API key may use every endpoint
    markdown = report.to_markdown()
    assert "<" not in markdown and "<" not in report.to_json()  # no HTML from a gateway page

    if variant == "html_gateway":
        status = diagnosis.probe("wa_status")
        assert (status.ok, status.status) == (False, 502)
        assert report.summary == ["Devices and the sidebar cannot show device connection state: the service's "
                                  "gateway answered 502 with a web page instead of an API answer."]
        return
    if variant == "dropped_fields":
        assert "Analytics will lack reply attribution: messages have no sender." in report.summary
        assert "Analytics will lack resolution times and solved counts: conversations have no solved time." \
            in report.summary
        assert {i.field for i in report.impacts} == set(DROPPED)
        assert "sender_user_id" in diagnosis.probe("messages").missing
    else:
        assert report.summary == [ALL_THERE], report.summary
        assert diagnosis.healthy

    conversations = diagnosis.probe("conversations").shape
    assert conversations is not None and conversations.complete
    for key, count in truth.items():
        assert diagnosis.probe(key).shape.items == count, key
    assert conversations.key_case == KEY_CASE.get(variant, "snake_case")
    assert conversations.wrapper == WRAPPER.get(variant, "bare list")
    assert diagnosis.probe("me").shape.wrapper == ("object under “data”" if variant == "data_envelope" else "object")
    assert conversations.id_format == ("text" if variant == "string_ids" else "numbers")
    assert conversations.time_formats == TIMES.get(variant, ("ISO 8601 UTC (Z)",))
    if variant in NEVER:
        assert NEVER[variant] in conversations.never_as, conversations.never_as
    assert any(p.shape.null_lists for p in diagnosis.probes if p.shape) == (variant == "null_lists")
    assert conversations.paging == PAGING.get(variant, "none")
    assert (conversations.pages > 1) == (variant in PAGED_VARIANTS)
    assert (diagnosis.probe("conversations").extra_fields > 0) == (variant == "extra_fields")


def test_the_doctor_on_the_demo(demo_sandbox: SandboxServer) -> None:
    report = _report(demo_sandbox.api_url, api_key=demo_sandbox.api_key)
    assert report.summary == [ALL_THERE]
    with Client(demo_sandbox.api_url, api_key=demo_sandbox.api_key, use_env=False) as client:
        listed = len(client.conversations.list(status="all"))
    assert report.diagnosis.probe("conversations").shape.items == listed


def test_a_user_is_checked_only_where_it_may_read(demo_sandbox: SandboxServer) -> None:
    with Client.login(demo_sandbox.api_url, "agent@demo.ceox.local", "ceox-demo-2026", use_env=False) as agent:
        token = agent._credential.header.removeprefix("Bearer ")
    report = _report(demo_sandbox.api_url, token=token)
    skipped = {p.key for p in report.diagnosis.probes if not p.checked}
    assert skipped == {"users", "webhooks"}  # users.manage and webhooks.manage, which the agent lacks
    assert report.diagnosis.probe("users").missing_capability == "users.manage"
    assert report.summary == [ALL_THERE]
    assert report.diagnosis.credential == "user token"


def test_the_doctor_only_reads(small_sandbox: SandboxServer) -> None:
    def dump() -> list[str]:
        with small_sandbox.state.store.tx() as db:
            return list(db.iterdump())

    methods: list[str] = []
    before = dump()
    report = assess(diagnose(partial(Client, small_sandbox.api_url, api_key=small_sandbox.api_key, use_env=False,
                                     request_hook=lambda request: methods.append(request.method))))
    assert report.healthy and len(methods) >= len(report.diagnosis.probes)
    assert set(methods) == {"GET"}
    assert dump() == before


def _said(text: str, value: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text) is not None


@pytest.mark.parametrize("variant", ["plain", "extra_fields", "html_gateway"])
def test_the_report_holds_no_secret_phone_name_email_or_message(variant: str, shape_proxy: ShapeProxy,
                                                              small_sandbox: SandboxServer) -> None:
    shape_proxy.variant = variant
    with Client.login(small_sandbox.api_url, SandboxServer.sign_in_email(1, "admin"), "ceox-demo-2026",
                      use_env=False) as admin:
        token = admin._credential.header.removeprefix("Bearer ")
    reports = [_report(shape_proxy.api_url, api_key=small_sandbox.api_key), _report(shape_proxy.api_url, token=token)]
    shape_proxy.variant = "plain"
    with Client(small_sandbox.api_url, api_key=small_sandbox.api_key, use_env=False) as client:
        conversations = client.conversations.list(status="all")
        threads = client.conversations.fetch_threads([c.id for c in conversations])
        users, contacts, devices = client.users.list(), client.contacts.list(), client.devices.list()
        webhooks = client.webhooks.list()
    seen = {small_sandbox.api_key, token, "ceox-demo-2026"}
    seen |= {v for u in users for v in (u.name, u.email)}
    seen |= {v for c in contacts for v in (c.name, c.phone)}
    seen |= {v for d in devices for v in (d.name, d.phone, d.wa_jid)}
    seen |= {v for c in conversations for v in (c.contact_name, c.contact_phone, c.device_phone, c.last_message)}
    seen |= {v for thread in threads.values() for m in thread for v in (m.body, m.wa_message_id, m.media_url)}
    seen |= {w.url for w in webhooks}
    seen = {v.strip() for v in seen if len(v.strip()) >= 3}
    seen |= {v.lstrip("+") for v in seen if v.startswith("+")}  # phone numbers without their plus
    assert len(seen) > 100
    for report in reports:
        for text in (report.to_markdown(), report.to_json(), json.dumps(report.to_dict())):
            leaked = sorted(v for v in seen if _said(text, v))
            assert not leaked, leaked


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ceox_api", "doctor", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_the_command_line(shape_proxy: ShapeProxy, small_sandbox: SandboxServer) -> None:
    shape_proxy.variant = "plain"
    healthy = _cli("--base-url", shape_proxy.api_url, "--api-key", small_sandbox.api_key)
    assert healthy.returncode == 0, healthy.stderr
    assert "Every endpoint answered as the client expects" in healthy.stdout
    assert small_sandbox.api_key not in healthy.stdout + healthy.stderr
    shape_proxy.variant = "dropped_fields"
    try:
        found = _cli("--base-url", shape_proxy.api_url, "--json", env={"CEOX_API_KEY": small_sandbox.api_key})
    finally:
        shape_proxy.variant = "plain"
    assert found.returncode == 1, found.stderr
    findings = json.loads(found.stdout)["findings"]
    assert "GET /conversations/{id}/messages: no item has sender_user_id" in findings


@pytest.mark.parametrize(("args", "says"), [
    (["--base-url", "api-wa.example.com/api/v1", "--api-key", "ceox_x"], "must start with https://"),
    (["--base-url", "https://user:pw@example.com/api/v1", "--api-key", "ceox_x"], "plain address"),
    (["--base-url", "https://example.com/api/v1"], "give --api-key or --token"),
    (["--base-url", "https://example.com/api/v1", "--api-key", "ceox_a b"], "spaces or control characters"),
])
def test_the_command_line_refuses_bad_input(args: list[str], says: str) -> None:
    refused = _cli(*args, env={"CEOX_API_KEY": ""})
    assert refused.returncode == 2 and says in refused.stderr and "Traceback" not in refused.stderr
    assert "ceox_a b" not in refused.stderr


def test_the_connect_page_runs_the_check(shape_proxy: ShapeProxy, small_sandbox: SandboxServer) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=90)
    at.session_state["workspace"] = connect(shape_proxy.api_url, api_key=small_sandbox.api_key, source="demo")
    at.run()
    at.switch_page("app_pages/connect.py")
    at.run()
    assert not at.dataframe and not at.get("download_button")  # nothing before the check is asked for
    shape_proxy.variant = "dropped_fields"
    try:
        at.button(key="doctor_run").click().run()
    finally:
        shape_proxy.variant = "plain"
    assert_clean(at)
    warning = " ".join(as_read(w.value) for w in at.warning).replace("\u2060", "")  # plain() joins ":" to its word
    assert "Analytics will lack reply attribution: messages have no sender." in warning
    table = at.dataframe[0].value
    assert {"Conversations", "Conversation messages", "Users", "Webhooks"} <= set(table["what"])
    assert (table["answered"] == "yes").all()
    assert len(at.get("download_button")) == 2
    at.button(key="doctor_run").click().run()  # the same connection, now with every field
    assert ALL_THERE in [as_read(s.value).replace("\u2060", "") for s in at.success]
    assert not any("sender" in w.value for w in at.warning)


def test_the_doctor_sends_through_the_workspace_policy(small_sandbox: SandboxServer) -> None:
    """A workspace that may not reach private addresses gets every probe refused before sending."""
    workspace = connect(small_sandbox.api_url, api_key=small_sandbox.api_key, source="demo")
    closed = check(replace(workspace, allow_private=False, trusted=frozenset()))
    assert not any(p.reachable for p in closed.diagnosis.probes)
    assert closed.diagnosis.probe("me").problem == "refused before sending: the address is not allowed from here"
    assert check(workspace).healthy
