"""The `connect` fixture: each sandbox test runs once with the sync and once with the async client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.client.helpers import Connector


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest) -> Iterator[Connector]:
    connector = Connector(request.param)
    yield connector
    connector.close()
