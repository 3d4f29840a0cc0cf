"""CEOX Admin: entry point. `streamlit run app.py` opens the demo workspace when nothing is configured."""

from __future__ import annotations

import streamlit as st

from dashboard.navigation import CONNECT_PAGE, pages_for
from ui import session, sidebar

st.set_page_config(page_title="CEOX Admin", page_icon=":material/forum:", layout="wide")

workspace = session.current()
sidebar.show(workspace)

sections: dict[str, list] = {}
for spec in [*pages_for(workspace), CONNECT_PAGE]:
    sections.setdefault(spec.section, []).append(st.Page(spec.path, title=spec.title, icon=spec.icon))
st.navigation(sections).run()
