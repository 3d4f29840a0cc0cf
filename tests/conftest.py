"""Shared fixtures: real sandbox servers on free loopback ports."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ceox_sandbox.server import SandboxServer
from tests.postgres import Cluster, PostgresUnavailable

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


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster for the session; skips where none can start, fails under CI=true."""
    cluster = Cluster()
    try:
        cluster.start()
    except (PostgresUnavailable, OSError) as exc:
        cluster.stop()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL could not start: {exc}")
        pytest.skip(f"PostgreSQL could not start: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_state(request, tmp_path, monkeypatch) -> str:
    """Each storage test twice: the SQLite files of a fresh data directory, then a fresh PostgreSQL database
    (CEOX_DATABASE_URL). Returns the backend's name."""
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "ceox-data"))
    if request.param == "postgresql":
        monkeypatch.setenv("CEOX_DATABASE_URL", request.getfixturevalue("postgres_cluster").new_database())
    else:
        monkeypatch.delenv("CEOX_DATABASE_URL", raising=False)
    return request.param
