"""The one policy for every request the dashboard server makes to an address it was given.

Addresses come from people (a base URL typed on Connect, a webhook URL) and from the service (a
message's `media_url`), so each request is checked where it is sent, not where the address was read:

- the host is resolved once, every address it resolves to is checked, and the connection goes to
  the checked address (the request's URL is rewritten to it; the Host header and the TLS name stay
  the host's), so a DNS answer that changes between check and connect cannot redirect it;
- redirects are never followed (httpx's default, kept on every client made here);
- link-local and cloud-metadata addresses, multicast, reserved and "this network" are refused always;
- loopback, private, unique-local and carrier-grade NAT ranges are refused, except the exact
  addresses and ports the policy trusts (the connected workspace's own origin when it is a local
  sandbox, the dashboard's own receiver) and everything when private targets are allowed (the
  operator says so with `[ceox] allow_private_targets = true`, or only this machine can open the
  dashboard).

A refusal raises `RequestRefused` (a `ceox_api` transport error) whose message is one sentence.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from ceox_api.errors import RequestRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names of cloud metadata services, refused even if some resolver maps them to a harmless-looking address.
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata", "instance-data",
                            "instance-data.ec2.internal", "metadata.azure.internal"})
# Metadata addresses outside the link-local ranges (AWS over IPv6, Alibaba Cloud, Azure's WireServer,
# Oracle Cloud Classic).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "fd00:ec2::254", "100.100.100.200", "168.63.129.16", "192.0.0.192"))
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")  # deprecated, still routed inside some networks

Resolver = Callable[[str, int], list[str]]


class Unresolvable(RequestRefused):
    """The host name has no address here (DNS)."""


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address, which is where packets really go."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def classify(address: IPAddress) -> str:
    """"forbidden" (never), "private" (only when allowed) or "public"."""
    address = _embedded_ipv4(address)
    if address.is_loopback:
        return "private"
    if (address.is_link_local or address.is_multicast or address.is_reserved or address.is_unspecified
            or address in METADATA_ADDRESSES
            or (isinstance(address, ipaddress.IPv4Address) and address in _THIS_NETWORK)):
        return "forbidden"
    if address.is_private or not address.is_global or address in _SITE_LOCAL:
        return "private"
    return "public"


@dataclass(frozen=True)
class Target:
    """A checked destination: the URL as given, its host and port, and the address to connect to."""

    url: str
    host: str
    port: int
    address: str


@dataclass
class OutboundPolicy:
    """Checks and pins destinations. `allow_private` opens loopback and private ranges (never metadata);
    `trusted` opens exactly these private (address, port) pairs."""

    allow_private: bool = False
    trusted: frozenset[tuple[str, int]] = frozenset()
    resolver: Resolver = field(default=_system_resolver, repr=False)
    _pins: dict[tuple[str, int], str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, url: str) -> Target:
        """The pinned destination of `url`; raises RequestRefused with the reason."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise RequestRefused("The address is not a valid URL.") from None
        host = (parts.hostname or "").rstrip(".").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise RequestRefused("Only http:// and https:// addresses with a host name can be used.")
        port = port or (443 if parts.scheme == "https" else 80)
        with self._lock:
            pinned = self._pins.get((host, port))
        if pinned is None:
            pinned = self._resolve(host, port)
            with self._lock:
                self._pins[(host, port)] = pinned
        return Target(url, host, port, pinned)

    def _resolve(self, host: str, port: int) -> str:
        if host in METADATA_NAMES:
            raise RequestRefused(f"{host} is a cloud metadata service, which the dashboard never contacts.")
        try:
            found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self.resolver(host, port)]
        except (OSError, UnicodeError, ValueError):
            found = []
        if not found:
            raise Unresolvable(f"The host name {host} could not be found (DNS): check the spelling, and "
                               "that the name is public.")
        kinds = {classify(a) for a in found}
        if "forbidden" in kinds:
            raise RequestRefused(f"{host} points to a link-local, metadata or reserved address, "
                                 "which the dashboard never contacts.")
        untrusted = [a for a in found if classify(a) == "private" and (str(a), port) not in self.trusted]
        if untrusted and not self.allow_private:
            raise RequestRefused(f"{host} points to a loopback or private network address, which this "
                                 "dashboard does not contact unless its operator allows private targets.")
        return str(found[0])

    def trusting(self, url: str) -> OutboundPolicy:
        """This policy, also trusting the private addresses `url`'s host resolves to, at its port only."""
        return OutboundPolicy(self.allow_private, self.trusted | private_targets(url, self.resolver), self.resolver)

    def address_problem(self, url: str) -> str | None:
        """Why this policy would refuse `url`, or None; a name that does not resolve here is no problem
        yet (it may resolve where it is used), an address the policy refuses is."""
        try:
            self.check(url)
        except Unresolvable:
            return None
        except RequestRefused as exc:
            return exc.message
        return None

    def pin(self, request: httpx.Request) -> None:
        """httpx request hook: check the request's host and send it to the checked address."""
        target = self.check(str(request.url))
        if request.url.host != target.address:
            if request.url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": request.url.host}
            request.url = request.url.copy_with(host=target.address)

    def http_client(self, *, timeout: float | httpx.Timeout) -> httpx.Client:
        """A plain httpx client under this policy (no redirects followed)."""
        return httpx.Client(timeout=timeout, follow_redirects=False, event_hooks={"request": [self.pin]})


def same_origin_url(base_url: str, address: str) -> str:
    """`address` made absolute against the workspace's origin; RequestRefused if it points elsewhere."""
    service = urlsplit(base_url)
    absolute = urljoin(f"{service.scheme}://{service.netloc}/", address)
    target = urlsplit(absolute)
    if (target.scheme, target.netloc.lower()) != (service.scheme, service.netloc.lower()):
        raise RequestRefused("The attachment is stored at another address than the workspace's, so the "
                             "dashboard did not load it.")
    return absolute


def private_targets(url: str, resolver: Resolver = _system_resolver) -> frozenset[tuple[str, int]]:
    """The (address, port) pairs of `url` that are loopback or private (a local sandbox, say): what
    trusting that one address opens, and nothing else on those hosts."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(parts.hostname or "", port)]
    except (OSError, UnicodeError, ValueError):
        return frozenset()
    return frozenset((str(a), port) for a in found if classify(a) == "private")
