"""Connect: the demo workspace, a real workspace with an API key, or a user's sign-in."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from dashboard import navigation
from dashboard.connection import PUBLIC_DEMO_ONLY, PUBLISHED_BASE_URL, ConnectError, connect, sign_in
from dashboard.demo import running_api_url
from ui import doctor, gate, reads, session
from ui.plain_text import plain

st.title("Connect")
workspace = session.current()
if workspace is not None:
    where = "the demo workspace" if workspace.demo else plain(workspace.host)
    st.success(f"Connected to {where} as {plain(workspace.actor) if workspace.kind == 'token' else 'API key'}.",
               icon=":material/link:")
    doctor.render(workspace)
error = st.session_state.get(session.CONNECT_ERROR)
if error:
    st.error(plain(error), icon=":material/error:")


def _attempt(base_url: str, action) -> None:
    """Connect; on success go to the Overview, else say why, naming the address tried."""
    try:
        chosen = action()
    except ConnectError as exc:
        host = urlsplit(base_url.strip()).netloc
        st.session_state[session.CONNECT_ERROR] = f"{exc} (tried {host})" if host else str(exc)
        st.rerun()
    else:
        session.use(chosen)
        reads.invalidate()
        st.switch_page(navigation.OVERVIEW.path)


# With the demo open, user sign-ins go to the demo by default: its accounts exist nowhere else.
demo_url = running_api_url() if workspace is not None and workspace.demo else None
default_url = demo_url or PUBLISHED_BASE_URL


if gate.connect_targets() is not None:
    st.caption(PUBLIC_DEMO_ONLY)

# Keyed, so the chosen tab stays chosen when a failed attempt reruns the page.
demo_tab, key_tab, user_tab = st.tabs(["Demo workspace", "API key", "Sign in as a user"], key="connect_tab",
                                      on_change="rerun")

with demo_tab:
    st.write("A seeded sandbox that behaves like CEOX: 4 devices, 15 users, 2,500 conversations over "
             "90 days. Nothing you do there reaches WhatsApp.")
    if st.button("Open the demo workspace", type="primary", icon=":material/science:"):
        if session.open_demo() is not None:
            reads.invalidate()
            st.switch_page(navigation.OVERVIEW.path)
        st.rerun()

with key_tab:
    st.markdown("Create a key on the CEOX web app's **API Keys** page, then paste it here once. "
                "It stays in this browser session only and is never shown again in full.")
    st.warning("An API key has **full access** to the workspace. Never share it; revoke a leaked key on "
               "the API Keys page.", icon=":material/warning:")
    with st.form("api_key_form"):
        base_url = st.text_input("Base URL", value=PUBLISHED_BASE_URL, max_chars=300)
        api_key = st.text_input("API key", type="password", placeholder="ceox_…", max_chars=300)
        if st.form_submit_button("Check and connect", type="primary"):
            _attempt(base_url, lambda: connect(base_url, api_key=api_key, source="browser",
                                     **session.typed_address_rules(base_url), only=gate.connect_targets()))

with user_tab:
    with st.form("sign_in_form"):
        base_url = st.text_input("Base URL", value=default_url, max_chars=300, key="sign_in_base_url")
        email = st.text_input("Email", max_chars=254)
        password = st.text_input("Password", type="password", max_chars=1024)
        if st.form_submit_button("Sign in", type="primary"):
            _attempt(base_url, lambda: sign_in(base_url, email, password, **session.typed_address_rules(base_url),
                                     only=gate.connect_targets()))
    with st.expander("The server has no sign-in endpoint? Paste a token"), st.form("token_form"):
        token_base_url = st.text_input("Base URL", value=default_url, max_chars=300, key="token_base_url")
        token = st.text_input("Token", type="password", max_chars=8192)
        if st.form_submit_button("Use this token"):
            _attempt(token_base_url, lambda: connect(token_base_url, token=token, source="browser",
                                     **session.typed_address_rules(token_base_url), only=gate.connect_targets()))
    if demo_url:
        st.caption("Demo sign-ins (the base URL above is the demo's), password ceox-demo-2026:")
        st.text("admin@demo.ceox.local · agent@demo.ceox.local · supervisor@demo.ceox.local · "
                "manager@demo.ceox.local · analyst@demo.ceox.local")
