"""The browser tests' failure checks can fail: a page that raises, served with the project's own settings
(`showErrorDetails = "none"`, which hides every traceback's text), is caught by `assert_no_exception`."""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import assert_no_exception
from tests.streamlit_server import running_streamlit


def test_an_uncaught_exception_is_caught_by_the_check(page, tmp_path):
    script = tmp_path / "raises.py"
    script.write_text("import streamlit as st\nst.title('Raises')\nraise RuntimeError('boom')\n")
    with running_streamlit(script, dict(os.environ), tmp_path / "streamlit.log") as url:
        page.goto(url)
        page.get_by_role("heading", name="Raises").wait_for(timeout=60_000)
        with pytest.raises(AssertionError):
            assert_no_exception(page)
        assert "Traceback" not in page.content()  # why the old text check could never fail
