"""Text from a user or the service shown inside Streamlit's Markdown-rendering elements.

`st.success`, `st.error`, `st.markdown`, `st.caption`, toasts and labels render Markdown: a name
like `![x](http://evil)` would make the browser fetch an image, `[here](http://evil)` would show a
link. `plain(text)` escapes every Markdown and HTML special character so the text shows literally.
Use it for every interpolated value that did not come from our own code.
"""

from __future__ import annotations

import re

# Every ASCII punctuation mark Markdown, GFM autolinks (@ in addresses) or Streamlit's own directives
# (:red[...], :material/...:, $math$) give a meaning to; CommonMark shows an escaped one as itself.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&@])")


def plain(text: object) -> str:
    """`text` escaped so that Streamlit's Markdown shows it literally (no link, image, HTML or style)."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
