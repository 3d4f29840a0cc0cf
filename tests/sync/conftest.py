"""A private demo sandbox per test module: these tests add messages, users and faults to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ceox_api import Client
from ceox_sandbox.seed import DEMO_PASSWORD
from ceox_sandbox.server import SandboxServer
from dashboard.connection import Workspace, connect, sign_in
from tests.conftest import FAST_RETRIES

AGENT = "agent@demo.ceox.local"  # an Agent of inbox 1 (Sales) only
# Keep one conversation in this many: the same kinds of conversations, a fifth of the requests. The
# benchmark (bench/sync.py) syncs the whole demo workspace and checks it against a direct read.
KEEP_ONE_IN = 5


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(seed="demo", webhook_retry_delays=FAST_RETRIES) as server:
        delete_conversations(server, f"id % {KEEP_ONE_IN} != 0")
        yield server


def delete_conversations(sandbox: SandboxServer, where: str, params: tuple = ()) -> None:
    """The API cannot delete conversations; the service may (or a contact may be erased)."""
    with sandbox.state.store.tx() as db:
        db.execute(f"DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE {where})",
                   params)
        db.execute(f"DELETE FROM conversations WHERE {where}", params)


@pytest.fixture(scope="module")
def admin(sandbox: SandboxServer) -> Iterator[Client]:
    with Client(sandbox.api_url, api_key=sandbox.api_key, use_env=False) as client:
        yield client


@pytest.fixture(scope="module")
def admin_workspace(sandbox: SandboxServer) -> Workspace:
    return connect(sandbox.api_url, api_key=sandbox.api_key, source="server")


@pytest.fixture(scope="module")
def agent_workspace(sandbox: SandboxServer) -> Workspace:
    return sign_in(sandbox.api_url, AGENT, DEMO_PASSWORD, allow_private=True)
