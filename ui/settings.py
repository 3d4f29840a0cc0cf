"""The operator's settings, read one way: an environment variable wins, else `.streamlit/secrets.toml`.

    [ceox]                      # CEOX_API_KEY, CEOX_BASE_URL, CEOX_DATABASE_URL, CEOX_PUBLIC_URL,
    api_key = "ceox_…"          # CEOX_ALLOW_PRIVATE_TARGETS
    [gate] / [auth]             # sections read whole (ui/gate.py)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import streamlit as st


def section(name: str) -> dict[str, Any] | None:
    """A whole `[name]` section of secrets.toml; None when there is none (no file is the normal case)."""
    try:
        found = st.secrets.get(name)
    except Exception:  # noqa: BLE001 (a missing or unreadable secrets file reads as no settings)
        return None
    if not isinstance(found, Mapping):
        return None
    return found.to_dict() if hasattr(found, "to_dict") else dict(found)


def text(key: str, env: str | None = None, section_name: str = "ceox") -> str:
    """The setting as text: `env` from the environment when set, else `[section_name] key`; "" if neither."""
    if env is not None and (value := os.environ.get(env, "").strip()):
        return value
    return str((section(section_name) or {}).get(key, "")).strip()


def flag(key: str, env: str | None = None, section_name: str = "ceox") -> bool:
    """A yes/no setting: true, 1 or yes (any case) mean yes."""
    if env is not None and is_yes(os.environ.get(env, "")):
        return True
    return is_yes((section(section_name) or {}).get(key))


def is_yes(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes")
