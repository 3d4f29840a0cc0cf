"""AppTest fixtures: the dashboard's scripts, connected to a real sandbox instead of the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from ceox_sandbox.server import SandboxServer
from dashboard.connection import connect

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    """The audit log and other dashboard files go to a fresh directory per test."""
    monkeypatch.setenv("CEOX_DATA_DIR", str(tmp_path / "ceox-data"))
    monkeypatch.delenv("CEOX_API_KEY", raising=False)
    monkeypatch.delenv("CEOX_BASE_URL", raising=False)


def open_app(sandbox: SandboxServer, page: str | None = None, *, run: bool = True, **credential) -> AppTest:
    """app.py connected to `sandbox` (with its API key, or `token=`), set on `page` before its first run
    (so the Overview, which counts every message, runs only when it is the page asked for), and run
    unless `run` is False. Cached reads start empty: tests change data between openings.

    The one way UI tests open the app; modules name their page with `functools.partial`."""
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    credential = credential or {"api_key": sandbox.api_key}
    # As open_demo on a dashboard served to this machine only: private targets allowed.
    at.session_state["workspace"] = connect(sandbox.api_url, source="demo", allow_private=True, **credential)
    if page:
        at.switch_page(page)
    return at.run() if run else at


def assert_clean(at: AppTest) -> None:
    """No traceback reached the page."""
    assert not at.exception, [e.value for e in at.exception]


def markdown_texts(at: AppTest) -> list[str]:
    """Every text the page rendered as Markdown: markdown, captions, alerts, toasts, headings, widget labels."""
    found: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        proto = getattr(node, "proto", None)
        if proto is None or getattr(node, "type", "") in ("text", "code"):
            return
        for field in ("body", "label"):
            value = getattr(proto, field, None)
            if isinstance(value, str) and value:
                found.append(value)

    walk(at.main)
    walk(at.sidebar)
    return found


_COMMONMARK = MarkdownIt("commonmark")


def as_read(markdown: str) -> str:
    """The words a reader sees of a Markdown text (escapes resolved, emphasis and tags dropped):
    literal checks of messages that escape the service's or a user's text. The invisible word joiners
    that `plain()` adds against auto-linking are dropped too."""
    return "".join(child.content if child.type in ("text", "code_inline") else "\n"
                   for token in _COMMONMARK.parse(markdown) for child in token.children or []
                   if child.type in ("text", "code_inline", "softbreak", "hardbreak")).replace("\u2060", "")
