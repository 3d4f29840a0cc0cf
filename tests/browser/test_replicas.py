"""Two replicas: two `streamlit run app.py` processes on two ports, one PostgreSQL, one CEOX workspace (a
sandbox of the test's own, configured on both as an operator would, so that killing a replica does not
take the service with it), driven in a real Chromium. Fetches are counted at the sandbox.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from playwright.sync_api import Page, expect

from ceox_api import Client
from ceox_sandbox.server import SandboxServer
from dashboard.sync.plan import BATCH_SIZE
from tests.browser.conftest import add_user_in_dialog, assert_no_exception
from tests.streamlit_server import ROOT, free_port, start_streamlit, wait_until_serving

THREAD_PATH = re.compile(r"/api/v1/conversations/(\d+)/messages")
HISTORY_LOADED = re.compile(r"history 100% loaded")
SYNC_DEADLINE_MS = 120_000


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """The demo workspace, its own for each test: the request counts are the server's."""
    with SandboxServer(seed="demo") as server:
        yield server


@pytest.fixture
def api(sandbox) -> Iterator[Client]:
    with Client(sandbox.api_url, api_key=sandbox.api_key) as client:
        yield client


@pytest.fixture
def database_url(postgres_cluster) -> str:
    return postgres_cluster.new_database()


Replica = tuple[str, subprocess.Popen]


@pytest.fixture
def start_replica(sandbox, database_url, tmp_path) -> Iterator[Callable[[str], Replica]]:
    """`start_replica(name)`: a dashboard process with the shared database and a data directory of its own."""
    running: list[subprocess.Popen] = []

    def start(name: str) -> Replica:
        env = {**os.environ, "CEOX_DATABASE_URL": database_url, "CEOX_DATA_DIR": str(tmp_path / name),
               "CEOX_BASE_URL": sandbox.api_url, "CEOX_API_KEY": sandbox.api_key}
        port, log = free_port(), tmp_path / f"{name}.log"
        process = start_streamlit(ROOT / "app.py", port, log, env)
        running.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, process, log)
        return url, process

    yield start
    for process in running:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def new_page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def thread_fetches(api: Client) -> dict[int, int]:
    counts = api.sandbox.served_requests().counts
    return {int(m.group(1)): n for path, n in counts.items() if (m := THREAD_PATH.fullmatch(path))}


def expect_history_loaded(page: Page) -> None:
    """The Analytics page says the period's figures are final and the whole history is in."""
    expect(page.get_by_text(HISTORY_LOADED).first).to_be_visible(timeout=SYNC_DEADLINE_MS)
    assert_no_exception(page)


def published_versions(database_url: str) -> int:
    """How often the analytics cache has been published (0 before the replica created the table)."""
    with psycopg.connect(database_url) as conn:
        try:
            row = conn.execute("SELECT max(version) FROM cache_snapshots").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return row[0] or 0


def test_analytics_opened_on_both_replicas_at_once_fetches_each_thread_once(browser, start_replica, api):
    (url_a, _), (url_b, _) = start_replica("a"), start_replica("b")
    with new_page(browser) as page_a, new_page(browser) as page_b:
        page_a.goto(f"{url_a}/analytics")
        page_b.goto(f"{url_b}/analytics")
        expect_history_loaded(page_a)
        expect_history_loaded(page_b)
        cycles = [p.get_by_test_id("stMetric").filter(has_text="Cycles").first.inner_text() for p in (page_a, page_b)]
    listed = [c.id for c in api.conversations.list(status="all")]
    fetches = thread_fetches(api)
    assert sorted(fetches) == sorted(listed)
    assert set(fetches.values()) == {1}, {i: n for i, n in fetches.items() if n > 1}
    assert cycles[0] == cycles[1]  # both replicas show the same figures


def test_killing_replica_a_mid_sync_lets_replica_b_finish_it(browser, start_replica, api, database_url):
    url_a, process_a = start_replica("a")
    url_b, _ = start_replica("b")
    api.sandbox.set_faults(latency_ms=150)  # a first sync of some seconds, published batch by batch
    try:
        with new_page(browser) as page_a:
            page_a.goto(f"{url_a}/analytics")
            deadline = time.monotonic() + 60
            while published_versions(database_url) < 3:  # the list, then batches of threads
                assert time.monotonic() < deadline, "replica A published no batch"
                time.sleep(0.1)
            os.kill(process_a.pid, signal.SIGKILL)
            process_a.wait(timeout=10)
        fetched_by_a = thread_fetches(api)
        listed = [c.id for c in api.conversations.list(status="all")]
        assert 0 < len(fetched_by_a) < len(listed), "A was not stopped in the middle of its sync"
        api.sandbox.set_faults()
        with new_page(browser) as page_b:
            page_b.goto(f"{url_b}/analytics")
            expect_history_loaded(page_b)
    finally:
        api.sandbox.set_faults()
    fetches = thread_fetches(api)
    assert sorted(fetches) == sorted(listed)  # B finished the sync...
    again = sum(n - 1 for n in fetches.values())
    # ...from where A's last publication left it: only what A fetched since, and its batch in flight, twice
    # (starting over would fetch all of A's threads again).
    assert again <= 2 * BATCH_SIZE and again < len(fetched_by_a) / 2, (again, len(fetched_by_a))


def test_an_admin_edit_on_replica_a_shows_in_replica_bs_audit_log(browser, start_replica, api):
    (url_a, _), (url_b, _) = start_replica("a"), start_replica("b")
    email = f"replica.{uuid.uuid4().hex[:8]}@example.com"
    with new_page(browser) as page_a:
        page_a.goto(f"{url_a}/users")
        add_user_in_dialog(page_a, "Replica Tester", email)
    assert [u.email for u in api.users.list() if u.email == email] == [email]
    with new_page(browser) as page_b:
        page_b.goto(f"{url_b}/audit_log")
        expect(page_b.get_by_role("heading", level=1)).to_have_text("Audit log", timeout=60_000)
        # The log is a grid drawn on a canvas: its cells are in the accessibility table behind it.
        expect(page_b.locator("td[role=gridcell]", has_text=email).first).to_be_attached(timeout=10_000)
        assert_no_exception(page_b)
