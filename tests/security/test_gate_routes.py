"""Finding 11: Streamlit's own HTTP routes answer before the access gate (the gate runs in the page script).

A real `streamlit run app.py` on loopback, asked over HTTP. `/_stcore/metrics` (sessions, cache sizes,
cached function names) is closed by the app; the routes that stay open are listed here, as the README's
"Deploying safely" lists them, so that a Streamlit upgrade that adds or changes one is noticed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from dashboard.closed_routes import closed
from tests.streamlit_server import ROOT, free_port, running_streamlit


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = {**os.environ, "CEOX_DEMO_PORT": str(free_port()), "CEOX_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    for name in ("CEOX_BASE_URL", "CEOX_API_KEY"):
        env.pop(name, None)
    with running_streamlit(ROOT / "app.py", env, log) as url:
        yield url


@pytest.mark.parametrize("path", ["/_stcore/metrics", "/_stcore/metrics/", "/_stcore/metrics?families=session_events"])
@pytest.mark.parametrize("accept", ["text/plain", "application/x-protobuf"])
def test_metrics_are_closed(dashboard, path, accept):
    response = httpx.get(dashboard + path, headers={"Accept": accept}, timeout=10, follow_redirects=True)
    assert response.status_code == 404
    assert "session" not in response.text and "cache" not in response.text


def test_metrics_preflight_is_closed_too(dashboard):
    response = httpx.options(dashboard + "/_stcore/metrics", timeout=10)
    assert response.status_code == 404


def test_what_still_answers_before_the_gate(dashboard):
    """What an operator must know of (README, "Deploying safely"): nothing here holds workspace data."""
    health = httpx.get(dashboard + "/_stcore/health", timeout=10)
    assert (health.status_code, health.text) == (200, "ok")
    host_config = httpx.get(dashboard + "/_stcore/host-config", timeout=10)
    assert host_config.status_code == 200 and "allowedOrigins" in host_config.json()
    # The agent API (a way to drive the app without a browser) stays off: its description answers, nothing more.
    assert httpx.get(dashboard + "/_stcore/agent/openapi.json", timeout=10).status_code == 200
    agent = httpx.post(dashboard + "/_stcore/agent/interact", json={}, timeout=10)
    assert agent.status_code == 403 and agent.json()["error"]["code"] == "not_available"
    page = httpx.get(dashboard + "/", timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()  # the page shell; the gate runs after it loads
    # The webhook receiver must stay reachable: a wrong secret gets its own answer, not the page shell.
    hook = httpx.post(dashboard + "/hooks/ceox/not-a-secret", json={}, timeout=10)
    assert hook.status_code == 404 and hook.headers["content-type"].startswith("application/json")
    assert httpx.get(dashboard + "/media/0123456789abcdef.png", timeout=10).status_code == 404


@pytest.mark.parametrize(("path", "is_closed"), [
    ("/_stcore/metrics", True), ("/_stcore/metrics/", True), ("/admin/_stcore/metrics", True),
    ("/_stcore/health", False), ("/_stcore/metricsx", False), ("/", False), ("/hooks/ceox/x", False)])
def test_closed_paths_under_a_base_url_path(path, is_closed):
    assert closed(path) is is_closed
