"""The sidebar: which workspace is connected, as whom, its health, and switch/disconnect."""

from __future__ import annotations

import streamlit as st

from ceox_api.errors import CeoxError
from dashboard import device_history, navigation
from dashboard.connection import Workspace
from dashboard.feedback import explain_error
from ui import session
from ui.plain_text import plain


@st.cache_data(ttl=20, show_spinner=False, max_entries=200)
def _health(identity: str, _workspace: Workspace) -> tuple[bool, str]:
    try:
        with _workspace.client(max_retries=0) as client:
            devices = client.wa.status()
    except CeoxError as exc:
        return False, explain_error(exc)
    device_history.record(_workspace.workspace_id, devices)
    connected = sum(1 for d in devices if d.connected)
    return True, f"{connected} of {len(devices)} devices connected"


def show(workspace: Workspace | None) -> None:
    with st.sidebar:
        if workspace is None:
            st.warning("Not connected.", icon=":material/link_off:")
            error = st.session_state.get(session.CONNECT_ERROR)
            if error:
                st.caption(plain(error))
            return
        if workspace.demo:
            st.markdown(":orange-badge[DEMO WORKSPACE]")
        st.text(f"Workspace: {'demo sandbox' if workspace.demo else workspace.host}")
        st.text(f"Signed in: {workspace.actor}" if workspace.kind == "token" else "Access: API key (full)")
        if workspace.kind == "token":
            st.text(f"Role: {workspace.role_name}")
        healthy, detail = _health(workspace.identity, workspace)
        if healthy:
            st.success(plain(detail), icon=":material/cloud_done:")
        else:
            st.error(plain(detail), icon=":material/cloud_off:")
        if st.button("Switch workspace", icon=":material/swap_horiz:", width="stretch"):
            st.switch_page(navigation.CONNECT_PAGE.path)
        if st.button("Disconnect", icon=":material/logout:", width="stretch"):
            session.disconnect()
            st.switch_page(navigation.CONNECT_PAGE.path)
