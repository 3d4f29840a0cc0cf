"""A small deterministic workspace for the extra workspaces of `--workspaces N` (the first gets `seed_demo`).

Two inboxes with a device each, the demo's roles, six users (the five sign-ins plus one agent) and about
fifty conversations over the last thirty days. Its names and phone numbers differ from the demo's and
from every other workspace's, so that a leak between workspaces is visible; everything comes from
`random.Random(SEED + number)` and `anchor`, so the same anchor gives the same database.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC, datetime

from ceox_sandbox.secrets import hash_password
from ceox_sandbox.seed import DEMO_PASSWORD, FIRST_NAMES, FOLLOW_UPS, LAST_NAMES, OPENERS, REPLIES, ROLES, SEED
from ceox_sandbox.store import Store, iso

MINUTE, HOUR, DAY = 60, 3600, 86400
# (name, colour, description, the demo topic its texts come from); inbox and device i share the index.
INBOXES = [("Orders", "#0891b2", "Orders, stock and deliveries", "sales"),
           ("Helpdesk", "#db2777", "Questions, returns and payments", "support")]
# (sign-in, role index into ROLES (1-based), status, inbox indexes (1-based)); all use DEMO_PASSWORD.
USERS = [("admin", 1, "online", []), ("agent", 2, "online", [1]), ("supervisor", 3, "online", [1, 2]),
         ("manager", 4, "idle", []), ("analyst", 5, "offline", [2]), ("helpdesk", 2, "online", [2])]
SIGN_INS = ("admin", "agent", "supervisor", "manager", "analyst")
CONVERSATIONS = 50
DAYS = 30


def sign_in_email(number: int, who: str = "admin") -> str:
    """A demo sign-in of workspace `number` (1-based): admin@demo.ceox.local in the first (the demo),
    admin@w2.demo.ceox.local in the second, and so on; `who` is one of SIGN_INS."""
    if who not in SIGN_INS:
        raise ValueError(f"who must be one of {', '.join(SIGN_INS)}")
    return f"{who}@demo.ceox.local" if number == 1 else f"{who}@w{number}.demo.ceox.local"


def seed_small(store: Store, anchor: datetime, number: int) -> None:
    """Fill an empty store as workspace `number` (2 or more) looks at `anchor` (tz-aware, "now")."""
    if not store.is_empty():
        raise ValueError("seed_small needs an empty store")
    rng = random.Random(SEED + number)
    now = int(anchor.astimezone(UTC).timestamp())
    with store.tx() as db:
        inboxes, devices = [], []
        for index, (name, color, description, _) in enumerate(INBOXES, 1):
            inboxes.append(db.execute("INSERT INTO inboxes (name, color, description, created_at) VALUES (?,?,?,?)",
                                      (name, color, description, _ts(now - 120 * DAY))).lastrowid)
            phone = f"+6287{number:03d}{index:07d}"
            devices.append(db.execute(
                "INSERT INTO devices (name, phone, wa_jid, status, inbox_id, last_seen_at) VALUES (?,?,?,?,?,?)",
                (f"{name} Line", phone, phone[1:] + "@s.whatsapp.net", "connected", inboxes[-1],
                 _ts(now - rng.randint(5, 90)))).lastrowid)
        roles = [db.execute("INSERT INTO roles (name, is_system, capabilities) VALUES (?,?,?)",
                            (name, system, json.dumps(caps))).lastrowid for name, system, caps in ROLES]
        agents: dict[int, list[int]] = {inbox: [] for inbox in inboxes}
        for who, role, status, member_of in USERS:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            email = sign_in_email(number, who) if who in SIGN_INS else f"{who}@w{number}.demo.ceox.local"
            away = {"online": 0, "idle": 20 * MINUTE, "offline": 6 * HOUR}[status]
            user_id = db.execute(
                "INSERT INTO users (name, email, password_hash, role_id, status, created_at, last_seen_at)"
                " VALUES (?,?,?,?,?,?,?)",
                (name, email, hash_password(DEMO_PASSWORD, salt=rng.randbytes(16)), roles[role - 1], status,
                 _ts(now - 100 * DAY), _ts(now - away))).lastrowid
            for index in member_of:
                db.execute("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)", (inboxes[index - 1], user_id))
                if ROLES[role - 1][0] == "Agent":
                    agents[inboxes[index - 1]].append(user_id)
        db.execute("INSERT INTO webhooks (url, events, active, created_at) VALUES (?, ?, 1, ?)",
                   ("http://127.0.0.1:9/hooks/orders", json.dumps(["message.received"]), _ts(now - 20 * DAY)))
        # Ids follow time, as in a live database: conversations by their first message, messages by time.
        messages = []
        for conversation in sorted(_conversations(rng, now, number), key=lambda c: c["messages"][0][0]):
            messages += _insert_conversation(db, conversation, inboxes, devices, agents)
        db.executemany("INSERT INTO messages (conversation_id, wa_message_id, from_me, body, status,"
                       " sender_user_id, timestamp) VALUES (?,?,?,?,?,?,?)",
                       [row for _, row in sorted(messages, key=lambda item: item[0])])


def _ts(seconds: int) -> str:
    return iso(datetime.fromtimestamp(seconds, UTC))


def _conversations(rng: random.Random, now: int, number: int) -> list[dict]:
    """Each contact writes to one device: a few turns of question and answer, some solved."""
    result = []
    for index in range(1, CONVERSATIONS + 1):
        device = rng.randrange(len(INBOXES))
        topic = INBOXES[device][3]
        t = now - rng.randint(2 * HOUR, DAYS * DAY)
        messages = []  # (time, from_me, body)
        for turn in range(rng.randint(1, 4)):
            pool = OPENERS[topic] if turn == 0 else FOLLOW_UPS
            messages.append((t, False, rng.choice(pool).format(order=rng.randint(100000, 999999))))
            t += rng.randint(1 * MINUTE, 40 * MINUTE)
            if t >= now or rng.random() < 0.15:
                break  # still waiting for an answer
            messages.append((t, True, rng.choice(REPLIES[topic])))
            t += rng.randint(5 * MINUTE, 6 * HOUR)
            if t >= now:
                break
        solved = messages[-1][1] and now - messages[-1][0] > HOUR and rng.random() < 0.6
        result.append({"name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                       "phone": f"+6288{number:03d}{index:07d}", "device": device, "messages": messages,
                       "solved_at": messages[-1][0] + 10 * MINUTE if solved else None,
                       "wa_ids": [f"3EB0{rng.getrandbits(64):016X}" for _ in messages]})
    return result


def _insert_conversation(db: sqlite3.Connection, conversation: dict, inboxes: list[int], devices: list[int],
                         agents: dict[int, list[int]]) -> list[tuple[int, tuple]]:
    """Insert the contact and the conversation; return its message rows, each with its time."""
    messages = conversation["messages"]
    first, last = messages[0], messages[-1]
    contact_id = db.execute("INSERT INTO contacts (name, phone, created_at) VALUES (?, ?, ?)",
                            (conversation["name"], conversation["phone"], _ts(first[0]))).lastrowid
    solved_at = conversation["solved_at"]
    unread = 0
    if solved_at is None:
        while unread < len(messages) and not messages[-1 - unread][1]:
            unread += 1
    device = conversation["device"]
    conversation_id = db.execute(
        "INSERT INTO conversations (contact_id, device_id, status, unread, last_message, last_message_at,"
        " created_at, solved_at) VALUES (?,?,?,?,?,?,?,?)",
        (contact_id, devices[device], "open" if solved_at is None else "solved", unread, last[2], _ts(last[0]),
         _ts(first[0]), None if solved_at is None else _ts(solved_at))).lastrowid
    responders = agents[inboxes[device]]
    sender = responders[conversation_id % len(responders)]
    return [(at, (conversation_id, wa_id, int(from_me), body, "read" if from_me else "received",
                  sender if from_me else None, _ts(at)))
            for (at, from_me, body), wa_id in zip(messages, conversation["wa_ids"], strict=True)]
