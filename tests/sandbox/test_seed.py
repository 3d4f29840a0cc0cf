"""The demo seed: deterministic, inside its size ranges, self-consistent, and rich in analytics patterns."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from ceox_sandbox.capabilities import CAPABILITIES
from ceox_sandbox.secrets import check_password
from ceox_sandbox.seed import DEMO_PASSWORD, DEMO_SIGN_INS, seed_demo
from ceox_sandbox.store import Store, iso

# A Wednesday, 10:30 in Jakarta: office hours, so the "waiting now" backlog is live.
ANCHOR = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)
SESSION_GAP = timedelta(hours=24)


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _seeded() -> tuple[Store, float]:
    store = Store(":memory:")
    started = time.perf_counter()
    seed_demo(store, ANCHOR)
    return store, time.perf_counter() - started


def _rows(store: Store, sql: str) -> list[tuple]:
    with store.tx() as db:
        return [tuple(row) for row in db.execute(sql)]


@pytest.fixture(scope="module")
def seeded() -> tuple[Store, float]:
    store, seconds = _seeded()
    yield store, seconds
    store.close()


@pytest.fixture(scope="module")
def store(seeded: tuple[Store, float]) -> Store:
    return seeded[0]


@pytest.fixture(scope="module")
def threads(store: Store) -> dict[int, list[tuple]]:
    """Every conversation's messages, oldest first: (from_me, timestamp, sender_user_id, media_type)."""
    result: dict[int, list[tuple]] = defaultdict(list)
    for conversation_id, *message in _rows(store, "SELECT conversation_id, from_me, timestamp, sender_user_id,"
                                                  " media_type FROM messages ORDER BY conversation_id, timestamp, id"):
        result[conversation_id].append(tuple(message))
    return result


def test_seeding_is_fast(seeded: tuple[Store, float]) -> None:
    print(f"seed_demo took {seeded[1]:.2f} s")
    assert seeded[1] < 20


def test_same_anchor_gives_identical_rows(store: Store) -> None:
    again, _ = _seeded()
    for table in ("messages", "conversations", "users", "contacts", "inbox_members"):
        sql = f"SELECT * FROM {table} ORDER BY 1, 2"
        assert _rows(again, sql) == _rows(store, sql), table
    again.close()


def test_refuses_a_store_that_is_not_empty(store: Store) -> None:
    with pytest.raises(ValueError):
        seed_demo(store, ANCHOR)


@pytest.mark.parametrize(("table", "low", "high"), [
    ("users", 13, 17), ("contacts", 1300, 1700), ("conversations", 2200, 2800), ("messages", 55_000, 65_000),
    ("devices", 4, 4), ("inboxes", 4, 4), ("roles", 5, 5), ("webhooks", 2, 2),
    ("api_keys", 0, 0), ("meta", 0, 0),
])
def test_counts(store: Store, table: str, low: int, high: int) -> None:
    count = _rows(store, f"SELECT COUNT(*) FROM {table}")[0][0]
    print(f"{table}: {count}")
    assert low <= count <= high


def test_workspace_objects(store: Store) -> None:
    devices = _rows(store, "SELECT status, inbox_id, phone, wa_jid, last_seen_at FROM devices ORDER BY id")
    assert sorted(device[0] for device in devices) == ["connected"] * 3 + ["disconnected"]
    assert sorted(device[1] for device in devices) == [1, 2, 3, 4]
    assert all(phone.startswith("+62811") and jid == f"{phone[1:]}@s.whatsapp.net" for _, _, phone, jid, _ in devices)
    offline = next(_parse(seen) for status, *_, seen in devices if status == "disconnected")
    assert ANCHOR - offline > timedelta(hours=2)
    assert _rows(store, "SELECT name, color FROM inboxes ORDER BY id") == [
        ("Sales", "#16a34a"), ("Support", "#2563eb"), ("Billing", "#d97706"), ("VIP", "#9333ea")]
    roles = {name: (system, set(json.loads(caps))) for name, system, caps
             in _rows(store, "SELECT name, is_system, capabilities FROM roles ORDER BY id")}
    assert list(roles) == ["Admin", "Agent", "Supervisor", "Manager", "Analyst"]
    assert roles["Admin"] == (1, set(CAPABILITIES))
    assert roles["Agent"] == (1, {"chats.send"})
    assert roles["Manager"] == (0, {"analytics.view", "inbox.view_all"})
    assert roles["Analyst"] == (0, {"analytics.view"})
    assert _rows(store, "SELECT url, events, active FROM webhooks ORDER BY id") == [
        ("http://127.0.0.1:9/ceox-hook", '["message.received"]', 1),
        ("http://127.0.0.1:1/crm", '["message.received"]', 1)]


def test_sign_ins(store: Store) -> None:
    users = {email: (user_id, role, password) for user_id, email, role, password in _rows(
        store, "SELECT u.id, u.email, r.name, u.password_hash FROM users u JOIN roles r ON r.id = u.role_id")}
    for role, email in DEMO_SIGN_INS:
        assert users[email][1] == role
        assert check_password(DEMO_PASSWORD, users[email][2])
    assert users["admin@demo.ceox.local"][0] == 1
    assert len({role for _, role, _ in users.values()}) == 5
    assert sorted({status for (status,) in _rows(store, "SELECT status FROM users")}) == ["idle", "offline", "online"]
    memberships = defaultdict(set)
    for inbox_id, user_id in _rows(store, "SELECT inbox_id, user_id FROM inbox_members"):
        memberships[user_id].add(inbox_id)
    assert 1 <= len(memberships[users["agent@demo.ceox.local"][0]]) <= 2
    assert len(memberships[users["analyst@demo.ceox.local"][0]]) <= 1


def test_timestamps_inside_the_window(store: Store) -> None:
    stamps = sorted(_parse(ts) for (ts,) in _rows(store, "SELECT timestamp FROM messages"))
    assert stamps[-1] <= ANCHOR
    assert ANCHOR - timedelta(days=90) <= stamps[0] <= ANCHOR - timedelta(days=89)
    days_with_traffic = {(ANCHOR - stamp) // timedelta(days=1) for stamp in stamps}
    assert days_with_traffic == set(range(90))
    latest = [ts for row in _rows(store, "SELECT MAX(created_at), MAX(last_message_at), MAX(solved_at) FROM"
                                         " conversations UNION ALL SELECT MAX(created_at), MAX(last_seen_at), NULL"
                                         " FROM users") for ts in row if ts]
    assert max(latest) <= iso(ANCHOR)


def test_conversations_match_their_messages(store: Store, threads: dict[int, list[tuple]]) -> None:
    rows = _rows(store, "SELECT id, status, unread, last_message_at, created_at, solved_at FROM conversations")
    assert {row[0] for row in rows} == set(threads)
    for conversation_id, status, unread, last_at, created_at, solved_at in rows:
        messages = threads[conversation_id]
        assert created_at == messages[0][1] and last_at == messages[-1][1], conversation_id
        inbound_after_reply = 0
        for from_me, *_ in reversed(messages):
            if from_me:
                break
            inbound_after_reply += 1
        assert unread == (0 if status == "solved" else inbound_after_reply), conversation_id
        assert (status == "solved") == (solved_at is not None), conversation_id
        assert solved_at is None or solved_at >= last_at, conversation_id


def test_previews_and_contacts(store: Store) -> None:
    mismatched = _rows(store, """
        SELECT c.id FROM conversations c JOIN messages m ON m.id = (
            SELECT id FROM messages WHERE conversation_id = c.id ORDER BY timestamp DESC, id DESC LIMIT 1)
        WHERE c.last_message != CASE WHEN m.body != '' THEN m.body ELSE '[' || m.media_type || ']' END""")
    assert mismatched == []
    early = _rows(store, "SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id"
                         " WHERE k.created_at > c.created_at")
    assert early == []
    phones = [phone for (phone,) in _rows(store, "SELECT phone FROM contacts")]
    assert all(phone.startswith("+628") and phone[1:].isdigit() and 11 <= len(phone) <= 16 for phone in phones)


def test_messages_are_well_formed(store: Store) -> None:
    bad = _rows(store, """
        SELECT id FROM messages WHERE
            (from_me = 0 AND (status != 'received' OR sender_user_id IS NOT NULL))
            OR (from_me = 1 AND status NOT IN ('sent', 'delivered', 'read'))
            OR length(wa_message_id) != 20 OR substr(wa_message_id, 1, 4) != '3EB0'
            OR (media_type != '' AND (media_url NOT LIKE '/media/%' OR media_mime = '' OR media_filename = ''))""")
    assert bad == []
    dangling_media = _rows(store, "SELECT DISTINCT media_url FROM messages WHERE media_url != '' AND"
                                  " substr(media_url, 8) NOT IN (SELECT name FROM media)")
    assert dangling_media == []
    foreign_quotes = _rows(store, "SELECT m.id FROM messages m WHERE m.reply_to != '' AND NOT EXISTS (SELECT 1"
                                  " FROM messages q WHERE q.wa_message_id = m.reply_to"
                                  " AND q.conversation_id = m.conversation_id AND q.timestamp <= m.timestamp)")
    assert foreign_quotes == []
    assert _rows(store, "SELECT COUNT(*) FROM messages WHERE reply_to != ''")[0][0] > 100


def test_agents_reply_only_in_their_inboxes(store: Store) -> None:
    outsiders = _rows(store, """
        SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
        JOIN devices d ON d.id = c.device_id
        WHERE m.sender_user_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM inbox_members im WHERE im.inbox_id = d.inbox_id AND im.user_id = m.sender_user_id)""")
    assert outsiders == []
    after_leaving = _rows(store, "SELECT m.id FROM messages m JOIN users u ON u.id = m.sender_user_id"
                                 " WHERE m.timestamp > u.last_seen_at")
    assert after_leaving == []


def test_analytics_patterns_present(store: Store, threads: dict[int, list[tuple]]) -> None:
    def count(sql: str) -> int:
        return _rows(store, sql)[0][0]

    assert count("SELECT COUNT(*) FROM conversations WHERE is_group = 1") >= 10
    assert count("SELECT COUNT(DISTINCT media_type) FROM messages WHERE media_type != ''") == 5
    assert count("SELECT COUNT(*) FROM messages WHERE from_me = 1 AND sender_user_id IS NULL") > 100
    assert count("SELECT COUNT(*) FROM conversations WHERE status = 'solved'") > 500
    assert count("SELECT COUNT(*) FROM conversations WHERE status = 'open'") > 200
    assert count("SELECT COUNT(*) FROM (SELECT contact_id FROM conversations GROUP BY 1 HAVING COUNT(*) > 1)") > 300
    assert count("SELECT COUNT(DISTINCT sender_user_id) FROM messages") >= 10
    waiting_since_yesterday = count(f"""SELECT COUNT(*) FROM conversations WHERE status = 'open' AND unread > 0
                                        AND last_message_at > '{iso(ANCHOR - timedelta(days=1))}'""")
    assert waiting_since_yesterday >= 10

    cycles = outbound_initiated = several_cycles = 0
    for messages in threads.values():
        starts = [index for index, message in enumerate(messages)
                  if index == 0 or _parse(message[1]) - _parse(messages[index - 1][1]) > SESSION_GAP]
        cycles += len(starts)
        outbound_initiated += sum(messages[index][0] for index in starts)
        several_cycles += len(starts) >= 3
    assert 0.05 < outbound_initiated / cycles < 0.3
    assert several_cycles > 500


def test_traffic_follows_jakarta_office_hours(store: Store) -> None:
    office = off = weekday = weekend = 0
    for (ts,) in _rows(store, "SELECT timestamp FROM messages WHERE from_me = 0"):
        local = _parse(ts) + timedelta(hours=7)
        in_office = local.weekday() < 5 and 8 <= local.hour < 21
        office, off = office + in_office, off + (not in_office)
        weekday, weekend = weekday + (local.weekday() < 5), weekend + (local.weekday() >= 5)
    assert office > 2 * off
    assert weekday / 5 > 1.5 * weekend / 2  # a weekday is busier than a weekend day


def test_agents_reply_at_clearly_different_speeds(store: Store, threads: dict[int, list[tuple]]) -> None:
    """First responses per agent, as docs/metrics.md defines them: the fastest and slowest medians are far apart."""
    groups = {conversation_id for (conversation_id,) in _rows(store, "SELECT id FROM conversations WHERE is_group")}
    responses: dict[int, list[float]] = defaultdict(list)
    for conversation_id, messages in threads.items():
        if conversation_id in groups:
            continue
        waiting_since = None
        for index, (from_me, ts, sender, _) in enumerate(messages):
            moment = _parse(ts)
            if index == 0 or moment - _parse(messages[index - 1][1]) > SESSION_GAP:
                waiting_since = None if from_me else moment
            elif from_me and waiting_since is not None:
                if sender is not None:
                    responses[sender].append((moment - waiting_since).total_seconds())
                waiting_since = None
    medians = sorted(sorted(values)[len(values) // 2] for values in responses.values() if len(values) > 50)
    assert len(medians) >= 8
    assert medians[-1] > 5 * medians[0]
