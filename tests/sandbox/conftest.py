"""Fixtures for the sandbox's HTTP tests (the servers themselves come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ceox_sandbox.server import SandboxServer
from tests.conftest import FAST_RETRIES
from tests.sandbox.helpers import api


@pytest.fixture
def demo(demo_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """`/api/v1` of the shared demo workspace, with its API key."""
    with api(demo_sandbox) as client:
        yield client


@pytest.fixture
def demo_root(demo_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """The demo workspace's host root (`/sandbox/...`, `/media/...`), with its API key."""
    with api(demo_sandbox, root=True) as client:
        yield client


@pytest.fixture
def empty(empty_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """`/api/v1` of a new, empty workspace, with its API key."""
    with api(empty_sandbox) as client:
        yield client


@pytest.fixture
def empty_root(empty_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with api(empty_sandbox, root=True) as client:
        yield client


@pytest.fixture(scope="session")
def scratch_sandbox() -> Iterator[SandboxServer]:
    """An empty workspace shared by the session, for tests that make their own objects (devices included)
    and do not need a clean slate; starting and stopping a server costs about 0.2 s."""
    with SandboxServer(seed="empty", webhook_retry_delays=FAST_RETRIES) as server:
        yield server


@pytest.fixture
def scratch(scratch_sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with api(scratch_sandbox) as client:
        yield client
