"""The access gate: who may open the dashboard when it holds a server-side credential.

A dashboard started with an operator's API key (environment or `.streamlit/secrets.toml`) opens that
workspace for every visitor. On a loopback address only this machine can visit; on any other address
the dashboard first asks for its own sign-in: OIDC through `st.login` when `[auth]` is configured,
otherwise the operator password whose hash is in `[gate] password_hash`. With neither, it refuses to
open rather than fall open. This module decides which (no streamlit here) and hashes passwords.

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
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# scrypt's cost: 2**15 × 8 × 128 bytes = 32 MiB and about 0.1 s per check, which also slows guessing.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_SCRYPT_N, MAX_SCRYPT_N = 2**14, 2**20
SALT_BYTES, KEY_BYTES = 16, 32
MAX_PASSWORD_CHARS = 1024  # longer input is refused before hashing
MIN_NEW_PASSWORD_CHARS = 12

# Against guessing in one browser session: a pause after each wrong password, and a lockout after a few.
FAILURE_DELAY_SECONDS = 1.0
MAX_FAILURES = 5
LOCKOUT_SECONDS = 60.0

OIDC_SHARED_KEYS = ("redirect_uri", "cookie_secret")
OIDC_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
DEFAULT_PROVIDER = "default"

Kind = Literal["open", "oidc", "password", "refuse"]


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
    allowed_emails: tuple[str, ...] = ()  # OIDC accounts let in ("ops@x.org", or "@x.org" for a domain); () = any
    password_hash: str = field(default="", repr=False)
    problems: tuple[str, ...] = ()  # why the dashboard refuses to open

    @property
    def fingerprint(self) -> str:
        """Names this gate's configuration, so that changing the password locks signed-in sessions again."""
        text = "\n".join((self.kind, self.password_hash, *self.providers, *self.allowed_emails))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def decide(address: str | None, *, server_credential: bool, auth: Mapping | None = None,
           gate: Mapping | None = None) -> Gate:
    """The gate for a server bound to `address`, from the `[auth]` and `[gate]` sections of the secrets.

    `[gate] require = true` asks for a sign-in even on loopback (behind a reverse proxy that adds none).
    """
    gate = gate or {}
    required = gate.get("require") is True or (server_credential and not is_loopback(address))
    if not required:
        return Gate("open")
    allowed = _allowed_emails(gate.get("allowed_emails"))
    providers, problems = oidc_providers(auth)
    if providers and allowed is not None:
        return Gate("oidc", providers=providers, allowed_emails=allowed)
    if allowed is None:
        problems.append("[gate] allowed_emails must list addresses or @domains (leave it out to let in "
                        "anyone the provider signs in)")
    encoded = gate.get("password_hash")
    if encoded is not None:
        try:
            _parse_hash(str(encoded))
        except ValueError as exc:
            problems.append(f"[gate] password_hash is not usable: {exc}")
        else:
            return Gate("password", password_hash=str(encoded))
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


def _allowed_emails(value: object) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        return None
    entries = tuple(str(entry).strip().lower() for entry in value)
    return entries if entries and all("@" in entry for entry in entries) else None


def identity_allowed(user: Mapping, allowed: tuple[str, ...]) -> bool:
    """Whether an OIDC identity (`st.user`) may open the dashboard under `[gate] allowed_emails`."""
    if user.get("is_logged_in") is not True:
        return False
    if not allowed:
        return True
    email = str(user.get("email") or "").strip().lower()
    if "@" not in email or user.get("email_verified") is False:
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


@dataclass
class Attempts:
    """Wrong passwords in one browser session: after MAX_FAILURES in a row, none is checked for a while."""

    failures: int = 0
    locked_until: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds until a password may be tried again; 0 when it may now."""
        return max(0.0, self.locked_until - now)

    def failed(self, now: float) -> None:
        self.failures += 1
        if self.failures >= MAX_FAILURES:
            self.failures = 0
            self.locked_until = now + LOCKOUT_SECONDS


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
