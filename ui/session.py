"""The browser session's workspace and cached reads through it.

The workspace (with its credential) lives in `st.session_state` only. Reads are cached per
credential identity (a hash), so two people never share cached data, and cleared after writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import streamlit as st

from ceox_api import Client
from ceox_api.errors import CeoxError
from dashboard import audit, navigation
from dashboard.connection import PUBLISHED_BASE_URL, ConnectError, Workspace, connect
from dashboard.demo import demo_workspace, running_api_url
from dashboard.feedback import explain_error
from dashboard.gate import is_loopback
from ui import settings

WORKSPACE = "workspace"
CONNECT_ERROR = "connect_error"
MANUALLY_DISCONNECTED = "manually_disconnected"

@st.cache_resource(show_spinner="Starting the demo workspace…")
def _demo_sandbox():
    return demo_workspace()


def configured_credentials() -> tuple[str, str] | None:
    """(base URL, API key) set by the operator: environment variables, else `.streamlit/secrets.toml`."""
    key = settings.text("api_key", "CEOX_API_KEY")
    base_url = settings.text("base_url", "CEOX_BASE_URL")
    return (base_url or PUBLISHED_BASE_URL, key) if key else None


# Headers a reverse proxy adds: a request that carries one came from elsewhere, whatever the socket says.
_PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def served_locally() -> bool:
    """Only this machine opens the dashboard: bound to loopback, no `[gate] require` saying a reverse
    proxy serves it to others, and this request itself from this machine (Streamlit names no address
    for a loopback connection, and its server takes a same-host proxy's client address as the
    connection's) without proxy headers."""
    if not is_loopback(st.get_option("server.address")) or settings.flag("require", section_name="gate"):
        return False
    if isinstance(st.context.ip_address, str):
        return False
    headers = st.context.headers
    return not (isinstance(headers, Mapping) and any(name.lower() in _PROXY_HEADERS for name in headers))


def typed_address_rules(base_url: str) -> dict[str, bool]:
    """How far an address typed on Connect may reach (see dashboard/outbound.py):

    private and loopback targets only when the operator allows them (`[ceox] allow_private_targets`,
    or `CEOX_ALLOW_PRIVATE_TARGETS=1`) or when only this machine opens the dashboard; the demo sandbox
    this process runs may be on such an address, opening that one address only. Connection failures
    name their cause only when served locally, so a visitor cannot map ports behind a publicly served
    dashboard.
    """
    # The demo sandbox this process started is ours, wherever it listens (demo users sign in there).
    demo = running_api_url() is not None and base_url.strip().rstrip("/") == running_api_url()
    return {"allow_private": private_targets_allowed(), "trust_address": demo, "reveal": served_locally()}


def private_targets_allowed() -> bool:
    """Any loopback or private address may be contacted: the operator says so, or only this machine
    opens the dashboard (whoever uses it could reach those addresses anyway)."""
    operator = settings.flag("allow_private_targets", "CEOX_ALLOW_PRIVATE_TARGETS")
    return operator or served_locally()


def open_demo() -> Workspace | None:
    demo = _demo_sandbox()
    return _open(lambda: connect(demo.api_url, api_key=demo.api_key, source="demo",
                                 allow_private=private_targets_allowed()))


def _open(attempt: Callable[[], Workspace]) -> Workspace | None:
    try:
        workspace = attempt()
    except ConnectError as exc:
        st.session_state[CONNECT_ERROR] = str(exc)
        return None
    use(workspace)
    return workspace


def use(workspace: Workspace) -> None:
    if workspace.source == "browser" and workspace.base_url == running_api_url():
        workspace = replace(workspace, source="demo")  # e.g. a demo user signed in: still the demo
    st.session_state[WORKSPACE] = workspace
    st.session_state.pop(CONNECT_ERROR, None)
    st.session_state.pop(MANUALLY_DISCONNECTED, None)


def disconnect() -> None:
    st.session_state.pop(WORKSPACE, None)
    st.session_state[MANUALLY_DISCONNECTED] = True


def current() -> Workspace | None:
    """The session's workspace; on first use, the operator's configured one or else the demo."""
    workspace = st.session_state.get(WORKSPACE)
    if workspace is None and not st.session_state.get(MANUALLY_DISCONNECTED):
        configured = configured_credentials()
        if configured:
            base_url, key = configured
            workspace = _open(lambda: connect(base_url, api_key=key, source="server",
                                              allow_private=private_targets_allowed()))
        else:
            workspace = open_demo()
    return workspace


def require() -> Workspace:
    workspace = current()
    if workspace is None:
        st.info("Not connected to a workspace.")
        st.page_link(navigation.CONNECT_PAGE.path, label="Connect", icon=":material/key:")
        st.stop()
    return workspace


def key_name(workspace: Workspace) -> str | None:
    """The name of the API key in use, where the service lists keys (the sandbox), for the audit log."""
    if workspace.kind != "api_key":
        return None
    from ui import reads  # (reads asks this module for the session's workspace)

    try:
        keys = reads.API_KEYS.fetch()
    except CeoxError:
        return None  # a real service lists no keys: the log names the key by its last characters
    names = [k.name for k in keys if k.key_prefix and workspace.secret.startswith(k.key_prefix) and not k.revoked_at]
    return names[0] if len(names) == 1 else None


def audit_record(action: str, target: str, outcome: str, detail: str = "") -> None:
    """One audit entry for this session's workspace, with the acting key's name where known."""
    workspace = require()
    audit.record(workspace, action, target, outcome, detail, key_name=key_name(workspace))


def run_write(action: str, target: str, call: Callable[[Client], Any], detail: str = "") -> tuple[bool, str, Any]:
    """Run one write, record it in the audit log (`detail`: what it changes), and say how it went:
    (ok, sentence, result)."""
    workspace = require()
    try:
        with workspace.client() as client:
            result = call(client)
    except CeoxError as exc:
        message = explain_error(exc)
        audit_record(action, target, message, detail)
        return False, message, None
    audit_record(action, target, "ok", detail)
    return True, "done", result
