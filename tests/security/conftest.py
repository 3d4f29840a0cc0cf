"""Fixtures shared by the security tests."""

from __future__ import annotations

# Autouse, as for the page tests: the dashboard's files go to a fresh directory, no operator key is inherited.
from tests.ui.conftest import private_data_dir  # noqa: F401

# The access gate's: Streamlit's bind address, the operator's key configured, a fresh count of wrong passwords.
from tests.ui.test_gate import bind, fresh_guard, server_key  # noqa: F401
