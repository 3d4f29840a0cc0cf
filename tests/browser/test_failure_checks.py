"""The browser tests' failure checks can fail: a page that raises, served with the project's own settings
(`showErrorDetails = "none"`, which hides every traceback's text), is caught by `assert_no_exception`."""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import _free_port, assert_no_exception, start_streamlit, wait_until_serving


def test_an_uncaught_exception_is_caught_by_the_check(page, tmp_path):
    script = tmp_path / "raises.py"
    script.write_text("import streamlit as st\nst.title('Raises')\nraise RuntimeError('boom')\n")
    port = _free_port()
    log = tmp_path / "streamlit.log"
    process = start_streamlit(script, port, log, dict(os.environ))
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, process, log)
        page.goto(url)
        page.get_by_role("heading", name="Raises").wait_for(timeout=60_000)
        with pytest.raises(AssertionError):
            assert_no_exception(page)
        assert "Traceback" not in page.content()  # why the old text check could never fail
    finally:
        process.terminate()
        process.wait(timeout=15)
