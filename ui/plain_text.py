"""Text from a user or the service shown inside Streamlit's Markdown-rendering elements.

`st.success`, `st.error`, `st.markdown`, `st.caption`, toasts and labels render Markdown: a name
like `![x](http://evil)` would make the browser fetch an image, `[here](http://evil)` would show a
link. `plain(text)` escapes every Markdown and HTML special character so the text shows literally.
Use it for every interpolated value that did not come from our own code.

Escapes are not enough for what Streamlit finds in the text after parsing: GitHub-style autolinks
(`http://…`, `www.…`, `name@host.tld`), emoji shortcodes and `:material/…:` icons. An invisible word
joiner after every `:` and `@` and before the `.` of `www.` breaks those patterns (checked in
Chromium: no link, image, math, colour or icon is made, and the words read the same).
"""

from __future__ import annotations

import re

# Every ASCII punctuation mark Markdown, GFM autolinks (@ in addresses) or Streamlit's own directives
# (:red[...], :material/...:, $math$) give a meaning to; CommonMark shows an escaped one as itself.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&@])")


_JOINER = "\u2060"  # WORD JOINER: invisible, and not a character of a URL, address or shortcode
_AUTOLINK_PARTS = re.compile(r"(?<=[:@])|(?i:(?<=www)(?=\\\.))")


def plain(text: object) -> str:
    """`text` escaped so that Streamlit's Markdown shows it literally (no link, image, HTML or style)."""
    escaped = _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
    return _AUTOLINK_PARTS.sub(_JOINER, escaped)
