"""One small sandbox and one shape-changing proxy in front of it for the whole module; each test sets
the proxy's variant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ceox_sandbox.seed_small import seed_small
from ceox_sandbox.server import SandboxServer
from ceox_sandbox.store import now
from tests.conftest import FAST_RETRIES
from tests.shapes.proxy import ShapeProxy


@pytest.fixture(scope="package")
def small_sandbox() -> Iterator[SandboxServer]:
    """About fifty conversations: every page and the analytics sync stay quick for each variant."""
    with SandboxServer(seed="empty", webhook_retry_delays=FAST_RETRIES) as server:
        seed_small(server.state.store, now(), 2)
        yield server


@pytest.fixture(scope="package")
def shape_proxy(small_sandbox: SandboxServer) -> Iterator[ShapeProxy]:
    with ShapeProxy(small_sandbox.base_url) as proxy:
        yield proxy
