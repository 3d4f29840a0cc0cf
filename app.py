"""CEOX Admin: entry point. `streamlit run app.py` opens the demo workspace when nothing is configured."""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from dashboard import receiver
from dashboard.closed_routes import CloseRoutes
from dashboard.navigation import CONNECT_PAGE, pages_for
from ui import gate, operations, session, sidebar

operations.configure()  # the shared database and the log format, before anything stores or logs

if __name__ != "__main__":
    # `streamlit run app.py` imports this module to find `app`, which serves the webhook receiver
    # beside the pages, then runs this file as the page script (as `__main__`). The middleware closes
    # Streamlit's own routes that would answer before the gate (dashboard/closed_routes.py). `/healthz`
    # answers probes: whether the shared database and the CEOX service are reachable (dashboard/health.py).
    app = st.App(__file__, routes=[*receiver.routes(), *operations.health_routes()],
                 middleware=[Middleware(CloseRoutes)])
else:
    st.set_page_config(page_title="CEOX Admin", page_icon=":material/forum:", layout="wide")
    gate.require()  # before anything connects with the server's credential

    workspace = session.current()
    sidebar.show(workspace)

    sections: dict[str, list] = {}
    for spec in [*pages_for(workspace), CONNECT_PAGE]:
        sections.setdefault(spec.section, []).append(st.Page(spec.path, title=spec.title, icon=spec.icon))
    st.navigation(sections, expanded=True).run()
