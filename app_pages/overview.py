"""Overview: what the connected workspace holds."""

from __future__ import annotations

import streamlit as st

from ceox_api.errors import CeoxError
from dashboard.connection import Workspace
from dashboard.feedback import explain_error
from ui import session
from ui.plain_text import plain

workspace = session.require()
st.title("Overview")
if workspace.demo:
    st.info("This is the seeded **demo workspace** on the local sandbox: change anything, nothing is real. "
            "Connect your own workspace on the Connect page.", icon=":material/science:")


@st.cache_data(ttl=600, show_spinner=False, max_entries=50)
def _message_count(identity: str, conversation_ids: tuple[int, ...], _workspace: Workspace) -> tuple[int, int]:
    """(messages counted, conversations whose thread could not be read)."""
    progress = st.progress(0.0, text="Counting messages…")

    def report(done: int, total: int) -> None:
        progress.progress(done / max(total, 1), text=f"Counting messages… {done:,} of {total:,} conversations")

    with _workspace.client() as client:
        threads = client.conversations.fetch_threads(list(conversation_ids), concurrency=16, on_progress=report)
    progress.empty()
    return sum(len(messages) for messages in threads.values()), len(threads.failed)


try:
    with workspace.client() as client:
        conversations = client.conversations.list(status="all")
except CeoxError as exc:
    st.error(plain(explain_error(exc)), icon=":material/error:")
    st.stop()

session.say_if_partial(conversations, "conversations")
devices = session.read("devices")
cards = st.columns(5)
cards[0].metric("Conversations", f"{len(conversations):,}",
                help="Every conversation you may see, open and solved (one per contact per device).")
cards[1].metric("Open", f"{sum(c.status == 'open' for c in conversations):,}")
cards[2].metric("Devices", f"{len(devices):,}", help="WhatsApp numbers you may see.")
if workspace.can("users.manage"):
    cards[3].metric("Users", f"{len(session.read('users')):,}")
else:
    cards[3].metric("Users", "—", help="Counting users needs users.manage.")
# Counting messages reads every thread: on a big workspace that is thousands of requests, so it
# runs when asked (and is then cached for ten minutes).
ids = tuple(c.id for c in conversations)
if st.session_state.get("count_messages"):
    try:
        counted, missing = _message_count(workspace.identity, ids, workspace)
        cards[4].metric("Messages", f"{counted:,}" + ("+" if missing else ""))
        if missing:
            st.warning(f"{missing:,} of {len(ids):,} conversations could not be read, so the message count "
                       "leaves them out. Try again later.", icon=":material/warning:")
    except CeoxError as exc:
        cards[4].metric("Messages", "—")
        st.warning(f"Messages could not be counted: {plain(explain_error(exc))}")
else:
    cards[4].metric("Messages", "…", help="Press “Count messages”: it reads every conversation's thread.")
    if st.button("Count messages", icon=":material/functions:"):
        st.session_state["count_messages"] = True
        st.rerun()
