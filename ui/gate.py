"""The access gate on the page: app.py calls `require()` before the workspace connects.

While the gate is closed nothing else runs: no workspace, no sidebar, no navigation. Passing it leaves
only a flag in the session (the gate's fingerprint), never the password. Wrong passwords are counted by
one `gate.Guard` for the whole process, per client address, so a new tab does not start afresh.
"""

from __future__ import annotations

import logging
import math
import time

import streamlit as st
from streamlit.errors import StreamlitAuthError

from dashboard import gate
from dashboard.connection import PUBLISHED_BASE_URL
from dashboard.demo import running_api_url
from ui import session, settings

PASSED = "gate_passed"
PASSWORD_FIELD = "gate_password"  # noqa: S105 (a widget key; emptied as soon as the password is checked)
MESSAGE = "gate_message"

_LOG = logging.getLogger(__name__)


def current() -> gate.Gate:
    return gate.decide(st.get_option("server.address"), server_credential=session.configured_credentials() is not None,
                       auth=settings.section("auth"), gate=settings.section("gate"))


@st.cache_resource(show_spinner=False)
def guard() -> gate.Guard:
    """The process's one count of wrong passwords, shared by every browser session."""
    return gate.Guard()


def connect_targets() -> tuple[str, ...] | None:
    """The only base URLs Connect may reach on an open public demo; None when any may be typed."""
    if current().kind != "public":
        return None
    demo = running_api_url()
    return (PUBLISHED_BASE_URL, demo) if demo else (PUBLISHED_BASE_URL,)


def require() -> None:
    """Return when this browser session may use the dashboard; otherwise show the sign-in and stop."""
    decision = current()
    if decision.kind in ("open", "public"):
        return
    if decision.kind == "oidc":
        _single_sign_on(decision)
    elif decision.kind == "password":
        _operator_password(decision)
    else:
        _refuse(decision)


def _heading() -> None:
    st.title("CEOX Admin")
    st.write("This dashboard is connected to a workspace for its operators. Sign in to continue.")


def _lock_button(label: str) -> bool:
    return st.sidebar.button(label, icon=":material/lock:", width="stretch", key="gate_lock")


def _single_sign_on(decision: gate.Gate) -> None:
    user = st.user.to_dict()
    if user.get("is_logged_in") is True:
        if gate.identity_allowed(user, decision.allowed_emails, decision.allowed_tenants):
            if _lock_button("Sign out"):
                st.session_state.clear()
                st.logout()
            return
        st.title("CEOX Admin")
        st.error("The account you signed in with may not use this dashboard. Sign out and use an operator's "
                 "account.", icon=":material/block:")
        if st.button("Sign out", icon=":material/logout:"):
            st.session_state.clear()
            st.logout()
        st.stop()
    _heading()
    for provider in decision.providers:
        label = "Sign in" if provider == gate.DEFAULT_PROVIDER else f"Sign in with {provider}"
        if st.button(label, type="primary", icon=":material/login:", key=f"gate_sign_in_{provider}"):
            try:
                st.login(provider)
            except StreamlitAuthError as exc:
                _LOG.error("single sign-on could not start: %s", exc)
                st.error("Single sign-on is configured but could not start: install Authlib "
                         "(`pip install Authlib`) and check the [auth] section of the server's secrets.",
                         icon=":material/error:")
    st.stop()


def _operator_password(decision: gate.Gate) -> None:
    if st.session_state.get(PASSED) == decision.fingerprint:
        if _lock_button("Lock the dashboard"):
            st.session_state.clear()
            st.rerun()
        return
    _heading()
    with st.form("gate_sign_in", clear_on_submit=True, enter_to_submit=True):
        st.text_input("Operator password", type="password", autocomplete="current-password", key=PASSWORD_FIELD)
        st.form_submit_button("Sign in", type="primary", icon=":material/login:", on_click=_check_password,
                              args=(decision,))
    message = st.session_state.pop(MESSAGE, None)
    if message:
        st.error(message, icon=":material/error:")
    st.stop()


def _check_password(decision: gate.Gate) -> None:
    """Runs before the script, so the typed password can be taken out of the session at once."""
    password = st.session_state.get(PASSWORD_FIELD, "")
    if PASSWORD_FIELD in st.session_state:
        del st.session_state[PASSWORD_FIELD]  # drops the browser's copy of the widget's value too
    client = gate.client_address(st.context.ip_address, st.context.headers.get_all("X-Forwarded-For"),
                                 trusted_proxy=decision.trusted_proxy)
    verdict = guard().check(client, password, decision.password_hash)
    if verdict.kind == "passed":
        st.session_state[PASSED] = decision.fingerprint
    elif verdict.kind == "wait":
        st.session_state[MESSAGE] = (f"Too many wrong passwords. Wait {math.ceil(verdict.wait_seconds):,} seconds, "
                                     "then try again.")
    elif verdict.kind == "busy":
        st.session_state[MESSAGE] = "The dashboard is busy checking other sign-ins. Try again in a few seconds."
    else:
        time.sleep(gate.FAILURE_DELAY_SECONDS)
        st.session_state[MESSAGE] = "Wrong password. Try again."


def _refuse(decision: gate.Gate) -> None:
    st.title("CEOX Admin")
    st.error("This dashboard will not open: other computers can reach its address, and no sign-in is "
             "configured for it.", icon=":material/lock:")
    st.markdown("The operator can fix this in one of four ways, then restart it:")
    st.markdown("1. Bind it to this machine only, behind a reverse proxy that signs people in: "
                "`streamlit run app.py --server.address 127.0.0.1`.")
    st.markdown("2. Set an operator password: run `python -m dashboard.gate hash` and paste the `[gate]` lines "
                "it prints into `.streamlit/secrets.toml`.")
    st.markdown("3. Configure single sign-on (OIDC) in the `[auth]` section of `.streamlit/secrets.toml`, "
                "as described for `st.login` in Streamlit's documentation.")
    st.markdown("4. For an open public demo, with no API key on the server: set `public = true` in the `[gate]` "
                "section. Visitors then reach only the demo workspace and CEOX's published address.")
    st.caption("What is missing: " + "; ".join(decision.problems) + ".")
    st.stop()
