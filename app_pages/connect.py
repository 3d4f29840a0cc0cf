"""Connect: the demo workspace, a real workspace with an API key, or a user's sign-in."""

from __future__ import annotations

import streamlit as st

from dashboard.connection import PUBLIC_DEMO_ONLY, PUBLISHED_BASE_URL, ConnectError, connect, sign_in
from ui import doctor, gate, session
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


def _attempt(action) -> None:
    try:
        chosen = action()
    except ConnectError as exc:
        st.session_state[session.CONNECT_ERROR] = str(exc)
    else:
        session.use(chosen)
        session.invalidate()
    st.rerun()


if gate.connect_targets() is not None:
    st.caption(PUBLIC_DEMO_ONLY)

demo_tab, key_tab, user_tab = st.tabs(["Demo workspace", "API key", "Sign in as a user"])

with demo_tab:
    st.write("A seeded sandbox that behaves like CEOX: 4 devices, 15 users, 2,500 conversations over "
             "90 days. Nothing you do there reaches WhatsApp.")
    if st.button("Open the demo workspace", type="primary", icon=":material/science:"):
        if session.open_demo() is not None:
            session.invalidate()
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
            _attempt(lambda: connect(base_url, api_key=api_key, source="browser",
                                     **session.typed_address_rules(base_url), only=gate.connect_targets()))

with user_tab:
    with st.form("sign_in_form"):
        base_url = st.text_input("Base URL", value=PUBLISHED_BASE_URL, max_chars=300, key="sign_in_base_url")
        email = st.text_input("Email", max_chars=254)
        password = st.text_input("Password", type="password", max_chars=1024)
        if st.form_submit_button("Sign in", type="primary"):
            _attempt(lambda: sign_in(base_url, email, password, **session.typed_address_rules(base_url),
                                     only=gate.connect_targets()))
    with st.expander("The server has no sign-in endpoint? Paste a token"), st.form("token_form"):
        token_base_url = st.text_input("Base URL", value=PUBLISHED_BASE_URL, max_chars=300, key="token_base_url")
        token = st.text_input("Token", type="password", max_chars=8192)
        if st.form_submit_button("Use this token"):
            _attempt(lambda: connect(token_base_url, token=token, source="browser",
                                     **session.typed_address_rules(token_base_url), only=gate.connect_targets()))
    if workspace is not None and workspace.demo:
        st.caption("Demo sign-ins: admin@, agent@, supervisor@, manager@ or analyst@demo.ceox.local, "
                   "password ceox-demo-2026. Use the demo's base URL: " + workspace.base_url)
