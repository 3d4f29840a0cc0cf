"""The access gate: who may open the dashboard, and how guessing the operator password is slowed.

A dashboard bound to a loopback address is reachable from this machine only and opens without a sign-in.
On any other address the dashboard first asks for its own sign-in, whether or not it holds the
operator's API key (visitors could otherwise make it send requests from the server): OIDC through
`st.login` when `[auth]` is configured, otherwise the operator password whose hash is in
`[gate] password_hash`. With neither, it refuses to open rather than fall open, unless the operator
declared an open public demo (`[gate] public = true`, only without a server key), which then connects to
the demo and CEOX's published address only. This module decides which (no streamlit here), hashes
passwords, and counts wrong ones per client address for the whole process.

Make the line to paste into `.streamlit/secrets.toml` with `python -m dashboard.gate hash`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import getpass
import hashlib
import hmac
import ipaddress
import secrets
import sys
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

# scrypt's cost: 2**15 × 8 × 128 bytes = 32 MiB and about 0.1 s per check, which also slows guessing.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_SCRYPT_N, MAX_SCRYPT_N = 2**14, 2**20
SALT_BYTES, KEY_BYTES = 16, 32
MAX_PASSWORD_CHARS = 1024  # longer input is refused before hashing
MIN_NEW_PASSWORD_CHARS = 12

# Against guessing, per client address over every session of the process: a pause after each wrong
# password, and a lockout after a few. Over all addresses (one guesser may hold many): a failure budget per
# window, after which every attempt waits; and a cap on simultaneous scrypt checks (32 MiB each).
FAILURE_DELAY_SECONDS = 1.0
MAX_FAILURES = 5
LOCKOUT_SECONDS = 60.0
FORGET_SECONDS = 15 * 60.0  # an address's wrong passwords are forgotten this long after its last one
GLOBAL_MAX_FAILURES = 30
GLOBAL_WINDOW_SECONDS = 60.0
MAX_CONCURRENT_CHECKS = 3
IPV6_CLIENT_PREFIX = 64  # one subscriber usually holds a whole /64
NO_ADDRESS = "no address"  # all clients without one count together (Streamlit gives none from this machine)

OIDC_SHARED_KEYS = ("redirect_uri", "cookie_secret")
OIDC_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
DEFAULT_PROVIDER = "default"

# "public": an open demo the operator declared; Connect then reaches only the demo and the published address.
Kind = Literal["open", "public", "oidc", "password", "refuse"]


def is_loopback(address: str | None) -> bool:
    """Whether a server bound to `address` is reachable from this machine only.

    No address means every interface; a host name other than localhost may resolve anywhere.
    """
    text = (address or "").strip().removeprefix("[").removesuffix("]")
    if not text:
        return False
    if text.lower().rstrip(".") == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


@dataclass(frozen=True)
class Gate:
    """What a visitor must do before the dashboard opens."""

    kind: Kind
    providers: tuple[str, ...] = ()  # OIDC providers to offer ("default" is the unnamed one)
    allowed_emails: tuple[str, ...] = ()  # OIDC accounts let in ("ops@x.org", or "@x.org" for a domain)
    allowed_tenants: tuple[str, ...] = ()  # Microsoft Entra tenant ids let in; with no emails either, anyone
    password_hash: str = field(default="", repr=False)
    trusted_proxy: bool = False  # X-Forwarded-For names the client (only a proxy can reach the dashboard)
    problems: tuple[str, ...] = ()  # why the dashboard refuses to open

    @property
    def fingerprint(self) -> str:
        """Names this gate's configuration, so that changing the password locks signed-in sessions again."""
        text = "\n".join((self.kind, self.password_hash, *self.providers, *self.allowed_emails,
                          *self.allowed_tenants))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def decide(address: str | None, *, server_credential: bool, auth: Mapping | None = None,
           gate: Mapping | None = None) -> Gate:
    """The gate for a server bound to `address`, from the `[auth]` and `[gate]` sections of the secrets.

    `[gate] require = true` asks for a sign-in even on loopback (behind a reverse proxy that adds none).
    """
    gate = gate or {}
    if gate.get("require") is not True and is_loopback(address):
        return Gate("open")
    allowed = _entries(gate.get("allowed_emails"), lambda entry: "@" in entry)
    tenants = _entries(gate.get("allowed_tenants"), lambda entry: entry.replace("-", "").isalnum())
    providers, problems = oidc_providers(auth)
    if providers and allowed is not None and tenants is not None:
        return Gate("oidc", providers=providers, allowed_emails=allowed, allowed_tenants=tenants)
    if allowed is None:
        problems.append("[gate] allowed_emails must list addresses or @domains (leave it out to let in "
                        "anyone the provider signs in)")
    if tenants is None:
        problems.append("[gate] allowed_tenants must list Microsoft Entra tenant ids")
    encoded = gate.get("password_hash")
    if encoded is not None:
        try:
            _parse_hash(str(encoded))
        except ValueError as exc:
            problems.append(f"[gate] password_hash is not usable: {exc}")
        else:
            return Gate("password", password_hash=str(encoded), trusted_proxy=gate.get("trusted_proxy") is True)
    public = gate.get("public")
    if public is not None and not isinstance(public, bool):
        problems.append("[gate] public must be true or false")
    elif public is True and server_credential:
        problems.append("[gate] public = true would open the server's API key to anyone: remove the key "
                        "(CEOX_API_KEY, [ceox] api_key) or configure a sign-in instead")
    elif public is True and not problems:
        return Gate("public")
    if not problems:
        problems.append("neither single sign-on ([auth]) nor an operator password ([gate] password_hash) "
                        "is configured")
    return Gate("refuse", problems=tuple(problems))


def oidc_providers(auth: Mapping | None) -> tuple[tuple[str, ...], list[str]]:
    """The complete OIDC providers in Streamlit's `[auth]` section, and what is wrong with the rest."""
    if not auth:
        return (), []
    problems = [f"[auth] lacks {key}" for key in OIDC_SHARED_KEYS if not auth.get(key)]
    candidates: dict[str, Mapping] = {}
    if any(auth.get(key) for key in OIDC_PROVIDER_KEYS):
        candidates[DEFAULT_PROVIDER] = auth
    candidates.update({name: value for name, value in auth.items() if isinstance(value, Mapping)
                       and name != "client_kwargs"})
    providers = []
    for name, section in candidates.items():
        where = "[auth]" if name == DEFAULT_PROVIDER else f"[auth.{name}]"
        missing = [key for key in OIDC_PROVIDER_KEYS if not section.get(key)]
        if missing:
            problems.append(f"{where} lacks {', '.join(missing)}")
        elif "_" in name:
            problems.append(f"{where}: Streamlit does not support an underscore in a provider name")
        else:
            providers.append(name)
    if not candidates:
        problems.append("[auth] names no provider (client_id, client_secret, server_metadata_url)")
    if problems:
        return (), problems
    return tuple(providers), []


def _entries(value: object, valid: Callable[[str], bool]) -> tuple[str, ...] | None:
    """A list from the secrets, lower-cased: () when absent, None when it is not a non-empty list of valid text."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        return None
    entries = tuple(str(entry).strip().lower() for entry in value)
    return entries if entries and all(entry and valid(entry) for entry in entries) else None


def _verified(user: Mapping) -> bool:
    """Only a provider's explicit yes counts: some send the claim as text, and Entra sends none at all."""
    value = user.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def identity_allowed(user: Mapping, allowed: tuple[str, ...], tenants: tuple[str, ...] = ()) -> bool:
    """Whether an OIDC identity (`st.user`) may open the dashboard under `[gate] allowed_emails` and
    `allowed_tenants`: a verified email on the list, or a Microsoft Entra tenant id (`tid`) on the other."""
    if user.get("is_logged_in") is not True:
        return False
    if not allowed and not tenants:
        return True
    tenant = str(user.get("tid") or "").strip().lower()
    if tenant and tenant in tenants:
        return True
    email = str(user.get("email") or "").strip().lower()
    if "@" not in email or not _verified(user):
        return False
    domain = "@" + email.rsplit("@", 1)[1]
    return email in allowed or domain in allowed


# Operator password: "scrypt$<n>$<r>$<p>$<salt>$<key>", salt and key in unpadded URL-safe base64.

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    secret = unicodedata.normalize("NFC", password).encode()
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=256 * n * r * p, dklen=length)


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    if not isinstance(encoded, str):
        raise ValueError("it is not text")
    parts = encoded.strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("expected scrypt$n$r$p$salt$key, as made by `python -m dashboard.gate hash`")
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        raise ValueError("its numbers or its base64 parts do not read") from None
    if n & (n - 1) or not MIN_SCRYPT_N <= n <= MAX_SCRYPT_N or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise ValueError(f"n must be a power of two from {MIN_SCRYPT_N} to {MAX_SCRYPT_N}, r 1–32, p 1–16")
    if 128 * n * r * p > 256 * 2**20:
        raise ValueError("its parameters need more than 256 MiB")
    if len(salt) < SALT_BYTES or not 16 <= len(key) <= 64:
        raise ValueError(f"the salt must have at least {SALT_BYTES} bytes and the key 16–64")
    return n, r, p, salt, key


def _acceptable(password: object) -> bool:
    """Text of 1 to MAX_PASSWORD_CHARS characters, none of them control characters: scrypt's first step
    (PBKDF2-HMAC) pads short keys with NUL bytes, so "pw" and "pw\\0" would otherwise both open the gate."""
    return (isinstance(password, str) and 0 < len(password) <= MAX_PASSWORD_CHARS
            and not any(unicodedata.category(ch) == "Cc" for ch in password))


def hash_password(password: str, *, n: int = SCRYPT_N, salt: bytes | None = None) -> str:
    """The `[gate] password_hash` value for `password`, salted."""
    if not _acceptable(password):
        raise ValueError(f"a password has 1 to {MAX_PASSWORD_CHARS} characters and no control characters")
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    encoded = f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"
    _parse_hash(encoded)
    return encoded


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches the hash; compares in constant time; never raises on bad input."""
    try:
        n, r, p, salt, expected = _parse_hash(encoded)
    except ValueError:
        return False
    if not _acceptable(password):
        return False
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(expected)), expected)


def client_address(peer: object, forwarded_for: Sequence[object], *, trusted_proxy: bool) -> str:
    """Names the client whose wrong passwords count together.

    `peer` is the connection's address as Streamlit gives it (None from this machine). Only when the operator
    declared a proxy in front (`[gate] trusted_proxy`) does X-Forwarded-For count, and then only its last
    entry, the one that proxy appended: the ones before it are whatever the client sent. IPv6 clients count
    per /64. Anything that does not read as an address counts as NO_ADDRESS.
    """
    text = peer if isinstance(peer, str) else ""
    if trusted_proxy:
        entries = [entry.strip() for header in forwarded_for if isinstance(header, str) for entry in header.split(",")]
        if entries and entries[-1]:
            text = entries[-1]
    try:
        ip = ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return NO_ADDRESS
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(ip)


@dataclass
class Attempts:
    """Wrong passwords from one client address: after MAX_FAILURES in a row, none is checked for a while."""

    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds until a password may be tried again; 0 when it may now."""
        return max(0.0, self.locked_until - now)

    def failed(self, now: float) -> None:
        self.failures += 1
        self.last_failure = now
        if self.failures >= MAX_FAILURES:
            self.failures = 0
            self.locked_until = now + LOCKOUT_SECONDS

    def forgotten(self, now: float) -> bool:
        return not self.wait(now) and now - self.last_failure >= FORGET_SECONDS


@dataclass(frozen=True)
class Verdict:
    """How one password attempt went: passed; wrong; not checked, wait this long; not checked, busy."""

    kind: Literal["passed", "wrong", "wait", "busy"]
    wait_seconds: float = 0.0


class Guard:
    """Operator password checks for the whole process: every browser session (a new tab is one) shares it.

    Counts wrong passwords per client address and over all addresses, and lets at most
    MAX_CONCURRENT_CHECKS scrypt computations run at once; an attempt beyond that is refused as busy
    rather than queued, so a flood of attempts cannot hold the server's memory or threads.
    """

    def __init__(self, max_concurrent_checks: int = MAX_CONCURRENT_CHECKS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_address: dict[str, Attempts] = {}
        self._recent_failures: deque[float] = deque()  # over all addresses, within GLOBAL_WINDOW_SECONDS
        self._checks = threading.BoundedSemaphore(max_concurrent_checks)

    def wait(self, address: str) -> float:
        """Seconds until `address` may try a password again; 0 when it may now."""
        now = self._clock()
        with self._lock:
            while self._recent_failures and now - self._recent_failures[0] >= GLOBAL_WINDOW_SECONDS:
                self._recent_failures.popleft()
            everyone = 0.0
            if len(self._recent_failures) >= GLOBAL_MAX_FAILURES:
                everyone = self._recent_failures[0] + GLOBAL_WINDOW_SECONDS - now
            attempts = self._by_address.get(address)
            return max(everyone, attempts.wait(now) if attempts else 0.0)

    def check(self, address: str, password: str, encoded: str) -> Verdict:
        """Check `password` against the hash, unless `address` or everyone must wait or too many checks run."""
        wait = self.wait(address)
        if wait:
            return Verdict("wait", wait)
        if not self._checks.acquire(blocking=False):
            return Verdict("busy")
        try:
            ok = verify_password(password, encoded)
        finally:
            self._checks.release()
        now = self._clock()
        with self._lock:
            if ok:
                self._by_address.pop(address, None)
                return Verdict("passed")
            # The global budget bounds how many addresses can have failed within FORGET_SECONDS, so this stays small.
            for stale in [key for key, value in self._by_address.items() if value.forgotten(now)]:
                del self._by_address[stale]
            self._by_address.setdefault(address, Attempts()).failed(now)
            self._recent_failures.append(now)
        return Verdict("wrong")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.gate",
        description="Make the operator password's hash for the dashboard's access gate.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("hash", help="ask for a password (twice) and print the [gate] lines for secrets.toml")
    parser.parse_args(argv)
    password = getpass.getpass("Operator password: ")
    if len(password) < MIN_NEW_PASSWORD_CHARS or not _acceptable(password):
        print(f"Use {MIN_NEW_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters, none of them control characters.",
              file=sys.stderr)
        return 1
    if not hmac.compare_digest(password.encode(), getpass.getpass("The same again: ").encode()):
        print("The two passwords differ.", file=sys.stderr)
        return 1
    print("# Paste into .streamlit/secrets.toml (readable by the service user only):")
    print("[gate]")
    print(f'password_hash = "{hash_password(password)}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
