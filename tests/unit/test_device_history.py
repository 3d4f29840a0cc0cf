"""Device status history: what is recorded, when, per workspace and within its bound; the status table."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest

from ceox_api import Client
from ceox_api.models import Device, DeviceStatus, Inbox
from dashboard import device_history
from dashboard.clock import Clock
from dashboard.device_history import changes, history, record, relative_time
from dashboard.storage import data_dir

T0 = datetime(2026, 6, 21, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path))


def status(device_id, connected=True, name=None, status_text=None):
    state = "connected" if connected else "disconnected"
    return DeviceStatus(device_id=device_id, name=name or f"Device {device_id}", connected=connected,
                        status=state if status_text is None else status_text)


def test_changes_are_first_sights_and_differences():
    assert changes({}, [status(1), status(2, False)]) == [(1, "Device 1", "connected"), (2, "Device 2", "disconnected")]
    assert changes({1: "connected", 2: "disconnected"}, [status(1), status(2, False)]) == []
    assert changes({1: "connected"}, [status(1, False)]) == [(1, "Device 1", "disconnected")]
    # No status text: `connected` decides.
    assert changes({}, [status(3, False, status_text="")]) == [(3, "Device 3", "disconnected")]


def test_first_sight_is_recorded_then_only_changes():
    assert record("ws", [status(1), status(2, False)], T0) == 2
    assert record("ws", [status(1), status(2, False)], T0 + timedelta(seconds=20)) == 0
    assert record("ws", [status(1), status(2, True)], T0 + timedelta(seconds=40)) == 1
    rows = history("ws")
    assert [(r["time"], r["device_id"], r["status"]) for r in rows] == [
        (T0 + timedelta(seconds=40), 2, "connected"), (T0, 2, "disconnected"), (T0, 1, "connected")]
    assert [r["status"] for r in history("ws", device_ids={2, 99})] == ["connected", "disconnected"]
    path = data_dir() / device_history.DB_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_workspaces_are_kept_apart():
    record("a", [status(1)], T0)
    record("b", [status(1, False)], T0)
    assert record("a", [status(1)], T0) == 0
    assert [r["status"] for r in history("a")] == ["connected"]
    assert [r["status"] for r in history("b")] == ["disconnected"]


def test_history_is_bounded_and_a_trimmed_device_is_not_seen_anew():
    record("ws", [status(1), status(2)], T0, keep=5)
    for i in range(1, 11):  # device 2 flaps ten times; device 1 never changes
        record("ws", [status(1), status(2, connected=i % 2 == 0)], T0 + timedelta(minutes=i), keep=5)
    rows = history("ws")
    assert len(rows) == 5 and {r["device_id"] for r in rows} == {2}
    assert rows[0]["time"] == T0 + timedelta(minutes=10) and rows[0]["status"] == "connected"
    assert record("ws", [status(1), status(2)], T0 + timedelta(minutes=11), keep=5) == 0


def test_timeline_spans_until_the_next_change():
    rows = [{"time": T0, "device_id": 1, "name": "A", "status": "connected"},
            {"time": T0 + timedelta(hours=1), "device_id": 1, "name": "A", "status": "disconnected"},
            {"time": T0, "device_id": 2, "name": "B", "status": "connected"}]
    now = T0 + timedelta(hours=3)
    spans = device_history.timeline(list(reversed(rows)), now)
    assert spans.to_dict("records") == [
        {"device": "A", "status": "connected", "start": T0, "end": T0 + timedelta(hours=1)},
        {"device": "B", "status": "connected", "start": T0, "end": now},
        {"device": "A", "status": "disconnected", "start": T0 + timedelta(hours=1), "end": now}]
    assert device_history.timeline([], now).empty


@pytest.mark.parametrize("ago, text", [
    (None, "never"), (timedelta(seconds=-5), "just now"), (timedelta(seconds=59), "just now"),
    (timedelta(minutes=5, seconds=10), "5 min ago"), (timedelta(hours=2), "2 h ago"),
    (timedelta(hours=3, minutes=5), "3 h 5 min ago"), (timedelta(days=1, hours=19), "1 day 19 h ago"),
    (timedelta(days=3), "3 days ago"),
])
def test_relative_time(ago, text):
    now = T0 + timedelta(days=10)
    assert relative_time(None if ago is None else now - ago, now) == text


def test_status_frame_marks_state_inbox_and_last_seen():
    statuses = [DeviceStatus(device_id=1, name="Sales", phone="+6281", connected=True, status="connected",
                             last_seen_at=T0 - timedelta(minutes=5)),
                DeviceStatus(device_id=2, name="Billing", connected=False, status="disconnected")]
    devices = [Device(id=1, inbox_id=7), Device(id=2, phone="+6282", last_seen_at=T0 - timedelta(days=2))]
    frame = device_history.status_frame(statuses, devices, [Inbox(id=7, name="Sales team")], T0, Clock("Asia/Jakarta"))
    assert frame[["state", "phone", "inbox", "last_seen", "last_seen_at"]].values.tolist() == [
        ["● connected", "+6281", "Sales team", "5 min ago", "2026-06-21 14:55"],
        ["● disconnected", "+6282", "— unassigned —", "2 days ago", "2026-06-19 15:00"]]
    assert frame["connected"].tolist() == [True, False]


def test_recording_the_demo_workspace(demo_sandbox):
    with Client(demo_sandbox.api_url, api_key=demo_sandbox.api_key) as client:
        statuses = client.wa.status()
    assert record("demo", statuses, T0) == 4
    assert record("demo", statuses, T0 + timedelta(seconds=20)) == 0
    assert sorted(r["status"] for r in history("demo")) == ["connected"] * 3 + ["disconnected"]
