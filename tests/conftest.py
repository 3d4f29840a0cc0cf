"""Shared fixtures: real sandbox servers on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ceox_sandbox.server import SandboxServer

# Webhook retries in tests: the same schedule shape as production, in milliseconds.
FAST_RETRIES = (0.05, 0.1, 0.2)


@pytest.fixture(scope="session")
def demo_sandbox() -> Iterator[SandboxServer]:
    """The seeded demo workspace, shared by the whole session: tests create their own objects in it."""
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


@pytest.fixture
def empty_sandbox() -> Iterator[SandboxServer]:
    """A new, empty workspace per test."""
    with SandboxServer(seed="empty", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main thread
    while its browser is open, and asyncio-based tests cannot start their own inside it."""
    items.sort(key=lambda item: item.nodeid.replace("\\", "/").startswith("tests/browser/"))
