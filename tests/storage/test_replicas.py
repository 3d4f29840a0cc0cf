"""Two replicas on one PostgreSQL: replica A is a real `streamlit run app.py` process, replica B this test
process (its pages through AppTest, its own module state, its own data directory). A webhook posted to
A's receiver shows on B's Webhooks page within seconds and marks the conversation for B's analytics
cache; A's health route reports the database.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import httpx
import pytest

from ceox_sandbox.server import SandboxServer
from dashboard import receiver
from dashboard.sync import Cache
from dashboard.sync.shared import shared_for
from tests.streamlit_server import ROOT, running_streamlit
from tests.ui.conftest import open_app

DEADLINE_S = 5.0  # "the same few seconds": the Webhooks page itself refreshes every 2 s


@pytest.fixture
def shared_url(postgres_cluster, tmp_path, monkeypatch) -> str:
    url = postgres_cluster.new_database()
    monkeypatch.setenv("CEOX_DATABASE_URL", url)
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "replica-b"))
    for name in ("CEOX_BASE_URL", "CEOX_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return url


@pytest.fixture
def replica_a(shared_url, tmp_path) -> Iterator[str]:
    """`streamlit run app.py` with the shared database and a data directory of its own."""
    env = {**os.environ, "CEOX_DATABASE_URL": shared_url, "CEOX_DATA_DIR": str(tmp_path / "replica-a"),
           "CEOX_LOG_FORMAT": "json"}
    with running_streamlit(ROOT / "app.py", env, tmp_path / "replica-a.log") as url:
        yield url


def test_an_event_posted_to_replica_a_shows_on_replica_bs_webhooks_page(replica_a, demo_sandbox: SandboxServer):
    page_b = open_app(demo_sandbox, "app_pages/webhooks.py")
    tenant = page_b.session_state["workspace"].workspace_id
    secret = receiver.secret_for(tenant)  # made by B: A knows it only through the shared database
    cache_b = Cache.for_workspace(page_b.session_state["workspace"])
    marks_b = shared_for(cache_b.path)
    marks_b.import_marks()  # what earlier tests marked
    assert not marks_b.marked()
    body = f"cross-replica {time.time_ns()}"
    event = {"event": "message.received", "conversation_id": 7, "from": "+6281234567890", "name": "Budi",
             "wa_message_id": f"XR{time.time_ns()}", "body": body, "timestamp": "2026-06-21T08:15:00Z"}

    answer = httpx.post(replica_a + receiver.path_for(secret), json=event, timeout=10)
    posted = time.monotonic()
    assert answer.status_code == 200, answer.text

    while not any(body in t.value for t in page_b.text):
        assert time.monotonic() - posted < DEADLINE_S, "replica B's page did not show the event in time"
        page_b.run()
    latency = time.monotonic() - posted
    print(f"\ncross-replica event latency (A accepted → B's page rendered it): {latency:.2f} s")
    assert not page_b.exception
    # B's next analytics refresh re-fetches the conversation, whichever replica runs it.
    assert marks_b.marked()
    assert marks_b.import_marks() == 1
    assert cache_b.marked()


def test_replica_a_reports_its_database_and_service_in_its_health_route(replica_a):
    answer = httpx.get(replica_a + "/healthz", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"database": "ok", "ceox": "demo"}
