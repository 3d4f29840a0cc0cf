"""The shared state behaves the same on both engines: SQLite files (CEOX_DATABASE_URL unset) and PostgreSQL.

Every test here runs twice through the `shared_state` fixture (tests/conftest.py); the PostgreSQL runs use
a throw-away cluster and a fresh database per test. Concurrency tests use threads, which on PostgreSQL
hold separate connections, as two replicas would.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from ceox_api import Credential
from ceox_api.models import DeviceStatus, Me
from dashboard import audit, device_history, preferences, receiver, webhooks
from dashboard.connection import Workspace
from dashboard.storage import database

pytestmark = pytest.mark.usefixtures("shared_state")

TENANT, OTHER = "a1b2c3d4e5f60718", "ffeeddccbbaa9988"


def event(n: int, conversation_id: int = 12, body: str = "hi") -> dict:
    return {"event": "message.received", "conversation_id": conversation_id, "from": "+6281234567890",
            "name": "Budi", "wa_message_id": f"3EB0{n:06d}", "body": f"{body} {n}", "is_group": False,
            "timestamp": "2026-06-21T08:15:00Z"}


def workspace(key: str = "ceox_secret_key_for_audit_0001") -> Workspace:
    return Workspace(base_url="https://api.ceox.test/api/v1", credential=Credential("api_key", key), source="server",
                     me=Me(kind="api_key"))


def run_together(task, count: int = 8) -> list:
    """`task()` in `count` threads released at the same moment."""
    start = threading.Barrier(count)

    def go():
        start.wait()
        return task()

    with ThreadPoolExecutor(count) as pool:
        return [f.result() for f in [pool.submit(go) for _ in range(count)]]


def test_the_backend_is_the_one_configured(shared_state):
    assert (database.postgres() is not None) == (shared_state == "postgresql")


# --- receiver -------------------------------------------------------------------------------------------

def test_a_tenant_keeps_one_secret_that_names_it_back():
    secret = receiver.secret_for(TENANT)
    assert len(secret) >= 24 and receiver.secret_for(TENANT) == secret
    assert receiver.workspace_for(secret) == TENANT
    assert receiver.secret_for(OTHER) != secret
    assert receiver.workspace_for("not-" + secret) is None


def test_secrets_created_at_once_by_many_sessions_are_one():
    assert len(set(run_together(lambda: receiver.secret_for(TENANT)))) == 1


def test_events_are_stored_once_newest_first_and_per_tenant():
    assert receiver.store_event(TENANT, event(1, body="first"))
    assert receiver.store_event(TENANT, event(2, body="second"))
    assert not receiver.store_event(TENANT, event(1, body="redelivered"))  # same message id
    receiver.store_event(OTHER, event(3))
    shown = receiver.recent_events(TENANT)
    assert [e["body"] for e in shown] == ["second 2", "first 1"]
    assert shown[0]["id"] > shown[1]["id"] and shown[0]["received_at"].endswith("Z")
    assert receiver.event_count(TENANT) == 2 and receiver.event_count(OTHER) == 1


def test_a_scoped_reader_counts_and_sees_only_its_conversations():
    for n, conversation in enumerate([5, 6, 7, 6], 1):
        receiver.store_event(TENANT, event(n, conversation_id=conversation))
    assert [e["conversation_id"] for e in receiver.recent_events(TENANT, conversation_ids={6, 7})] == [6, 7, 6]
    assert receiver.event_count(TENANT, conversation_ids={6}) == 2
    assert receiver.event_count(TENANT, conversation_ids=set()) == 0


def test_storage_keeps_the_newest_events_by_count_and_by_bytes():
    for n in range(1, 8):
        receiver.store_event(TENANT, event(n), keep=5)
    receiver.store_event(OTHER, event(99), keep=5)
    assert [e["wa_message_id"] for e in receiver.recent_events(TENANT)] == [f"3EB0{n:06d}" for n in range(7, 2, -1)]
    big = "x" * 3000
    for n in range(10, 14):
        receiver.store_event(TENANT, event(n, body=big), budget=7000)  # each payload is over 3,000 bytes
    assert [e["wa_message_id"] for e in receiver.recent_events(TENANT)] == ["3EB0000013", "3EB0000012"]
    assert receiver.event_count(OTHER) == 1


def test_a_burst_of_deliveries_keeps_exactly_the_newest():
    counter = iter(range(1, 10_000))
    lock = threading.Lock()

    def deliver():
        with lock:
            n = next(counter)
        return receiver.store_event(TENANT, event(n), keep=10)

    for _ in range(5):
        assert all(run_together(deliver))
    kept = [e["wa_message_id"] for e in receiver.recent_events(TENANT)]
    assert len(kept) == 10 and len(set(kept)) == 10


# --- audit log ------------------------------------------------------------------------------------------

def test_the_audit_log_is_per_tenant_newest_first_with_secrets_masked():
    mine, theirs = workspace(), workspace("ceox_another_tenants_key_0002")
    audit.record(mine, "user.update", "user 1", "ok", "key ceox_secret_key_for_audit_0001 was used")
    audit.record(mine, "role.update", "role 2", "refused")
    audit.record(theirs, "user.delete", "user 9", "ok")
    rows = audit.entries(mine)
    assert [r["action"] for r in rows] == ["role.update", "user.update"]
    assert "ceox_secret" not in rows[1]["detail"] and "•••" in rows[1]["detail"]
    assert set(rows[0]) == {"time", "workspace", "actor", "action", "target", "outcome", "detail"}
    assert [r["action"] for r in audit.entries(theirs)] == ["user.delete"]


# --- device history -------------------------------------------------------------------------------------

def status(device_id: int, state: str) -> DeviceStatus:
    return DeviceStatus(device_id=device_id, name=f"Device {device_id}", status=state, connected=state == "connected")


def test_device_history_records_changes_only_per_tenant():
    assert device_history.record(TENANT, [status(1, "connected"), status(2, "disconnected")]) == 2
    assert device_history.record(TENANT, [status(1, "connected"), status(2, "disconnected")]) == 0
    assert device_history.record(TENANT, [status(1, "disconnected")]) == 1
    assert device_history.record(OTHER, [status(1, "connected")]) == 1
    rows = device_history.history(TENANT)
    assert [(r["device_id"], r["status"]) for r in rows] == [(1, "disconnected"), (2, "disconnected"), (1, "connected")]
    assert [r["device_id"] for r in device_history.history(TENANT, device_ids={2})] == [2]


def test_a_change_seen_by_many_sessions_at_once_is_recorded_once():
    run_together(lambda: device_history.history(TENANT))  # every session holds a connection already
    assert sum(run_together(lambda: device_history.record(TENANT, [status(1, "connected")]))) == 1
    assert len(device_history.history(TENANT)) == 1


def test_device_history_keeps_the_newest_rows():
    for n in range(6):
        device_history.record(TENANT, [status(1, "connected" if n % 2 else "disconnected")], keep=4)
    assert len(device_history.history(TENANT)) == 4


# --- webhook test results -------------------------------------------------------------------------------

def test_webhook_test_results_keep_the_newest_per_webhook():
    for n in range(5):
        webhooks.record_test(TENANT, 7, webhooks.TestResult(f"2026-06-21T08:15:0{n}Z", "https://hooks.test/x", 200,
                                                             10.0 + n), keep=3)
    webhooks.record_test(TENANT, 8, webhooks.TestResult("2026-06-21T09:00:00Z", "https://hooks.test/y",
                                                        error="Timed out."))
    assert [r.latency_ms for r in webhooks.recent_tests(TENANT, 7)] == [14.0, 13.0, 12.0]
    assert webhooks.recent_tests(TENANT, 8)[0].error == "Timed out."
    assert webhooks.recent_tests(OTHER, 7) == []


# --- preferences ----------------------------------------------------------------------------------------

def test_preferences_sections_round_trip_per_tenant():
    preferences.save_section(TENANT, "analytics", {"timezone": "Asia/Jakarta"})
    preferences.save_section(TENANT, "live", {"columns": 3})
    preferences.save_section(TENANT, "live", None)
    assert preferences.load(TENANT) == {"analytics": {"timezone": "Asia/Jakarta"}}
    assert preferences.load(OTHER) == {}
    assert preferences.load("../etc") == {}
    with pytest.raises(ValueError):
        preferences.save_section("../etc", "analytics", {})


def test_sections_saved_at_once_are_all_kept():
    names = iter(f"section{n}" for n in range(8))
    lock = threading.Lock()

    def save():
        with lock:
            name = next(names)
        preferences.save_section(TENANT, name, {"n": name})

    run_together(save)
    assert sorted(preferences.load(TENANT)) == [f"section{n}" for n in range(8)]


# --- PostgreSQL only: migrations and failures ------------------------------------------------------------

def test_migrations_are_applied_once_even_when_replicas_start_together(shared_state):
    if shared_state != "postgresql":
        pytest.skip("migrations are PostgreSQL's")
    url = database.database_url()
    applied = run_together(lambda: _migrate(url), count=4)
    assert sorted(v for versions in applied for v in versions) == [v for v, _ in database.migration_files()]
    with psycopg.connect(url) as conn:
        assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")] == [
            v for v, _ in database.migration_files()]
    receiver.secret_for(TENANT)  # the dashboard's own start finds nothing left to apply


def _migrate(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:
        return database.migrate(conn)


def test_an_unreachable_database_is_one_sentence_without_the_password(monkeypatch, shared_state):
    if shared_state != "postgresql":
        pytest.skip("only a database server can be unreachable")
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    monkeypatch.setenv("CEOX_DATABASE_URL", f"postgresql://ceox:hunter2secret@127.0.0.1:{port}/ceox")
    with pytest.raises(database.DatabaseUnavailable) as caught:
        audit.entries(workspace())
    assert str(caught.value) == f"The database at 127.0.0.1:{port}/ceox cannot be reached."
    assert "hunter2" not in str(caught.value)


def test_a_url_of_another_engine_is_refused_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("CEOX_DATABASE_URL", "mysql://ceox@db/ceox")
    with pytest.raises(database.DatabaseUnavailable, match="must be a postgresql:// URL"):
        receiver.secret_for(TENANT)
