"""The connection doctor: a read-only probe of every GET endpoint a credential may use.

For each endpoint it says whether the service answered, with what status and how fast, how the
answer is shaped (wrapper, key spelling, id and time formats, "never" spelt how, paging), which
fields the client reads are missing, and which rate-limit headers came along.

    from functools import partial
    from ceox_api import Client
    from ceox_api.doctor import diagnose
    diagnosis = diagnose(partial(Client, "https://…/api/v1", api_key="ceox_…"))
    print(diagnosis.to_markdown())

Requests go through the public client (so its retries, errors and request hook apply) with a
`response_hook` that looks at each raw answer. It sends only GETs. The diagnosis holds no value
from the service: no names, phones, emails, message texts, error texts, ids or secrets, only the
structure of the answers and numbers, so it can be attached to a support ticket as it is.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from ceox_api import answer_shapes as shapes
from ceox_api._paging import Listing, is_partial
from ceox_api.assumptions import ALL_STATUSES
from ceox_api.client import Client
from ceox_api.errors import (
    AuthError,
    CeoxError,
    IncompleteList,
    NotFound,
    PermissionDenied,
    RateLimited,
    RequestRefused,
    ServerError,
    TransportError,
)
from ceox_api.models import (
    CeoxModel,
    Contact,
    Conversation,
    Device,
    DeviceStatus,
    Inbox,
    Me,
    Message,
    Role,
    User,
    Webhook,
)

# Threads read to see the messages' fields: a field many messages lack (a sender) shows in a few.
THREADS_SAMPLED = 5
# A user token only; an API key may use every endpoint.
EVERY_CAPABILITY = "*"
_RATE_HEADER = re.compile(r"^(x-)?(rate-?limit|ratelimit)(-|$)|^retry-after$", re.IGNORECASE)
# Header values kept in the report: numbers, units and short policy words, never free text.
_SAFE_HEADER_VALUE = re.compile(r"^[\w .,;=:\"-]{1,80}$")
_CAPABILITY = re.compile(r"^[a-z][a-z_]{0,30}\.[a-z_]{1,30}$")
# Fields that only some services or credentials have (an API key is no user): their absence is no finding.
_OPTIONAL = {"me": frozenset({"workspace_id", "workspace", "user", "role"})}


@dataclass(frozen=True)
class Endpoint:
    key: str  # a stable name: "conversations", "messages", ...
    label: str  # plain words for a page
    path: str  # the request, for technical details
    model: type[CeoxModel]
    capability: str | None = None  # needed to call it; None: any credential (scoped to what it sees)
    is_list: bool = True


ENDPOINTS = (
    Endpoint("me", "Who the credential is", "GET /me", Me, is_list=False),
    Endpoint("conversations", "Conversations", f"GET /conversations?status={ALL_STATUSES}", Conversation),
    Endpoint("messages", "Conversation messages", "GET /conversations/{id}/messages", Message),
    Endpoint("contacts", "Contacts", "GET /contacts", Contact),
    Endpoint("devices", "Devices", "GET /devices", Device),
    Endpoint("wa_status", "Device connection state", "GET /wa/status", DeviceStatus),
    Endpoint("inboxes", "Inboxes", "GET /inboxes", Inbox),
    Endpoint("members", "Inbox members", "GET /inboxes/{id}/members", User),
    Endpoint("roles", "Roles", "GET /roles", Role),
    Endpoint("users", "Users", "GET /users", User, "users.manage"),
    Endpoint("webhooks", "Webhooks", "GET /webhooks", Webhook, "webhooks.manage"),
)
ENDPOINT = {e.key: e for e in ENDPOINTS}


@dataclass(frozen=True)
class Shape:
    """How an answer is spelt. Every text here is one of a few fixed words, never the service's."""

    wrapper: str  # "bare list", "list under “data”", "object", "object under “data”", ...
    key_case: str  # "snake_case", "camelCase", "PascalCase", "mixed", "lower-case words", "none seen"
    id_format: str  # "numbers", "text", "mixed", "none seen"
    time_formats: tuple[str, ...]  # "ISO 8601 UTC (Z)", "ISO 8601 with offset", "epoch seconds", ...
    never_as: tuple[str, ...]  # how a missing time is spelt: "null", "omitted", "Go zero time", ...
    null_lists: bool  # `null` where a list belongs
    paging: str  # "none", "cursor", "next-page address", "Link header", "page numbers", "offsets"
    pages: int  # answers read (for messages: over every thread sampled)
    complete: bool  # the whole list was read
    total: int | None  # the service's own count, when it gave one
    items: int


@dataclass(frozen=True)
class Probe:
    key: str
    label: str
    path: str
    checked: bool  # False: skipped, this credential may not use it (see `problem`)
    reachable: bool  # the service answered (any status)
    status: int | None
    latency_ms: float | None  # the first answer's
    ok: bool
    problem: str  # a sentence of ours, empty when ok
    shape: Shape | None = None
    present: tuple[str, ...] = ()  # fields of the client's model seen in at least one item
    # Seen in no item at all: `missing` fields read as unknown (ids, times); `omitted` ones as empty
    # (false, 0, "", []), the rule for a service that leaves zero values out (assumptions.OMITTED_BOOLEAN).
    missing: tuple[str, ...] = ()
    omitted: tuple[str, ...] = ()
    always_empty: tuple[str, ...] = ()  # fields sent, but null or empty in every item
    extra_fields: int = 0  # keys the client does not read
    rate_limit: dict[str, str] = field(default_factory=dict)
    missing_capability: str = ""  # the one it needs and the credential lacks (skipped, or a 403 naming it)


@dataclass(frozen=True)
class Diagnosis:
    address: str  # scheme, host and path of the base URL; no user, query or fragment
    credential: str  # "API key" or "user token"
    capabilities: tuple[str, ...]
    checked_at: datetime
    seconds: float
    probes: tuple[Probe, ...]

    def probe(self, key: str) -> Probe:
        return next(p for p in self.probes if p.key == key)

    @property
    def healthy(self) -> bool:
        """Every endpoint checked answered as the client expects, whole, with every field."""
        return all(p.ok and not p.missing and (p.shape is None or p.shape.complete)
                   for p in self.probes if p.checked)

    @property
    def rate_limit_headers(self) -> dict[str, str]:
        seen: dict[str, str] = {}
        for probe in self.probes:
            seen.update(probe.rate_limit)
        return seen

    def findings(self) -> list[str]:
        """Technical sentences, one per problem; empty when `healthy`."""
        lines = []
        for p in self.probes:
            if not p.checked:
                continue
            if not p.ok:
                lines.append(f"{p.path}: {p.problem}")
                continue
            if p.missing:
                lines.append(f"{p.path}: no item has {', '.join(p.missing)}")
            if p.shape is not None and not p.shape.complete:
                lines.append(f"{p.path}: the list was read only in part ({p.shape.items:,} items"
                             + (f" of {p.shape.total:,})" if p.shape.total is not None else ")"))
        return lines

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checked_at"] = self.checked_at.isoformat()
        data["healthy"] = self.healthy
        data["findings"] = self.findings()
        return data

    def to_markdown(self) -> str:
        lines = [f"# Connection check: {self.address}", "",
                 f"Checked {self.checked_at:%Y-%m-%d %H:%M} UTC in {self.seconds:,.1f} s with an {self.credential}"
                 if self.credential == "API key" else
                 f"Checked {self.checked_at:%Y-%m-%d %H:%M} UTC in {self.seconds:,.1f} s with a {self.credential}",
                 ""]
        findings = self.findings()
        lines += ["Every endpoint answered as the client expects, whole and with every field.", ""] if not findings \
            else ["## Findings", "", *[f"- {line}" for line in findings], ""]
        lines += ["## Endpoints", "", "| endpoint | answered | status | time | shape | paging | missing fields |",
                  "|---|---|---|---|---|---|---|"]
        for p in self.probes:
            if not p.checked:
                needs = f" (needs {p.missing_capability})" if p.missing_capability else ""
                lines.append(f"| {p.path} | not checked | | | {p.problem}{needs} | | |")
                continue
            latency = f"{p.latency_ms:,.0f} ms" if p.latency_ms is not None else ""
            s = p.shape
            shape = "; ".join([s.wrapper, s.key_case, f"ids: {s.id_format}",
                               f"times: {', '.join(s.time_formats) or 'none seen'}",
                               f"never as: {', '.join(s.never_as) or 'not seen'}"]
                              + (["null lists"] if s.null_lists else [])) if s else p.problem
            paging = (f"{s.paging}, {s.pages:,} answers, {s.items:,} items"
                      + ("" if s.complete else " (partial)")) if s else ""
            lines.append(f"| {p.path} | {'yes' if p.reachable else 'no'} | {p.status or ''} | {latency} | {shape} "
                         f"| {paging} | {', '.join(p.missing)} |")
        headers = self.rate_limit_headers
        lines += ["", "## Rate limits", ""]
        lines += [f"- {name}: {value}" for name, value in sorted(headers.items())] if headers else \
            ["No rate-limit headers were seen."]
        return "\n".join(lines) + "\n"


def diagnose(open_client: Callable[..., Client]) -> Diagnosis:
    """Probe every GET endpoint the credential may use, one after another.

    `open_client(**options)` makes the client to probe with (the doctor adds `response_hook` and
    `max_retries`), e.g. `functools.partial(Client, base_url, api_key=...)`. Never raises for what
    the service answers: each failure becomes its probe's finding.
    """
    started, clock = datetime.now(UTC), time.perf_counter()
    recorder = _Recorder()
    with open_client(response_hook=recorder, max_retries=1) as client:
        run = _Run(client, recorder)
        run.all()
    address = urlsplit(client.base_url)
    return Diagnosis(
        address=f"{address.scheme}://{address.hostname or ''}{f':{address.port}' if address.port else ''}"
                f"{address.path}",
        credential="API key" if client.auth_kind == "api_key" else "user token",
        capabilities=tuple(sorted(run.capabilities - {EVERY_CAPABILITY})) or (
            ("every capability",) if EVERY_CAPABILITY in run.capabilities else ()),
        checked_at=started, seconds=time.perf_counter() - clock, probes=tuple(run.probes))


@dataclass
class _Answer:
    status: int
    latency_ms: float
    body: Any
    next_link: bool
    rate_limit: dict[str, str]
    web_page: bool  # an HTML page (a gateway's or proxy's) instead of an API answer


class _Recorder:
    """The response hook: keeps what the doctor looks at of each answer, never the request."""

    def __init__(self) -> None:
        self.answers: list[_Answer] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        try:
            body = response.json() if response.is_success and response.content.strip() else None
        except ValueError:
            body = None
        rate = {name.lower(): value for name, value in response.headers.items()
                if _RATE_HEADER.search(name) and _SAFE_HEADER_VALUE.match(value)}
        self.answers.append(_Answer(response.status_code, response.elapsed.total_seconds() * 1000, body,
                                    "next" in response.links, rate,
                                    "html" in response.headers.get("Content-Type", "").lower()))

    def take(self) -> list[_Answer]:
        taken, self.answers = self.answers, []
        return taken


class _Run:
    def __init__(self, client: Client, recorder: _Recorder) -> None:
        self.client, self.recorder = client, recorder
        self.probes: list[Probe] = []
        self.capabilities: set[str] = set()

    def all(self) -> None:
        me = self._probe(ENDPOINT["me"], self.client.me.get)
        # An API key has full access (D), whatever /me (an assumed endpoint) answers.
        if self.client.auth_kind == "api_key":
            self.capabilities = {EVERY_CAPABILITY}
        elif isinstance(me, Me):
            self.capabilities = set(me.capabilities)
        if self.probes[-1].status == 401:
            self.probes += [_skipped(e, "not checked: the credential was refused") for e in ENDPOINTS[1:]]
            return
        conversations = self._probe(ENDPOINT["conversations"], lambda: self.client.conversations.list(
            status=ALL_STATUSES))
        sample = _sample_threads(conversations if isinstance(conversations, list) else [])
        self._probe(ENDPOINT["messages"], lambda: self._threads(sample),
                    skip="not checked: there is no conversation to read" if not sample else "")
        self._probe(ENDPOINT["contacts"], self.client.contacts.list)
        self._probe(ENDPOINT["devices"], self.client.devices.list)
        self._probe(ENDPOINT["wa_status"], self.client.wa.status)
        inboxes = self._probe(ENDPOINT["inboxes"], self.client.inboxes.list)
        first = inboxes[0].id if isinstance(inboxes, list) and inboxes else None
        self._probe(ENDPOINT["members"], lambda: self.client.inboxes.members(first),
                    skip="not checked: there is no inbox to read" if first is None else "")
        for key in ("roles", "users", "webhooks"):
            self._probe(ENDPOINT[key], getattr(self.client, key).list)

    def _threads(self, ids: list[int]) -> Listing[Message]:
        """The sampled threads as one list, partial when any of them is."""
        threads = [self.client.conversations.messages(i) for i in ids]
        return Listing([m for thread in threads for m in thread], total=None,
                       complete=not any(is_partial(thread) for thread in threads))

    def _probe(self, endpoint: Endpoint, read: Callable[[], Any], skip: str = "") -> Any:
        needed = endpoint.capability
        if needed and not self.capabilities & {needed, EVERY_CAPABILITY}:
            self.probes.append(_skipped(endpoint, "not checked: this credential may not use it", needed))
            return None
        if skip:
            self.probes.append(_skipped(endpoint, skip))
            return None
        self.recorder.take()
        result: Any = None
        try:
            result = read()
        except CeoxError as exc:
            self.probes.append(_failed(endpoint, exc, self.recorder.take()))
            return None
        self.probes.append(_examined(endpoint, result, self.recorder.take()))
        return result


def _sample_threads(conversations: Sequence[Conversation]) -> list[int]:
    """Solved conversations first (they have replies), then the most recent."""
    ordered = sorted(conversations, key=lambda c: (c.status != "solved", -(c.last_message_at or
                                                                           datetime.min.replace(tzinfo=UTC)).timestamp()))
    return [c.id for c in ordered[:THREADS_SAMPLED]]


def _skipped(endpoint: Endpoint, why: str, capability: str = "") -> Probe:
    return Probe(endpoint.key, endpoint.label, endpoint.path, checked=False, reachable=False, status=None,
                 latency_ms=None, ok=False, problem=why, missing_capability=capability)


def _problem(exc: CeoxError, *, web_page: bool) -> str:
    """Our sentence for a failure: the service's own text may quote anything, so it is never used."""
    if web_page and exc.status:
        return f"the service's gateway answered {exc.status} with a web page instead of an API answer"
    if isinstance(exc, RequestRefused):
        return "refused before sending: the address is not allowed from here"
    if isinstance(exc, TransportError):
        return "could not reach the service"
    if isinstance(exc, AuthError):
        return "the credential was refused"
    if isinstance(exc, PermissionDenied):
        return "this credential is not allowed to use it"
    if isinstance(exc, NotFound):
        return "the service does not have this endpoint"
    if isinstance(exc, RateLimited):
        return "rate limited, even after waiting"
    if isinstance(exc, ServerError):
        return "the service failed"
    if isinstance(exc, IncompleteList):
        return "the list could not be read to its end"
    if exc.status and 200 <= exc.status < 300:
        return "the answer could not be read as the client expects"
    return "the service refused the request"


def _failed(endpoint: Endpoint, exc: CeoxError, answers: list[_Answer]) -> Probe:
    last = answers[-1] if answers else None
    capability = getattr(exc, "capability", None) or ""
    return Probe(endpoint.key, endpoint.label, endpoint.path, checked=True, reachable=last is not None,
                 status=last.status if last else None, latency_ms=answers[0].latency_ms if answers else None,
                 ok=False, problem=_problem(exc, web_page=last is not None and last.web_page),
                 rate_limit=_rate_limit(answers),
                 missing_capability=capability if _CAPABILITY.match(capability) else "")


def _rate_limit(answers: Iterable[_Answer]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for answer in answers:
        seen.update(answer.rate_limit)
    return seen


def _examined(endpoint: Endpoint, result: Any, answers: list[_Answer]) -> Probe:
    read = [a for a in answers if 200 <= a.status < 300]
    records = [r for a in read for r in shapes.records(a.body, endpoint.is_list)]
    present, missing, omitted, empty, extra = shapes.fields(endpoint.model, records,
                                                             _OPTIONAL.get(endpoint.key, ()))
    listing = isinstance(result, Listing)
    shape = Shape(
        wrapper=shapes.wrapper(read[0].body) if read else "none",
        key_case=shapes.key_case(records),
        id_format=shapes.id_format(endpoint.model, records),
        time_formats=shapes.time_formats(endpoint.model, records),
        never_as=shapes.never_as(endpoint.model, records),
        null_lists=any(shapes.null_lists(endpoint.model, a.body, records) for a in read[:1]),
        paging=shapes.paging(read[0].body, read[0].next_link) if read else "none",
        pages=len(read),
        complete=result.complete if listing else True,
        total=result.total if listing else None,
        items=len(result) if isinstance(result, list) else 1,
    )
    last = answers[-1]
    return Probe(endpoint.key, endpoint.label, endpoint.path, checked=True, reachable=True, status=last.status,
                 latency_ms=answers[0].latency_ms, ok=True, problem="", shape=shape, present=present,
                 missing=missing if records else (), omitted=omitted if records else (), always_empty=empty,
                 extra_fields=extra, rate_limit=_rate_limit(answers))
