"""A deterministic demo workspace: devices, inboxes, roles, users, contacts and 90 days of traffic.

The traffic is shaped so that every analytics pattern (docs/metrics.md) has something to show: office
hours and weekends in Asia/Jakarta time, agents with clearly different reply speeds, several cycles
per conversation, solved and reopened conversations, unanswered chats, group chats, media,
outbound-initiated cycles and API sends. Everything comes from one `random.Random(SEED)` and from
`anchor` ("now"), so the same anchor always gives the same database.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
import struct
import zlib
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate

from ceox_sandbox.capabilities import CAPABILITIES
from ceox_sandbox.secrets import hash_password
from ceox_sandbox.store import Store, iso

SEED = 20261125
DEMO_PASSWORD = "ceox-demo-2026"  # noqa: S105 (published in the README for the demo sign-ins)
DEMO_SIGN_INS = [
    ("Admin", "admin@demo.ceox.local"),
    ("Agent", "agent@demo.ceox.local"),
    ("Supervisor", "supervisor@demo.ceox.local"),
    ("Manager", "manager@demo.ceox.local"),
    ("Analyst", "analyst@demo.ceox.local"),
]
DAYS = 90

MINUTE, HOUR, DAY = 60, 3600, 86400
LOCAL_OFFSET = 7 * HOUR  # Asia/Jakarta, no daylight saving
CYCLE_GAP = 24 * HOUR  # the analytics' default session gap: cycles here are always further apart

# (name, colour, description); ids 1..4 in this order.
INBOXES = [
    ("Sales", "#16a34a", "Pre-sales questions, orders and promotions"),
    ("Support", "#2563eb", "Delivery problems, returns and account help"),
    ("Billing", "#d97706", "Payments, invoices and refunds"),
    ("VIP", "#9333ea", "Concierge service for member customers"),
]
# (name, phone, inbox id, share of the conversations, topic); ids 1..4 in this order.
DEVICES = [
    ("CS Sales Jakarta", "+6281110001001", 1, 0.36, "sales"),
    ("Support Center", "+6281110002002", 2, 0.32, "support"),
    ("Billing & Finance", "+6281110003003", 3, 0.20, "billing"),
    ("VIP Concierge", "+6281110004004", 4, 0.12, "vip"),
]
DISCONNECTED_DEVICE = 3
AWAY_MESSAGE_DEVICE = 2  # answers out-of-hours chats automatically, through the API
ROLES = [  # (name, is_system, capabilities); ids 1..5 in this order
    ("Admin", 1, list(CAPABILITIES)),
    ("Agent", 1, ["chats.send"]),
    ("Supervisor", 0, ["chats.send", "inbox.view_all", "analytics.view", "contacts.manage"]),
    ("Manager", 0, ["analytics.view", "inbox.view_all"]),
    ("Analyst", 0, ["analytics.view"]),
]
# (name, email, role id, status, inbox ids, median reply in minutes or None for non-responders).
# User 1 is the admin; the five sign-ins come first, in DEMO_SIGN_INS order.
USERS = [
    ("Rina Wijaya", "admin@demo.ceox.local", 1, "online", [], None),
    ("Budi Santoso", "agent@demo.ceox.local", 2, "online", [1], 4.0),
    ("Siti Rahmawati", "supervisor@demo.ceox.local", 3, "online", [1, 2], 6.0),
    ("Agus Setiawan", "manager@demo.ceox.local", 4, "idle", [], None),
    ("Dewi Lestari", "analyst@demo.ceox.local", 5, "offline", [2], None),
    ("Andi Pratama", "andi.pratama@demo.ceox.local", 2, "online", [1], 1.5),
    ("Putri Maharani", "putri.maharani@demo.ceox.local", 2, "online", [1, 4], 3.0),
    ("Eko Saputra", "eko.saputra@demo.ceox.local", 2, "idle", [2], 12.0),
    ("Fitri Handayani", "fitri.handayani@demo.ceox.local", 2, "online", [2], 2.0),
    ("Rizky Ramadhan", "rizky.ramadhan@demo.ceox.local", 2, "offline", [2, 3], 20.0),
    ("Nur Aisyah", "nur.aisyah@demo.ceox.local", 2, "online", [3], 5.0),
    ("Hendra Gunawan", "hendra.gunawan@demo.ceox.local", 2, "idle", [3], 9.0),
    ("Maya Anggraini", "maya.anggraini@demo.ceox.local", 2, "online", [4], 1.0),
    ("Yoga Firmansyah", "yoga.firmansyah@demo.ceox.local", 2, "offline", [1, 4], 15.0),
    ("Indah Permatasari", "indah.permatasari@demo.ceox.local", 2, "offline", [2], 7.0),
]
WEBHOOKS = [("http://127.0.0.1:9/ceox-hook", 30), ("http://127.0.0.1:1/crm", 12)]  # (url, age in days)
SEEDED_DELIVERY_ERROR = "ConnectError: [Errno 111] Connection refused"  # as ceox_sandbox/webhooks.py logs it

CONTACTS = 1500
# `--seed large`: the same workspace and traffic patterns with eight times the contacts, about 20,000
# conversations and 480,000 messages (a first sync costs one request per conversation).
LARGE_CONTACTS = 12_000
GROUPS = 24
# Local-time traffic shape: Monday..Sunday, then hour 0..23.
DAY_WEIGHTS = [1.0, 1.0, 1.0, 1.0, 0.95, 0.55, 0.4]
HOUR_WEIGHTS = [0.15, 0.08, 0.05, 0.04, 0.05, 0.15, 0.4, 0.8, 1.5, 2.2, 2.6, 2.5,
                2.0, 2.1, 2.4, 2.3, 2.1, 1.9, 1.7, 1.8, 1.9, 1.4, 0.8, 0.4]
SHIFTS = {False: (8, 21), True: (9, 17)}  # agents' local hours on weekdays / at weekends
DEVICES_PER_CONTACT = {0: 0.02, 1: 0.40, 2: 0.48, 3: 0.10}
CYCLES_PER_CONVERSATION = {1: 0.2, 2: 0.2, 3: 0.18, 4: 0.15, 5: 0.1, 6: 0.09, 8: 0.08}

FIRST_NAMES = [
    "Adi", "Agung", "Ahmad", "Aldi", "Anisa", "Arif", "Ayu", "Bambang", "Bayu", "Citra", "Dani", "Desi",
    "Dimas", "Dian", "Eka", "Fajar", "Farah", "Gilang", "Hadi", "Hana", "Ilham", "Indra", "Intan",
    "Joko", "Kartika", "Kevin", "Lina", "Lukman", "Mega", "Muhammad", "Nadia", "Novi", "Oki", "Putra",
    "Ratna", "Reza", "Rini", "Rudi", "Sari", "Sinta", "Slamet", "Sri", "Taufik", "Tika", "Tono",
    "Vina", "Wahyu", "Wulan", "Yanti", "Yudi", "Yusuf", "Zahra",
]
LAST_NAMES = [
    "Hidayat", "Kusuma", "Nugroho", "Pratama", "Purnomo", "Saputra", "Setiawan", "Siregar", "Sihombing",
    "Simanjuntak", "Susanto", "Utami", "Wibowo", "Wijaya", "Hakim", "Halim", "Harahap", "Lubis",
    "Nasution", "Permana", "Rahman", "Santoso", "Sembiring", "Suryadi", "Tanjung", "Gunawan",
]
SHOP_PREFIXES = ["Toko", "CV", "PT", "Warung"]
SHOP_NAMES = ["Berkah Jaya", "Maju Bersama", "Sumber Rejeki", "Sinar Abadi", "Makmur Sentosa", "Cahaya Baru"]
GROUP_KINDS = ["Grup Reseller", "Dropshipper", "Komunitas Member", "Agen Resmi"]
CITIES = ["Jakarta", "Bandung", "Surabaya", "Medan", "Semarang", "Makassar", "Yogyakarta", "Denpasar",
          "Palembang", "Balikpapan"]
MOBILE_PREFIXES = ["811", "812", "813", "821", "822", "852", "853", "857", "858", "877", "878", "895", "896"]

OPENERS = {
    "sales": ["Halo kak, produk ini masih ready?", "Permisi, harga untuk 2 pcs berapa ya?",
              "Bisa kirim ke Bandung? Ongkirnya berapa?", "Hi, is the black variant still available?",
              "Kak, bisa COD tidak?", "Ada promo bulan ini kak?", "Mau order yang ukuran L ya kak",
              "Bisa grosir? Saya mau ambil 50 pcs", "Katalog terbaru ada kak?",
              "Selamat siang, stok warna navy masih ada?"],
    "support": ["Pesanan saya #{order} belum sampai kak", "Aplikasi error terus waktu login",
                "Barang yang saya terima rusak, gimana ya?", "Hi, I need help with order #{order}",
                "Status pesanan belum berubah dari kemarin", "Mau retur barang, prosedurnya gimana?",
                "Resi saya tidak bisa dilacak", "Saya lupa password, tidak bisa masuk akun"],
    "billing": ["Saya sudah transfer, mohon dicek ya", "Minta invoice untuk pesanan #{order}",
                "Kenapa tagihan saya dobel?", "Bisa bayar pakai QRIS?",
                "Hi, can I get a receipt for my last payment?", "Pembayaran saya belum terverifikasi",
                "Mau konfirmasi pembayaran pesanan #{order}"],
    "vip": ["Selamat pagi, saya mau pesan seperti biasa", "Could you arrange delivery tomorrow morning?",
            "Tolong siapkan 3 paket hampers untuk Jumat", "Ada koleksi terbaru untuk member?",
            "Saya mau reservasi fitting hari Sabtu"],
    "group": ["Min, stok minggu ini sudah update?", "Ada promo reseller bulan ini?", "Siap min 👍",
              "Ditunggu katalog terbarunya", "Orderan saya sudah dikirim belum min?", "Harga reseller naik ya?",
              "Mantap min", "Izin share katalog ke grup sebelah ya min", "Stok hijab motif baru ada?"],
}
FOLLOW_UPS = ["Oh begitu, oke kak", "Kalau yang ukuran M ada?", "Jadi totalnya berapa kak?", "Baik, saya tunggu ya",
              "Sudah saya kirim datanya", "Ok, what's the next step?", "Bisa dipercepat tidak kak?",
              "Nomor pesanannya #{order}", "Alamatnya Jl. Merdeka No. 12, Bekasi", "Masih belum bisa kak",
              "Oke noted", "Hmm, kok lama ya", "Halo? Masih ada orang?", "Sudah kak, barusan saya coba lagi"]
REPLIES = {
    "sales": ["Halo kak, masih ready ya 😊", "Untuk 2 pcs totalnya Rp245.000 kak",
              "Ongkir ke Bandung Rp18.000, estimasi 2-3 hari", "Bisa COD kak untuk area Jabodetabek",
              "Promo bulan ini diskon 10% untuk pembelian kedua", "Siap kak, saya buatkan pesanannya ya",
              "Yes, the black variant is available", "Untuk grosir di atas 30 pcs ada harga khusus kak"],
    "support": ["Mohon maaf atas kendalanya kak, boleh info nomor pesanannya?",
                "Sudah kami cek, paket sedang transit di gudang Cikarang",
                "Silakan coba logout lalu login kembali ya kak", "Kami bantu proses retur, mohon kirim foto barangnya",
                "Sorry for the inconvenience, we're checking it now", "Tiket sudah kami eskalasi ke tim teknis"],
    "billing": ["Pembayaran sudah kami terima, terima kasih kak", "Invoice sudah kami kirim ke email terdaftar",
                "Mohon maaf, tagihan dobel sudah kami batalkan satu", "Bisa kak, QRIS ada di halaman pembayaran",
                "Mohon kirim bukti transfernya ya kak", "Refund diproses 3-5 hari kerja"],
    "vip": ["Selamat pagi Bapak/Ibu, baik kami siapkan seperti biasa",
            "Certainly, delivery is scheduled for tomorrow at 9 AM",
            "Hampers akan kami antar hari Jumat", "Katalog koleksi terbaru sudah kami kirim ya",
            "Fitting hari Sabtu pukul 11.00 sudah kami reservasi"],
    "group": ["Stok sudah update ya kak, cek katalog terbaru", "Promo reseller: diskon 15% sampai akhir bulan",
              "Sudah dikirim kak, resi menyusul", "Harga tetap kak, belum ada kenaikan"],
}
CUSTOMER_CLOSINGS = ["Terima kasih kak 🙏", "Oke siap, makasih", "Thanks!", "Mantap, terima kasih banyak", "Sip kak"]
AGENT_CLOSINGS = ["Sama-sama kak, senang bisa membantu 😊", "Terima kasih sudah menghubungi kami",
                  "You're welcome! Have a nice day", "Ditunggu orderan berikutnya ya kak"]
AGENT_OPENERS = ["Halo kak {name}, mau follow up pesanan kemarin, jadi diproses?",
                 "Hi {name}, just checking in: do you still need help?",
                 "Kak {name}, keranjang belanjanya masih tersimpan, mau dilanjutkan?",
                 "Halo kak {name}, bagaimana produknya? Mohon ulasannya ya 🙏"]
API_NOTICES = {
    "sales": "Halo {name}, pesanan #{order} sudah dikirim via JNE. Resi: JN{order}ID",
    "support": "Tiket #{order} telah diselesaikan. Balas pesan ini jika masih ada kendala.",
    "billing": "Pengingat: tagihan INV-{order} jatuh tempo dalam 3 hari.",
    "vip": "Halo {name}, undangan private sale khusus member VIP minggu ini 🎉",
    "group": "Info: katalog reseller minggu ini sudah terbit.",
}
AWAY_MESSAGE = ("Terima kasih telah menghubungi kami. Jam layanan 08.00-21.00 WIB (Sabtu-Minggu 09.00-17.00); "
                "agen kami akan membalas secepatnya.")

# Media kind -> (media_type, stored blob name, mime, filename, captions); '' captions leave the body empty.
MEDIA = {
    "photo": ("image", "demo-image.png", "image/png", "foto-produk.png", ["", "", "Yang ini kak"]),
    "receipt": ("image", "demo-receipt.png", "image/png", "bukti-transfer.png", ["", "Ini bukti transfernya kak"]),
    "invoice": ("document", "demo-document.pdf", "application/pdf", "invoice-ceox-demo.pdf", ["", "Invoice terlampir"]),
    "voice": ("audio", "demo-voice.ogg", "audio/ogg", "voice-note.ogg", [""]),
    "video": ("video", "demo-video.mp4", "video/mp4", "video-produk.mp4", ["", "Ini videonya"]),
    "sticker": ("sticker", "demo-sticker.webp", "image/webp", "sticker.webp", [""]),
}
INBOUND_MEDIA = {"photo": 3, "receipt": 3, "voice": 3, "sticker": 2, "video": 1, "invoice": 1}
OUTBOUND_MEDIA = {"photo": 2, "invoice": 2, "video": 1}


def seed_large(store: Store, anchor: datetime) -> None:
    """The demo workspace with `LARGE_CONTACTS` contacts: for the large-workspace benchmarks."""
    seed_demo(store, anchor, contacts=LARGE_CONTACTS)


def seed_demo(store: Store, anchor: datetime, *, contacts: int = CONTACTS) -> None:
    """Fill an empty store with the demo workspace, as it looks at `anchor` (tz-aware, "now")."""
    if not store.is_empty():
        raise ValueError("seed_demo needs an empty store")
    rng = random.Random(SEED)
    now = int(anchor.astimezone(UTC).timestamp())
    devices_seen = _device_last_seen(rng, now)
    users_seen = _user_last_seen(rng, now)
    traffic = _Traffic(rng, now, devices_seen, users_seen)
    people = _contacts(rng, now, contacts)
    conversations = traffic.conversations(people)
    with store.tx() as db:
        _insert_workspace(db, rng, now, devices_seen)
        _insert_users(db, rng, now, users_seen)
        _insert_webhooks_and_media(db, now)
    with store.tx() as db:
        _insert_traffic(db, people, conversations)


# --- workspace: inboxes, devices, roles, users, webhooks, media --------------------------------------

def _ts(seconds: int | None) -> str | None:
    return None if seconds is None else iso(datetime.fromtimestamp(seconds, UTC))


def _device_last_seen(rng: random.Random, now: int) -> dict[int, int]:
    """Connected devices were seen seconds ago; the disconnected one a day and some hours ago."""
    return {device_id: now - (rng.randint(DAY + 3 * HOUR, 2 * DAY) if device_id == DISCONNECTED_DEVICE
                              else rng.randint(5, 90))
            for device_id in range(1, len(DEVICES) + 1)}


def _user_last_seen(rng: random.Random, now: int) -> dict[int, int]:
    """Online users are here now; idle and offline ones left a while ago and send nothing after that."""
    away = {"online": (0, 0), "idle": (10 * MINUTE, 50 * MINUTE), "offline": (5 * HOUR, 3 * DAY)}
    return {user_id: now - rng.randint(*away[user[3]]) for user_id, user in enumerate(USERS, 1)}


def _insert_workspace(db: sqlite3.Connection, rng: random.Random, now: int, devices_seen: dict[int, int]) -> None:
    db.executemany("INSERT INTO inboxes (id, name, color, description, created_at) VALUES (?,?,?,?,?)",
                   [(i, name, color, text, _ts(now - (200 - 5 * i) * DAY - rng.randint(0, DAY)))
                    for i, (name, color, text) in enumerate(INBOXES, 1)])
    db.executemany("INSERT INTO devices (id, name, phone, wa_jid, status, inbox_id, last_seen_at)"
                   " VALUES (?,?,?,?,?,?,?)",
                   [(i, name, phone, phone[1:] + "@s.whatsapp.net",
                     "disconnected" if i == DISCONNECTED_DEVICE else "connected", inbox, _ts(devices_seen[i]))
                    for i, (name, phone, inbox, _, _) in enumerate(DEVICES, 1)])
    db.executemany("INSERT INTO roles (id, name, is_system, capabilities) VALUES (?,?,?,?)",
                   [(i, name, system, json.dumps(caps)) for i, (name, system, caps) in enumerate(ROLES, 1)])


def _insert_users(db: sqlite3.Connection, rng: random.Random, now: int, users_seen: dict[int, int]) -> None:
    rows = []
    for user_id, (name, email, role, status, _, _) in enumerate(USERS, 1):
        # A fixed salt from the seeded generator keeps the rows identical from one seed to the next.
        password = hash_password(DEMO_PASSWORD, salt=rng.randbytes(16))
        created = now - rng.randint(100, 190) * DAY
        rows.append((user_id, name, email, password, role, status, _ts(created), _ts(users_seen[user_id])))
    db.executemany("INSERT INTO users (id, name, email, password_hash, role_id, status, created_at,"
                   " last_seen_at) VALUES (?,?,?,?,?,?,?,?)", rows)
    db.executemany("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)",
                   [(inbox, user_id) for user_id, user in enumerate(USERS, 1) for inbox in user[4]])


def _insert_webhooks_and_media(db: sqlite3.Connection, now: int) -> None:
    db.executemany("INSERT INTO webhooks (url, events, active, created_at) VALUES (?, ?, 1, ?)",
                   [(url, json.dumps(["message.received"]), _ts(now - age * DAY)) for url, age in WEBHOOKS])
    # Their recent deliveries, as the service logged them: each event tried three times, each refused, so
    # the webhooks read as failing from the first look (the delivery log is the evidence).
    ids = [row[0] for row in db.execute("SELECT id FROM webhooks ORDER BY id")]
    db.executemany(
        "INSERT INTO deliveries (webhook_id, url, event, conversation_id, attempt, status_code, error,"
        " duration_ms, time) VALUES (?, ?, 'message.received', NULL, ?, NULL, ?, ?, ?)",
        [(webhook_id, url, attempt, SEEDED_DELIVERY_ERROR, 1.2, _ts(now - hours * 3600 + offset))
         for webhook_id, (url, _) in zip(ids, WEBHOOKS, strict=True)
         for hours in (26, 5, 1) for attempt, offset in ((1, 0), (2, 2), (3, 12))])
    blobs = {
        "demo-image.png": _png((22, 163, 74)),
        "demo-receipt.png": _png((241, 245, 249)),
        "demo-document.pdf": _pdf(b"CEOX demo invoice"),
        "demo-voice.ogg": b"OggS\x00\x02" + bytes(22) + b"\x01\x13OpusHead",
        "demo-video.mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
        "demo-sticker.webp": b"RIFF\x0c\x00\x00\x00WEBPVP8 ",
    }
    mimes = {blob: mime for _, blob, mime, _, _ in MEDIA.values()}
    db.executemany("INSERT INTO media (name, mime, data) VALUES (?, ?, ?)",
                   [(name, mimes[name], data) for name, data in blobs.items()])


def _png(rgb: tuple[int, int, int], width: int = 480, height: int = 360) -> bytes:
    """A real PNG the size of a phone photo's preview (a colour with a darker band across the middle), so
    the dashboard shows the demo images at a size where they read as pictures."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    band = bytes(c * 3 // 5 for c in rgb)
    rows = b"".join(b"\x00" + (band if height // 3 <= y < 2 * height // 3 else bytes(rgb)) * width
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _pdf(text: bytes) -> bytes:
    """A one-page PDF with a correct cross-reference table, so viewers open it."""
    content = b"BT /F1 16 Tf 24 60 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 120] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


# --- contacts ------------------------------------------------------------------------------------------

@dataclass
class _Contact:
    name: str
    phone: str
    is_group: bool
    created: int = 0
    id: int = 0


def _contacts(rng: random.Random, now: int, count: int) -> list[_Contact]:
    """People, a few shops, and group chats; `created` is filled in from their first message later."""
    phones: set[str] = set()
    groups = rng.sample([f"{kind} {city}" for kind in GROUP_KINDS for city in CITIES], GROUPS)
    contacts = [_Contact(name, _unique_phone(rng, phones), True) for name in groups]
    while len(contacts) < count:
        if rng.random() < 0.05:
            name = f"{rng.choice(SHOP_PREFIXES)} {rng.choice(SHOP_NAMES)}"
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        contacts.append(_Contact(name, _unique_phone(rng, phones), False))
    rng.shuffle(contacts)
    for contact in contacts:  # contacts that never write keep a creation time inside the window
        contact.created = now - rng.randint(HOUR, DAYS * DAY)
    return contacts


def _unique_phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = f"+62{rng.choice(MOBILE_PREFIXES)}{rng.randint(10**7, 10**8 - 1)}"
        if phone not in taken:
            taken.add(phone)
            return phone


# --- traffic ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Message:
    ts: int
    from_me: bool
    body: str
    wa_id: str
    media: str = ""  # a MEDIA key
    sender: int | None = None
    reply_to: str = ""
    status: str = "received"  # outbound receipts are settled once the conversation is complete


@dataclass
class _Conversation:
    contact: _Contact
    device: int
    messages: list[_Message] = field(default_factory=list)
    status: str = "open"
    solved_at: int | None = None
    id: int = 0


def _lognormal(rng: random.Random, median: float, sigma: float, low: float, high: float) -> int:
    return int(min(high, max(low, rng.lognormvariate(math.log(median), sigma))))


def _on_shift(ts: int) -> int:
    """The first moment at or after `ts` when agents work (SHIFTS, Jakarta time)."""
    day, second = divmod(ts + LOCAL_OFFSET, DAY)
    while True:
        start, end = SHIFTS[(day + 3) % 7 >= 5]  # 1970-01-01 was a Thursday
        if second < end * HOUR:
            return day * DAY + max(second, start * HOUR) - LOCAL_OFFSET
        day, second = day + 1, 0


class _Traffic:
    """Generates every conversation's messages, cycle by cycle, in Jakarta-time traffic shape."""

    def __init__(self, rng: random.Random, now: int, devices_seen: dict[int, int],
                 users_seen: dict[int, int]) -> None:
        self.rng = rng
        self.now = now
        self.users_seen = users_seen
        # The disconnected device received nothing after it was last seen.
        self.cutoff = {device: now for device in devices_seen}
        self.cutoff[DISCONNECTED_DEVICE] = devices_seen[DISCONNECTED_DEVICE]
        self.wa_ids: set[str] = set()
        self.responders = {inbox: [(user_id, user[5] * MINUTE) for user_id, user in enumerate(USERS, 1)
                                   if user[5] is not None and inbox in user[4]]
                           for inbox in range(1, len(INBOXES) + 1)}
        self.on_duty = {inbox: [(user_id, median) for user_id, median in agents if USERS[user_id - 1][3] == "online"]
                        for inbox, agents in self.responders.items()}
        self._hour_slots()

    def _hour_slots(self) -> None:
        """Whole hours of the window weighted by weekday, hour of day and slow growth."""
        first = -(-(self.now - DAYS * DAY) // HOUR) * HOUR
        self.slots = list(range(first, self.now, HOUR))
        weights = []
        for ts in self.slots:
            day, second = divmod(ts + LOCAL_OFFSET, DAY)
            growth = 1 + 0.3 * (ts - first) / (self.now - first)
            weights.append(DAY_WEIGHTS[(day + 3) % 7] * HOUR_WEIGHTS[second // HOUR] * growth)
        self.slot_weights = list(accumulate(weights))

    def _start_time(self) -> int:
        pick = self.rng.random() * self.slot_weights[-1]
        return self.slots[bisect_left(self.slot_weights, pick)] + self.rng.randrange(HOUR)

    def conversations(self, contacts: list[_Contact]) -> list[_Conversation]:
        shares = [device[3] for device in DEVICES]
        result = []
        for contact in contacts:
            count = 1 if contact.is_group else _weighted(self.rng, DEVICES_PER_CONTACT)
            devices = []
            while len(devices) < count:  # distinct devices, weighted by their share of traffic
                device = self.rng.choices(range(1, len(DEVICES) + 1), shares)[0]
                if device not in devices:
                    devices.append(device)
            for device in devices:
                conversation = self._conversation(contact, device)
                if conversation.messages:
                    result.append(conversation)
        return result

    def _conversation(self, contact: _Contact, device: int) -> _Conversation:
        conversation = _Conversation(contact, device)
        _, _, inbox, _, topic = DEVICES[device - 1]
        topic = "group" if contact.is_group else topic
        agent = self.rng.choice(self.responders[inbox])  # the agent who usually handles this contact
        cutoff = self.cutoff[device]
        starts = sorted(self._start_time() for _ in range(_weighted(self.rng, CYCLES_PER_CONVERSATION)))
        for start in starts:
            messages = conversation.messages
            if messages and start <= messages[-1].ts + CYCLE_GAP:
                continue  # too close to the previous cycle: it would merge into it
            cycle = _Cycle(self, conversation, topic, agent, start).messages
            kept = [message for message in cycle if message.ts <= cutoff]
            messages.extend(kept)
            if len(kept) < len(cycle):
                break  # the rest would happen after "now" (or after the device went offline)
        self._settle(conversation)
        return conversation

    def _settle(self, conversation: _Conversation) -> None:
        """Delivery receipts, and whether the conversation was solved after its last message."""
        messages = conversation.messages
        for index, message in enumerate(messages):
            if message.from_me:
                answered = any(not later.from_me for later in messages[index + 1:index + 4])
                message.status = "read" if answered else self._receipt(self.now - message.ts)
        if not messages:
            return
        last = messages[-1]
        chance = 0.1 if conversation.contact.is_group else 0.8 if last.from_me else (
            0.6 if last.body in CUSTOMER_CLOSINGS else 0.0)
        if self.now - last.ts > HOUR and self.rng.random() < chance:
            solved_at = last.ts + _lognormal(self.rng, 20 * MINUTE, 1.0, 30, 12 * HOUR)
            if solved_at <= self.now:
                conversation.status, conversation.solved_at = "solved", solved_at

    def _receipt(self, age: int) -> str:
        weights = [0.05, 0.15, 0.8] if age > 2 * DAY else [0.05, 0.35, 0.6] if age > 2 * HOUR else [0.3, 0.4, 0.3]
        return self.rng.choices(["sent", "delivered", "read"], weights)[0]

    def new_wa_id(self) -> str:
        while True:
            wa_id = f"3EB0{self.rng.getrandbits(64):016X}"
            if wa_id not in self.wa_ids:
                self.wa_ids.add(wa_id)
                return wa_id


class _Cycle:
    """One cycle: an optional outbound opener, then turns of customer messages and agent replies."""

    def __init__(self, traffic: _Traffic, conversation: _Conversation, topic: str,
                 agent: tuple[int, float], start: int) -> None:
        self.traffic, self.rng = traffic, traffic.rng
        self.history = conversation.messages  # earlier cycles, for quoting
        self.device, self.topic, self.agent = conversation.device, topic, agent
        self.inbox = DEVICES[conversation.device - 1][2]
        self.group = topic == "group"
        self.first_name = conversation.contact.name.split()[0]
        self.messages: list[_Message] = []
        recent = start > traffic.now - 2 * DAY
        # Recent cycles are often still waiting; older ones were occasionally missed.
        self.miss_chance = 0.6 if self.group else 0.3 if recent else 0.03
        self._run(start)

    def _run(self, start: int) -> None:
        rng, t = self.rng, start
        if rng.random() < (0.03 if self.group else 0.15):
            t = self._outbound_opener(_on_shift(t))
            if rng.random() < 0.35:
                return  # nobody answered the notification or follow-up
            t += self._customer_delay()
        turns = rng.randint(3, 8) if self.group else rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5])
        for turn in range(turns):
            first_inbound, t = self._customer_run(t, opening=turn == 0 and not self.messages)
            if rng.random() < self.miss_chance:
                return
            t = self._agent_run(first_inbound, t, first=turn == 0)
            t += self._customer_delay()
        if rng.random() < 0.35:
            self._add(t, False, rng.choice(CUSTOMER_CLOSINGS))
            if rng.random() < 0.5:
                user_id, reply = self._responder(t, t + 1, self.agent, factor=0.7)
                self._add(reply, True, rng.choice(AGENT_CLOSINGS), sender=user_id)

    def _outbound_opener(self, t: int) -> int:
        """A notification sent through the API (no sender) or an agent's follow-up (not to groups)."""
        if self.group or self.rng.random() < 0.5:
            self._add(t, True, self._text(API_NOTICES[self.topic]))
        else:
            self._add(t, True, self._text(self.rng.choice(AGENT_OPENERS)), sender=self._on_duty(self.agent, t)[0])
        return t

    def _customer_run(self, t: int, opening: bool) -> tuple[int, int]:
        rng = self.rng
        first = t
        for index in range(rng.randint(2, 6) if self.group else rng.choice([1, 1, 1, 2, 2, 3])):
            pool = OPENERS[self.topic] if self.group or (opening and index == 0) else FOLLOW_UPS
            media = _weighted(rng, INBOUND_MEDIA) if rng.random() < 0.07 else ""
            body = rng.choice(MEDIA[media][4]) if media else self._text(rng.choice(pool))
            self._add(t, False, body, media=media)
            t += rng.randint(5, 120)
        return first, t

    def _agent_run(self, first_inbound: int, t: int, first: bool) -> int:
        """The reply to a run of customer messages; out-of-hours chats wait for the next shift."""
        rng = self.rng
        if first and self.device == AWAY_MESSAGE_DEVICE and _on_shift(first_inbound) != first_inbound:
            self._add(first_inbound + rng.randint(2, 8), True, AWAY_MESSAGE)
        agent = rng.choice(self.traffic.responders[self.inbox]) if rng.random() < 0.15 else self.agent
        user_id, t = self._responder(first_inbound, t, agent, factor=1.0 if first else 0.7)
        for _ in range(1 if rng.random() < 0.7 else 2):
            media = _weighted(rng, OUTBOUND_MEDIA) if rng.random() < 0.04 else ""
            body = rng.choice(MEDIA[media][4]) if media else rng.choice(REPLIES[self.topic])
            self._add(t, True, body, media=media, sender=user_id)
            t += rng.randint(10, 90)
        return t

    def _responder(self, since: int, not_before: int, agent: tuple[int, float], factor: float) -> tuple[int, int]:
        """Who replies to a message sent at `since`, and when: log-normal around the agent's median,
        capped so that a reply never starts a new cycle."""
        def reply_time(median: float) -> int:
            return max(not_before, _on_shift(since) + _lognormal(self.rng, median * factor, 0.8, 10, 4 * HOUR))
        reply = reply_time(agent[1])
        on_duty = self._on_duty(agent, reply)
        if on_duty != agent:
            reply = reply_time(on_duty[1])
        return on_duty[0], reply

    def _on_duty(self, agent: tuple[int, float], at: int) -> tuple[int, float]:
        """The agent, or a colleague on duty if the agent has left by `at` (with a margin for a second
        message): nobody sends after their last_seen_at."""
        if at + 3 * MINUTE > self.traffic.users_seen[agent[0]]:
            return self.rng.choice(self.traffic.on_duty[self.inbox])
        return agent

    def _customer_delay(self) -> int:
        return _lognormal(self.rng, 3 * MINUTE, 1.3, 5, 6 * HOUR)

    def _text(self, template: str) -> str:
        return template.format(name=self.first_name, order=self.rng.randint(100000, 999999))

    def _add(self, ts: int, from_me: bool, body: str, media: str = "", sender: int | None = None) -> None:
        """Append a message, strictly after the previous one and now and then quoting a recent one."""
        previous = self.messages[-1].ts if self.messages else self.history[-1].ts if self.history else ts - 1
        earlier = (self.history + self.messages)[-5:] if self.rng.random() < 0.04 else []
        reply_to = self.rng.choice(earlier).wa_id if earlier else ""
        self.messages.append(_Message(max(ts, previous + 1), from_me, body, self.traffic.new_wa_id(),
                                      media, sender, reply_to))


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


# --- inserting the traffic -------------------------------------------------------------------------

def _insert_traffic(db: sqlite3.Connection, contacts: list[_Contact], conversations: list[_Conversation]) -> None:
    """Ids follow time, as they would in a live database: contacts and conversations by creation."""
    first_message: dict[str, int] = {}
    for conversation in conversations:
        phone, start = conversation.contact.phone, conversation.messages[0].ts
        first_message[phone] = min(first_message.get(phone, start), start)
    for contact in contacts:  # a contact is created by its first message
        contact.created = first_message.get(contact.phone, contact.created)
    for contact_id, contact in enumerate(sorted(contacts, key=lambda c: c.created), 1):
        contact.id = contact_id
    db.executemany("INSERT INTO contacts (id, name, phone, created_at) VALUES (?,?,?,?)",
                   [(c.id, c.name, c.phone, _ts(c.created)) for c in sorted(contacts, key=lambda c: c.id)])
    conversations = sorted(conversations, key=lambda c: (c.messages[0].ts, c.contact.id, c.device))
    for conversation_id, conversation in enumerate(conversations, 1):
        conversation.id = conversation_id
    db.executemany("INSERT INTO conversations (id, contact_id, device_id, is_group, status, unread,"
                   " last_message, last_message_at, created_at, solved_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   [_conversation_row(c) for c in conversations])
    messages = sorted(((m.ts, c.id, index, m) for c in conversations for index, m in enumerate(c.messages)),
                      key=lambda item: item[:3])
    db.executemany("INSERT INTO messages (conversation_id, wa_message_id, from_me, body, media_type, media_url,"
                   " media_mime, media_filename, reply_to, status, sender_user_id, timestamp)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                   [_message_row(conversation_id, m) for _, conversation_id, _, m in messages])


def _conversation_row(conversation: _Conversation) -> tuple:
    messages = conversation.messages
    last = messages[-1]
    unread = 0
    if conversation.status == "open":
        for message in reversed(messages):
            if message.from_me:
                break
            unread += 1
    preview = last.body or f"[{MEDIA[last.media][0]}]"
    return (conversation.id, conversation.contact.id, conversation.device, int(conversation.contact.is_group),
            conversation.status, unread, preview, _ts(last.ts), _ts(messages[0].ts), _ts(conversation.solved_at))


def _message_row(conversation_id: int, m: _Message) -> tuple:
    media_type, blob, mime, filename, _ = MEDIA[m.media] if m.media else ("", "", "", "", None)
    return (conversation_id, m.wa_id, int(m.from_me), m.body, media_type, f"/media/{blob}" if blob else "",
            mime, filename, m.reply_to, m.status, m.sender, _ts(m.ts))
