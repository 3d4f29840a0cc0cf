"""ui.plain_text.plain in a real browser: Streamlit's Markdown (alerts, markdown, expander and button
labels) shows hostile text literally. Escapes alone are not enough there (Streamlit autolinks bare
addresses found in the text after parsing), which is why this runs in Chromium and not only in a
CommonMark parser."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser.conftest import wait_for_script_run
from tests.streamlit_server import running_streamlit

SAMPLES = ["![x](http://127.0.0.1:9/x.png)", "[click](http://evil.example)", "<img src=x onerror=alert(1)>",
           "**bold**", ":red[x]", "$x$", "http://evil.example", "www.evil.example", "ana@evil.example",
           ":material/home: :smile:", "# heading", "1. item", "> quote", "`code`", "~~strike~~", "a\\b"]
LABEL = "[click](http://evil.example) ![x](http://127.0.0.1:9/x.png)"

SCRIPT = f'''
import streamlit as st
from ui.plain_text import plain
for sample in {SAMPLES!r}:
    st.markdown(plain(sample))
    st.error(plain(sample))
with st.expander(plain({LABEL!r})):
    st.write("inside")
st.button(plain({LABEL!r}))
'''


def test_hostile_text_shows_literally_and_makes_no_link_image_math_or_style(page, tmp_path: Path):
    script = tmp_path / "plain_text_page.py"
    script.write_text(SCRIPT)
    root = str(Path(__file__).resolve().parents[2])
    with running_streamlit(script, {**os.environ, "PYTHONPATH": root}, tmp_path / "streamlit.log") as url:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(url)
        page.get_by_role("button").first.wait_for()
        wait_for_script_run(page)
        main = page.get_by_test_id("stMain")
        assert main.locator("a").evaluate_all("links => links.map(a => a.href)") == []
        assert main.locator("img").count() == 0
        assert main.locator(".katex").count() == 0  # no math
        assert main.locator("h1, ol, blockquote, del, strong").count() == 0
        text = main.inner_text().replace("\u2060", "")  # the word joiners plain() adds are invisible
        assert [sample for sample in SAMPLES if sample not in text] == []
        assert LABEL in text
        assert [u for u in requested if "evil.example" in u or "127.0.0.1:9/" in u] == []
