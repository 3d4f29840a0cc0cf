"""A real dashboard (`streamlit run app.py`) and a real Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.streamlit_server import ROOT, free_port, running_streamlit

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = "Debian's Chromium is missing: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


DEMO_API_KEY = "ceox_browser_test_demo_key"


@pytest.fixture(scope="session")
def demo_port() -> int:
    return free_port()


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True


@pytest.fixture(scope="session")
def demo_api(dashboard_url: str, demo_port: int, browser) -> tuple[str, str]:
    """(api_url, api_key) of the demo sandbox inside the running dashboard, to check changes through the API.

    The dashboard starts its demo sandbox for its first browser session: open one if none has been yet."""
    api_url = f"http://127.0.0.1:{demo_port}/api/v1"
    if not _answers(api_url):
        context = browser.new_context()
        try:
            context.new_page().goto(dashboard_url)
            deadline = time.monotonic() + 60
            while not _answers(api_url):
                if time.monotonic() > deadline:
                    pytest.fail(f"the demo sandbox did not answer on {api_url}")
                time.sleep(0.2)
        finally:
            context.close()
    return api_url, DEMO_API_KEY


@pytest.fixture(scope="session")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory, demo_port: int) -> Iterator[str]:
    """`streamlit run app.py` as a user starts it, on a free port; its demo sandbox on another known one."""
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = {**os.environ, "CEOX_DEMO_PORT": str(demo_port), "CEOX_DEMO_API_KEY": DEMO_API_KEY,
           "CEOX_DATA_DIR": str(tmp_path_factory.mktemp("ceox-data"))}
    for name in ("CEOX_BASE_URL", "CEOX_API_KEY"):
        env.pop(name, None)
    with running_streamlit(ROOT / "app.py", env, log) as url:
        yield url


def wait_for_script_run(page, timeout: float = 30_000) -> None:
    """Wait until the page's script is not running (use content checks for what a rerun must show)."""
    from playwright.sync_api import expect

    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def add_user_in_dialog(page: Page, name: str, email: str) -> Locator:
    """Add an Analyst through the Users page's "Add user" dialog; the generated password's code block."""
    from playwright.sync_api import expect
    page.get_by_role("button", name="Add user").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox", name="Name", exact=True).fill(name)
    dialog.get_by_role("textbox", name="Email", exact=True).fill(email)
    dialog.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Analyst", exact=True).click()
    dialog.get_by_role("button", name="Add user").click()
    code = dialog.get_by_test_id("stCode")
    expect(code).to_be_visible(timeout=30_000)
    return code


def assert_no_exception(page) -> None:
    """No uncaught exception reached the page once its script finished. With `showErrorDetails = "none"`
    the page never shows a traceback's text, but Streamlit still draws its exception element (proven by
    test_failure_checks.py), so that element is what is looked for."""
    wait_for_script_run(page)
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").all_inner_texts()


@pytest.fixture(scope="session")
def browser(chromium_path: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


# What a page's visible text must never hold (issue 12): developer words, raw times, lazy plurals.
JARGON = {
    "an endpoint path": re.compile(r"/api/|\b(?:GET|POST|PUT|PATCH|DELETE) /"),
    "an ISO timestamp": re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d"),
    "a lazy plural": re.compile(r"\w\(s\)"),
    "None": re.compile(r"\bNone\b"),
    "a capability id": re.compile(r"\b(?:chats|users|roles|inboxes|inbox|contacts|webhooks|analytics)\.[a-z_]+\b"),
    "an exception name": re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b|Traceback|Errno"),
}
ZONE_NAME = re.compile(r"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Za-z_+-]+"
                       r"|\bUTC\b|\bGMT\b")


def assert_plain_words(page, where: str) -> None:
    """The page's visible text (main area and sidebar) holds no jargon and names at most one timezone."""
    wait_for_script_run(page)
    text = page.get_by_test_id("stApp").inner_text()
    found = {name: sorted(set(pattern.findall(text))) for name, pattern in JARGON.items()}
    assert not any(found.values()), (where, {name: hits for name, hits in found.items() if hits})
    zones = set(ZONE_NAME.findall(text))
    assert len(zones) <= 1, (where, "times in more than one zone", sorted(zones))
