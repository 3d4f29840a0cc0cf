"""Webhooks: sending a test event from the dashboard, remembering the results, and each webhook's health.

A test event is the documented `message.received` payload (docs/contract.md, "Webhook delivery") with the
headers real deliveries carry, POSTed from this machine. Its result, and the sandbox's delivery log
when there is one, give each webhook a health state.
"""

from __future__ import annotations

import json
import secrets
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx

from ceox_api.errors import RequestRefused
from ceox_api.models import Delivery
from dashboard import validation
from dashboard.feedback import delivery_problem
from dashboard.outbound import OutboundPolicy
from dashboard.storage.database import Database, shared_database

DB_NAME = "webhook_tests.sqlite"
KEEP = 50  # test results per webhook
TIMEOUT_S = 10.0  # a delivery counts as done on a 2xx within 10 s (A)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
HEADERS = {"Content-Type": "application/json", "User-Agent": "ceox-webhooks"}
SCHEMA = """CREATE TABLE IF NOT EXISTS webhook_tests (
    id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, webhook_id INTEGER NOT NULL, time TEXT NOT NULL,
    url TEXT NOT NULL, status_code INTEGER, latency_ms REAL, body_start TEXT NOT NULL, error TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS webhook_tests_by_hook ON webhook_tests (workspace_id, webhook_id, id);"""


def _db() -> Database:
    """Its SQLite file, or the database the replicas share (dashboard/storage/database.py)."""
    return shared_database(DB_NAME, SCHEMA)


def sample_event(now: datetime | None = None) -> dict:
    """A `message.received` payload of exactly the documented fields; conversation 0 marks it a test."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {"event": "message.received", "conversation_id": 0, "from": "+6281234567890", "name": "CEOX Admin test",
            "wa_message_id": f"TEST{secrets.token_hex(8).upper()}", "body": "Test event sent from CEOX Admin",
            "media_type": "", "media_url": "", "is_group": False, "timestamp": moment.strftime(TIME_FORMAT)}


@dataclass(frozen=True)
class TestResult:
    """One test send: the answer's status and latency, or why there was no answer.

    The answer's body is never kept or shown: the target may be any service, and its content is
    none of the sender's business (an open preview would make the dashboard a proxy into networks).
    """

    __test__ = False  # not a pytest test class, despite the name

    time: str
    url: str
    status_code: int | None = None
    latency_ms: float | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300

    @property
    def summary(self) -> str:
        if self.error:
            return self.error
        verdict = "accepted" if self.ok else "not accepted: a receiver must answer with a 2xx status"
        return f"Answered {self.status_code} in {self.latency_ms:,.0f} ms ({verdict})."


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _kind_of_failure(chain: list[BaseException]) -> str:
    """"tls", "dns", "refused" or "": by exception type first, then by the words of the messages."""
    for error in chain:
        if isinstance(error, ssl.SSLError):
            return "tls"
        if isinstance(error, socket.gaierror):
            return "dns"
        if isinstance(error, ConnectionRefusedError):
            return "refused"
    text = " ".join(str(e) for e in chain).lower()
    if any(words in text for words in ("name or service not known", "nodename nor servname", "getaddrinfo",
                                       "name resolution", "no address associated")):
        return "dns"
    if any(words in text for words in ("certificate", "ssl", "tls")):
        return "tls"
    return "refused" if "refused" in text else ""


def explain_failure(exc: Exception, url: str, timeout: float = TIMEOUT_S) -> str:
    """A sentence for a request that got no HTTP answer: timeout, TLS, DNS, refused, …"""
    parts = urlsplit(url)
    host = parts.hostname or url
    chain = list(_causes(exc))
    if isinstance(exc, httpx.ConnectTimeout):
        return f"Timed out: {host} did not accept a connection within {timeout:g} s."
    if isinstance(exc, httpx.TimeoutException):
        return f"Timed out: {host} accepted the connection but did not answer within {timeout:g} s."
    kind = _kind_of_failure(chain)
    if kind == "tls":
        reason = next((str(getattr(e, "verify_message", "") or getattr(e, "reason", "") or "")
                       for e in chain if isinstance(e, ssl.SSLError)), "")
        detail = f" ({reason.lower().replace('_', ' ')})" if reason else ""
        return (f"The secure (TLS) connection to {host} failed{detail}: the receiver needs a valid certificate "
                "for this name, or the port does not speak HTTPS.")
    if kind == "dns":
        return f"The host name {host} could not be found (DNS): check the spelling, and that the name is public."
    if kind == "refused":
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"Nothing accepted the connection at {host} port {port} (connection refused): is the receiver running?"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "The URL cannot be used: it must start with http:// or https:// and name a host."
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} closed the connection without a proper HTTP answer."
    return f"The request to {host} failed before an answer came."


def send_test_event(url: str, policy: OutboundPolicy, *, timeout: float = TIMEOUT_S,
                    payload: dict | None = None) -> TestResult:
    """POST a sample event to `url` (checked first, sent under `policy`) and report the status and
    latency of the answer; never raises for network trouble, never reads the answer's body."""
    started_at = datetime.now(UTC).strftime(TIME_FORMAT)
    problem = validation.webhook_url(url)
    if problem:
        return TestResult(started_at, url, error=problem)
    body = json.dumps(payload or sample_event()).encode()
    started = time.perf_counter()
    try:
        with (policy.http_client(timeout=timeout) as http,
              http.stream("POST", url, content=body, headers=HEADERS) as response):
            latency_ms = (time.perf_counter() - started) * 1000
    except RequestRefused as exc:
        return TestResult(started_at, url, error=exc.message)
    except Exception as exc:  # any failure to get an answer becomes a sentence (incl. IDNA errors)
        return TestResult(started_at, url, error=explain_failure(exc, url, timeout))
    return TestResult(started_at, url, response.status_code, round(latency_ms, 1))


# --- remembered test results --------------------------------------------------------------------------

def record_test(workspace_id: str, webhook_id: int, result: TestResult, keep: int = KEEP) -> None:
    with _db().transaction(lock=f"webhook_tests:{workspace_id}") as db:
        db.execute("INSERT INTO webhook_tests (workspace_id, webhook_id, time, url, status_code, latency_ms,"
                   " body_start, error) VALUES (?,?,?,?,?,?,'',?)",
                   (workspace_id, webhook_id, result.time, result.url, result.status_code, result.latency_ms,
                    result.error))
        db.execute("DELETE FROM webhook_tests WHERE workspace_id = ? AND webhook_id = ? AND id <= (SELECT id"
                   " FROM webhook_tests WHERE workspace_id = ? AND webhook_id = ? ORDER BY id DESC LIMIT 1"
                   " OFFSET ?)", (workspace_id, webhook_id, workspace_id, webhook_id, keep))


def recent_tests(workspace_id: str, webhook_id: int, limit: int = 10) -> list[TestResult]:
    """This webhook's test results, newest first."""
    with _db().transaction() as db:
        rows = db.rows("SELECT time, url, status_code, latency_ms, error FROM webhook_tests"
                       " WHERE workspace_id = ? AND webhook_id = ? ORDER BY id DESC LIMIT ?",
                       (workspace_id, webhook_id, limit))
    return [TestResult(**row) for row in rows]


# --- health -------------------------------------------------------------------------------------------

HealthState = Literal["healthy", "degraded", "failing", "unknown"]
WINDOW = 10  # the most recent attempts that count
FAILING_STREAK = 3


@dataclass(frozen=True)
class Attempt:
    """One try to reach a webhook: a test from the dashboard or a delivery by the service."""

    time: datetime
    ok: bool
    source: Literal["test", "delivery"]
    detail: str = ""


@dataclass(frozen=True)
class Health:
    state: HealthState
    sentence: str

    @property
    def badge(self) -> str:
        return {"healthy": "● healthy", "degraded": "◐ degraded", "failing": "✕ failing",
                "unknown": "○ unknown"}[self.state]


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def attempts_from_tests(results: Iterable[TestResult]) -> list[Attempt]:
    return [Attempt(_parse_time(r.time), r.ok, "test", r.summary) for r in results]


def delivery_ok(delivery: Delivery) -> bool:
    return not delivery.error and delivery.status_code is not None and 200 <= delivery.status_code < 300


def attempts_from_deliveries(deliveries: Iterable[Delivery], webhook_id: int) -> list[Attempt]:
    return [Attempt(d.time or datetime.min.replace(tzinfo=UTC), delivery_ok(d), "delivery",
                    delivery_problem(d.status_code, d.error) or "delivered")
            for d in deliveries if d.webhook_id == webhook_id]


def _attempts(count: int) -> str:
    return "attempt" if count == 1 else f"{count:,} attempts"


def health(attempts: Sequence[Attempt]) -> Health:
    """From the newest `WINDOW` attempts: healthy (all succeeded), failing (the last
    `FAILING_STREAK`, or every one, failed), degraded (some failed), unknown (none yet)."""
    recent = sorted(attempts, key=lambda a: a.time, reverse=True)[:WINDOW]
    if not recent:
        return Health("unknown", "No test or delivery yet: send a test event.")
    failures = [a for a in recent if not a.ok]
    streak = next((i for i, a in enumerate(recent) if a.ok), len(recent))
    last = recent[0]
    if not failures:
        return Health("healthy", f"The last {_attempts(len(recent))} succeeded.")
    if streak >= min(FAILING_STREAK, len(recent)):
        return Health("failing", f"The last {_attempts(streak)} failed. Latest {last.source}: {last.detail}")
    if last.ok:
        return Health("degraded", f"{len(failures)} of the last {len(recent)} attempts failed; the latest succeeded.")
    return Health("degraded", f"The latest {last.source} failed ({last.detail}); {len(recent) - len(failures)} of "
                              f"the last {len(recent)} succeeded.")
