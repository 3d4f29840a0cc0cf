"""Password hashing, API key hashing and user tokens (JWT, HS256, 12 h)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import jwt

from ceox_sandbox.store import Store, now

TOKEN_LIFETIME = timedelta(hours=12)
API_KEY_PREFIX = "ceox_"
# scrypt cost kept modest: the sandbox hashes on every login and seeds users at start-up.
_SCRYPT = {"n": 2**12, "r": 8, "p": 1}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    candidate = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest_hex)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(24)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def jwt_secret(store: Store) -> str:
    """The signing secret lives in the database, so tokens survive a restart on the same file."""
    secret = store.get_meta("jwt_secret")
    if secret is None:
        secret = secrets.token_hex(32)
        store.set_meta("jwt_secret", secret)
    return secret


def issue_token(store: Store, user_id: int) -> str:
    issued = now()
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + TOKEN_LIFETIME}
    return jwt.encode(claims, jwt_secret(store), algorithm="HS256")


def token_user_id(store: Store, token: str) -> int | None:
    """The user id a valid, unexpired token names; None for anything else."""
    try:
        claims = jwt.decode(token, jwt_secret(store), algorithms=["HS256"])
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None
    return user_id if 0 < user_id < 2**63 else None  # SQLite integers are 64-bit
