"""Connecting to a workspace: the demo sandbox, an API key, or a user's sign-in, each checked live.

A `Workspace` holds the credential for one browser session only; its text never shows the secret,
and caches are keyed by `identity`, a hash, never by the secret itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from ceox_api import Client, Credential
from ceox_api.errors import (
    AuthError,
    CeoxError,
    NotFound,
    PermissionDenied,
    RateLimited,
    RequestRefused,
    ServerError,
    TransportError,
)
from ceox_api.models import Me
from dashboard.capabilities import Capability
from dashboard.outbound import OutboundPolicy, Unresolvable, private_targets
from dashboard.tenants import Identity, identify

PUBLISHED_BASE_URL = "https://api-wa.fantecno.net/api/v1"
ALL_CAPABILITIES = tuple(Capability)
Source = Literal["demo", "browser", "server"]


class ConnectError(Exception):
    """Why a connection attempt failed, as a sentence for the person who typed the details."""


@dataclass(frozen=True)
class Workspace:
    base_url: str
    credential: Credential = field(repr=False)  # the one credential; its identity names everything local
    source: Source
    me: Me = field(repr=False)
    # Whether loopback and private addresses may be contacted on this workspace's behalf (see
    # dashboard/outbound.py); decided at connect time, applied to every request through `policy()`.
    allow_private: bool = False
    # The workspace's own private address and port, when it is a local sandbox (the demo): only that.
    trusted: frozenset[tuple[str, int]] = frozenset()

    @property
    def demo(self) -> bool:
        return self.source == "demo"

    @property
    def kind(self) -> Literal["api_key", "token"]:
        return self.credential.kind

    @property
    def secret(self) -> str:
        """The key or token itself: to compare a key's prefix or mask it in text, never to show it."""
        return self.credential.reveal()

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
        return identify(self.base_url, self.credential.identity, self.me)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(self.me.capabilities)

    def can(self, capability: Capability) -> bool:
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

    def policy(self) -> OutboundPolicy:
        """The outbound policy for requests on behalf of this workspace (API calls, media, webhook tests)."""
        return OutboundPolicy(allow_private=self.allow_private, trusted=self.trusted)

    def client(self, **options) -> Client:
        return Client(self.base_url, credential=self.credential, use_env=False, request_hook=self.policy().pin,
                      **options)


def check_base_url(base_url: str) -> str:
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectError("The base URL must start with https:// (or http:// for a local server), "
                           f"like {PUBLISHED_BASE_URL}.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConnectError("The base URL must be a plain address, without a user name, password, ? or #.")
    return url


PUBLIC_DEMO_ONLY = ("This public demo connects only to the demo workspace and to CEOX's published address, "
                    f"{PUBLISHED_BASE_URL}.")


def _address(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def check_allowed(url: str, only: Collection[str] | None) -> None:
    """On an open public demo (`[gate] public = true`) a typed base URL must be one of `only`: anything
    else would let any visitor make the server send requests wherever they like."""
    if only is not None and _address(url) not in {_address(allowed) for allowed in only}:
        raise ConnectError(PUBLIC_DEMO_ONLY)


def check_api_key(api_key: str) -> str:
    key = api_key.strip()
    if not key:
        raise ConnectError("Paste the API key.")
    if key.lower().startswith("bearer "):
        raise ConnectError("Paste the key alone: API keys are sent without “Bearer”.")
    if not key.startswith("ceox_") or len(key) < 10 or not key.isascii() or any(ch.isspace() for ch in key):
        raise ConnectError("That does not look like a CEOX API key: keys start with ceox_ and have no spaces.")
    return key


# On a publicly reachable dashboard every failure to find a CEOX API reads alike, so that a visitor
# cannot tell a closed port from another service and map the network behind the dashboard.
NO_API_HERE = "No CEOX API answered at that address. Check the base URL (it ends in /api/v1) and try again."


def explain(exc: Exception, *, reveal: bool = True) -> str:
    """A sentence saying why a connection failed and what to try; `reveal=False` hides which step failed."""
    if isinstance(exc, RequestRefused) and (reveal or not isinstance(exc, Unresolvable)):
        return exc.message
    if not reveal and not isinstance(exc, AuthError):
        return NO_API_HERE
    if isinstance(exc, AuthError):
        return "The server refused this credential: check it was copied whole and has not been revoked."
    if isinstance(exc, TransportError):
        text = exc.message.lower()
        if "ssl" in text or "certificate" in text or "tls" in text:
            return "The secure connection failed (TLS certificate problem). Check the address and its certificate."
        if "timeout" in text or "timed out" in text:
            return "The server did not answer in time. Check the address, or try again."
        return "The server could not be reached. Check the address and your network."
    if isinstance(exc, ServerError):
        # The address is right (a server answered for it); what is behind it is failing.
        return (f"The service is failing right now (it answered {exc.status}): the address and credential may "
                "well be right. Try again in a few minutes.")
    if isinstance(exc, RateLimited):
        return "The service is rate limiting requests: wait a moment and try again."
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
            source: Source = "browser", allow_private: bool = False, trust_address: bool | None = None,
            reveal: bool = True, only: Collection[str] | None = None) -> Workspace:
    """Check the credential with a live call; raise ConnectError with the reason when it fails.

    `allow_private`: may any loopback and private address be contacted, at connect time and afterwards
    on this workspace's behalf (the operator allows it, or only this machine opens the dashboard)?
    `trust_address`: may this base URL's own address be private (the demo this process runs, the
    operator's configured workspace; the default for those sources), without opening any other
    private address. `reveal=False`: failures do not say which step failed (see `NO_API_HERE`).
    `only`: see `check_allowed`.
    """
    url = check_base_url(base_url)
    check_allowed(url, only)
    if trust_address is None:
        trust_address = source in ("demo", "server")
    trusted = private_targets(url) if trust_address else frozenset()
    policy = OutboundPolicy(allow_private=allow_private, trusted=trusted)
    kind: Literal["api_key", "token"] = "api_key" if api_key is not None else "token"
    secret = check_api_key(api_key) if api_key is not None else (token or "").strip().removeprefix("Bearer ")
    if not secret:
        raise ConnectError("Paste the token.")
    try:
        credential = Credential(kind, secret)
        with Client(url, credential=credential, use_env=False, max_retries=1, request_hook=policy.pin) as client:
            me = _who_am_i(client, kind)
    except PermissionDenied:
        raise ConnectError("Signed in, but this account may not read its own profile." if reveal
                           else NO_API_HERE) from None
    except (CeoxError, ValueError) as exc:
        raise ConnectError(explain(exc, reveal=reveal)) from None
    return Workspace(url, credential, source, me, allow_private=allow_private, trusted=trusted)


def sign_in(base_url: str, email: str, password: str, *, allow_private: bool = False,
            trust_address: bool = False, reveal: bool = True, only: Collection[str] | None = None) -> Workspace:
    """Sign in with email and password, then connect with the token; the options are `connect`'s."""
    url = check_base_url(base_url)
    check_allowed(url, only)
    trusted = private_targets(url) if trust_address else frozenset()
    policy = OutboundPolicy(allow_private=allow_private, trusted=trusted)
    if not email.strip() or not password:
        raise ConnectError("Enter your email and password.")
    try:
        # No credential of ours goes along: a typed address must never receive a configured key.
        with Client(url, api_key=None, token=None, use_env=False, max_retries=1,
                    request_hook=policy.pin) as client:
            token = client.auth.login(email=email.strip(), password=password).token.get_secret_value()
    except AuthError:
        raise ConnectError("Wrong email or password.") from None
    except NotFound:
        if not reveal:
            raise ConnectError(NO_API_HERE) from None
        raise ConnectError("This server has no sign-in endpoint: paste a token instead.") from None
    except (CeoxError, ValueError) as exc:
        raise ConnectError(explain(exc, reveal=reveal)) from None
    return connect(url, token=token, source="browser", allow_private=allow_private, trust_address=trust_address,
                   reveal=reveal)
