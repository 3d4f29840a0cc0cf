"""Connecting to a workspace: the demo sandbox, an API key, or a user's sign-in, each checked live.

A `Workspace` holds the credential for one browser session only; its text never shows the secret,
and caches are keyed by `identity`, a hash, never by the secret itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from ceox_api import Client
from ceox_api._base import Credential
from ceox_api.errors import AuthError, CeoxError, NotFound, PermissionDenied, TransportError
from ceox_api.models import Me
from dashboard.tenants import Identity, identify

PUBLISHED_BASE_URL = "https://api-wa.fantecno.net/api/v1"
ALL_CAPABILITIES = ("chats.send", "inbox.view_all", "analytics.view", "users.manage", "roles.manage",
                    "inboxes.manage", "contacts.manage", "webhooks.manage")
Source = Literal["demo", "browser", "server"]


class ConnectError(Exception):
    """Why a connection attempt failed, as a sentence for the person who typed the details."""


@dataclass(frozen=True)
class Workspace:
    base_url: str
    kind: Literal["api_key", "token"]
    secret: str = field(repr=False)
    source: Source
    me: Me = field(repr=False)

    @property
    def demo(self) -> bool:
        return self.source == "demo"

    @property
    def identity(self) -> str:
        """Names this credential (a user: across sign-ins) in cache keys and file names; reveals no secret."""
        return self._names.credential

    @property
    def workspace_id(self) -> str:
        """Names the tenant whose local data this credential reaches (dashboard/tenants.py): the service's
        workspace when it names one, else the credential itself; never the base URL alone."""
        return self._names.tenant

    @property
    def _names(self) -> Identity:
        return identify(self.base_url, Credential(self.kind, self.secret).identity, self.me)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(self.me.capabilities)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def actor(self) -> str:
        """Who acts, for the audit log and the sidebar: the user, or the API key."""
        if self.me.user is None:
            return "API key"
        return f"{self.me.user.name} <{self.me.user.email}>"

    @property
    def role_name(self) -> str:
        return self.me.role.name if self.me.role else ("full access" if self.kind == "api_key" else "no role")

    def client(self, **options) -> Client:
        credential = {"api_key": self.secret} if self.kind == "api_key" else {"token": self.secret}
        return Client(self.base_url, **credential, use_env=False, **options)


def check_base_url(base_url: str) -> str:
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectError("The base URL must start with https:// (or http:// for a local server), "
                           f"like {PUBLISHED_BASE_URL}.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConnectError("The base URL must be a plain address, without a user name, password, ? or #.")
    return url


def check_api_key(api_key: str) -> str:
    key = api_key.strip()
    if not key:
        raise ConnectError("Paste the API key.")
    if key.lower().startswith("bearer "):
        raise ConnectError("Paste the key alone: API keys are sent without “Bearer”.")
    if not key.startswith("ceox_") or len(key) < 10 or any(ch.isspace() for ch in key):
        raise ConnectError("That does not look like a CEOX API key: keys start with ceox_ and have no spaces.")
    return key


def explain(exc: Exception) -> str:
    """A sentence saying why a connection failed and what to try."""
    if isinstance(exc, AuthError):
        return "The server refused this credential: check it was copied whole and has not been revoked."
    if isinstance(exc, TransportError):
        text = exc.message.lower()
        if "ssl" in text or "certificate" in text or "tls" in text:
            return "The secure connection failed (TLS certificate problem). Check the address and its certificate."
        if "timeout" in text or "timed out" in text:
            return "The server did not answer in time. Check the address, or try again."
        return "The server could not be reached. Check the address and your network."
    if isinstance(exc, (NotFound, CeoxError)):
        return "That address answered, but not like a CEOX API. Check the base URL (it ends in /api/v1)."
    return "The server's answer could not be read as a CEOX API."


def _who_am_i(client: Client, kind: str) -> Me:
    """`GET /me`; a server without it (A) still proves an API key works by listing devices."""
    try:
        return client.me.get()
    except NotFound:
        if kind != "api_key":
            raise
        client.devices.list()
        return Me(kind="api_key", user=None, role=None, capabilities=list(ALL_CAPABILITIES))


def connect(base_url: str, *, api_key: str | None = None, token: str | None = None,
            source: Source = "browser") -> Workspace:
    """Check the credential with a live call; raise ConnectError with the reason when it fails."""
    url = check_base_url(base_url)
    kind: Literal["api_key", "token"] = "api_key" if api_key is not None else "token"
    secret = check_api_key(api_key) if api_key is not None else (token or "").strip().removeprefix("Bearer ")
    if not secret:
        raise ConnectError("Paste the token.")
    try:
        with Client(url, **{kind: secret}, use_env=False, max_retries=1) as client:
            me = _who_am_i(client, kind)
    except PermissionDenied as exc:
        raise ConnectError(f"Signed in, but this account may not read its own profile ({exc.message}).") from None
    except (CeoxError, ValueError) as exc:
        raise ConnectError(explain(exc)) from None
    return Workspace(url, kind, secret, source, me)


def sign_in(base_url: str, email: str, password: str) -> Workspace:
    url = check_base_url(base_url)
    if not email.strip() or not password:
        raise ConnectError("Enter your email and password.")
    try:
        # No credential of ours goes along: a typed address must never receive a configured key.
        with Client(url, api_key=None, token=None, use_env=False, max_retries=1) as client:
            token = client.auth.login(email=email.strip(), password=password).token.get_secret_value()
    except AuthError:
        raise ConnectError("Wrong email or password.") from None
    except NotFound:
        raise ConnectError("This server has no sign-in endpoint: paste a token instead.") from None
    except (CeoxError, ValueError) as exc:
        raise ConnectError(explain(exc)) from None
    return connect(url, token=token, source="browser")
