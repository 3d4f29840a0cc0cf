"""Fixtures shared by the security tests."""

from __future__ import annotations

# The access gate's: Streamlit's bind address, the operator's key configured, a fresh count of wrong passwords.
from tests.ui.test_gate import bind, fresh_guard, server_key  # noqa: F401
