"""Checks run on what a user typed, before any API call. Each returns an error sentence or None."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_PASSWORD = 8
MAX_NAME = 200


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in value)


def name(value: object, what: str = "Name") -> str | None:
    text = str(value or "").strip()
    if not text:
        return f"{what} is required."
    if len(text) > MAX_NAME:
        return f"{what} is {len(text):,} characters long; at most {MAX_NAME} are allowed."
    if _has_control_characters(text):
        return f"{what} must not contain control characters."
    return None


def email(value: object) -> str | None:
    text = str(value or "").strip()
    if not text:
        return "Email is required."
    if len(text) > 254 or not EMAIL.match(text):
        return f"“{text[:60]}” is not an email address (like budi@acme.co)."
    return None


def password(value: object, what: str = "Password") -> str | None:
    text = str(value or "")
    if len(text) < MIN_PASSWORD:
        return f"{what} must have at least {MIN_PASSWORD} characters."
    if len(text) > 1024:
        return f"{what} is too long (at most 1,024 characters)."
    return None


def phone(value: object) -> str | None:
    text = str(value or "").strip()
    if not text:
        return "Phone is required."
    if not E164.match(text):
        return f"“{text[:40]}” is not an E.164 number: a + then country code and number, like +6281234567890."
    return None


def color(value: object) -> str | None:
    text = str(value or "").strip()
    if text and not COLOR.match(text):
        return f"“{text[:20]}” is not a colour written #rrggbb, like #16a34a."
    return None


def description(value: object) -> str | None:
    text = str(value or "")
    if len(text) > 1000:
        return "Description is too long (at most 1,000 characters)."
    if _has_control_characters(text):
        return "Description must not contain control characters."
    return None


def webhook_url(value: object) -> str | None:
    """http or https only, no credentials inside; https except for localhost and 127.0.0.1."""
    text = str(value or "").strip()
    if not text:
        return "URL is required."
    if len(text) > 2048 or any(ch.isspace() for ch in text):
        return "URL must be one address without spaces (at most 2,048 characters)."
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        return f"“{text[:60]}” is not a valid URL."
    if parts.scheme not in ("http", "https") or not host:
        return "URL must start with http:// or https:// and name a host."
    if parts.username or parts.password:
        return "URL must not contain a user name or password."
    if parts.scheme == "http" and host not in ("localhost", "127.0.0.1"):
        return "Use https:// (plain http is only allowed for localhost and 127.0.0.1)."
    return None


def duplicates(values: Iterable[object]) -> set[str]:
    """Values (compared case-insensitively, trimmed) that occur more than once."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for value in values:
        key = str(value or "").strip().lower()
        if key:
            (repeated if key in seen else seen).add(key)
    return repeated
