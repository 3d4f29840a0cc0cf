"""Conversations: a filtered list, a thread with media and quoted replies, reply (text or a file),
mark read, solve and reopen. Contact names and message bodies are shown as plain text only."""

from __future__ import annotations

import streamlit as st

from ceox_api.models import Conversation, Message
from dashboard import conversations as chats
from dashboard.connection import Workspace
from ui import session
from ui.plain_text import plain

OPEN_KEY = "open_conversation"
TABLE_PICK = "conversation_table_pick"
REPLY_VERSION = "reply_form_version"
LOADED_MEDIA = "loaded_media"
THREAD_TAIL = 50
workspace = session.require()
can_send = workspace.can("chats.send")


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def _media(identity: str, media_url: str, _workspace: Workspace) -> tuple[bytes, str]:
    return chats.fetch_media(_workspace, media_url)


def show_media(message: Message) -> None:
    name = message.media_filename or message.media_url.rsplit("/", 1)[-1]
    st.text(f"[{message.media_type or 'file'}] {name}")
    loaded = st.session_state.setdefault(LOADED_MEDIA, set())
    if message.media_type not in ("image", "sticker") and message.id not in loaded:
        if st.button("Load attachment", key=f"load_media_{message.id}", icon=":material/attachment:"):
            loaded.add(message.id)
            st.rerun()
        return
    try:
        data, served = _media(workspace.identity, message.media_url, workspace)
    except chats.MediaError as exc:
        st.text(f"The attachment could not be loaded: {exc}")
        return
    # Played or shown only when a declared type is on the allow-list for its kind; anything else is
    # a plain download, so the browser never renders service-provided bytes as a page on our origin.
    mime = chats.playable_type(message.media_type, message.media_mime, served)
    if mime is None:
        if message.media_type in chats.PLAYABLE_TYPES:
            st.text("This file's type cannot be previewed safely; download it to open it.")
    elif message.media_type in ("image", "sticker"):
        try:
            st.image(data, width=240)
        except Exception:  # noqa: BLE001 (a damaged or unusual image is offered as a download instead)
            st.text("This image cannot be previewed.")
    elif message.media_type == "audio":
        st.audio(data, format=mime)
    elif message.media_type == "video":
        st.video(data, format=mime)
    st.download_button("Download", data, file_name=name, mime=mime or chats.DOWNLOAD_TYPE,
                       key=f"download_media_{message.id}", icon=":material/download:")


def act(action: str, conversation: Conversation, call, done: str) -> None:
    ok, message, _ = session.run_write(action, f"conversation #{conversation.id}", call)
    if ok:
        session.invalidate()
        st.toast(done, icon=":material/check_circle:")
        st.rerun()
    st.error(plain(message), icon=":material/error:")


st.title("Conversations")
status_col, device_col, inbox_col = st.columns([3, 4, 4])
status_label = status_col.radio("Status", list(chats.STATUS_FILTERS), horizontal=True, key="conversation_status")
devices, inboxes = session.read("devices"), session.read("inboxes")
device_ids = device_col.multiselect("Device", [d.id for d in devices], key="conversation_devices",
                                    format_func=lambda i: next(chats.device_label(d) for d in devices if d.id == i))
inbox_ids = inbox_col.multiselect("Inbox", [i.id for i in inboxes], key="conversation_inboxes",
                                  format_func=lambda i: next(x.name for x in inboxes if x.id == i))
search_col, unread_col, refresh_col = st.columns([3, 1, 1], vertical_alignment="bottom")
query = search_col.text_input("Search", placeholder="contact name or phone", max_chars=200, key="conversation_search")
unread_only = unread_col.toggle("Unread only", key="conversation_unread")
if refresh_col.button("Refresh", icon=":material/refresh:"):
    session.invalidate()
    st.rerun()

listed = session.read("conversations", status=chats.STATUS_FILTERS[status_label])
shown = chats.filter_conversations(listed, device_ids=device_ids, inbox_ids=inbox_ids, unread_only=unread_only,
                                   query=query)
st.caption(f"{len(shown):,} of {len(listed):,} conversations")
frame = chats.conversations_frame(shown, inboxes)
table = st.dataframe(frame, hide_index=True, width="stretch", height=320 if len(frame) > 8 else "auto",
                     key="conversation_table",
                     on_select="rerun", selection_mode="single-row",
                     column_config={"last_message": st.column_config.TextColumn("Last message", width="large")})
rows = table.selection.rows if table is not None else []
# A click on another row opens that conversation; a selection merely kept while the filters change does not.
if rows and rows[0] < len(frame) and rows[0] != st.session_state.get(TABLE_PICK):
    st.session_state[OPEN_KEY] = int(frame.iloc[rows[0]]["id"])
st.session_state[TABLE_PICK] = rows[0] if rows else None

if not shown:
    st.info("No conversation matches these filters.", icon=":material/filter_alt_off:")
    st.stop()
by_id = {c.id: c for c in shown}
if st.session_state.get(OPEN_KEY) not in by_id:
    st.session_state.pop(OPEN_KEY, None)
chosen = st.selectbox("Open conversation", list(by_id), key=OPEN_KEY, format_func=lambda i: chats.label(by_id[i]))
conversation = by_id[chosen]

# --- the thread ---------------------------------------------------------------------------------------
st.divider()
st.subheader(f"Conversation #{conversation.id}")
group = " · group" if conversation.is_group else ""
st.text(f"{conversation.contact_name or 'No name'} · {conversation.contact_phone}{group}")
st.text(f"Device: {conversation.device_name} ({conversation.device_phone}) · status {conversation.status}"
        f" · {conversation.unread} unread")
read_col, state_col, _ = st.columns([1, 1, 3])
if read_col.button("Mark read", icon=":material/mark_chat_read:", disabled=not can_send or conversation.unread == 0):
    act("conversation.read", conversation, lambda c: c.conversations.read(conversation.id),
        f"Conversation #{conversation.id} marked read.")
if conversation.status == "solved":
    if state_col.button("Reopen", icon=":material/replay:", disabled=not can_send):
        act("conversation.reopen", conversation, lambda c: c.conversations.reopen(conversation.id),
            f"Conversation #{conversation.id} reopened.")
elif state_col.button("Solve", icon=":material/task_alt:", disabled=not can_send):
    act("conversation.solve", conversation, lambda c: c.conversations.solve(conversation.id),
        f"Conversation #{conversation.id} solved.")
if not can_send:
    st.caption("Replying, marking read, solving and reopening need chats.send.")

messages = session.read("messages", conversation_id=conversation.id)
entries = chats.thread(messages, conversation.contact_name or conversation.contact_phone)
if len(entries) > THREAD_TAIL and not st.toggle(f"Show all {len(entries):,} messages", key="thread_show_all"):
    st.caption(f"The last {THREAD_TAIL} of {len(entries):,} messages.")
    entries = entries[-THREAD_TAIL:]
if not entries:
    st.text("No messages in this conversation yet.")
for entry in entries:
    message = entry.message
    with st.chat_message("assistant" if message.from_me else "user"):
        st.text(f"{entry.who} · {entry.when} UTC · {message.status}")
        if entry.quoted is not None:
            st.text(f"│ replying to: {chats.snippet(entry.quoted)}")
        elif entry.quoted_missing:
            st.text("│ replying to an earlier message")
        if message.body:
            st.text(message.body)
        if message.media_url:
            show_media(message)

# --- reply --------------------------------------------------------------------------------------------
if can_send:
    version = st.session_state.get(REPLY_VERSION, 0)
    quotable = [m for m in messages if m.wa_message_id][-30:][::-1]
    by_wa_id = {m.wa_message_id: m for m in quotable}
    with st.form(f"reply_{conversation.id}"):
        st.markdown("**Reply**")
        quote = st.selectbox("Quote a message (optional)", [None, *by_wa_id],
                             key=f"reply_quote_{conversation.id}_{version}",
                             format_func=lambda w: "No quote" if w is None else chats.snippet(by_wa_id[w], 100))
        body = st.text_area("Message", key=f"reply_body_{conversation.id}_{version}", max_chars=chats.MAX_BODY,
                            placeholder="Type a reply; with a file it becomes the caption")
        upload = st.file_uploader("Attach a file (optional)", type=chats.UPLOAD_EXTENSIONS, max_upload_size=100,
                                  key=f"reply_file_{conversation.id}_{version}")
        send = st.form_submit_button("Send reply", type="primary", icon=":material/send:")
    if send:
        attachment, problem = chats.check_attachment(upload.name, upload.type, upload.getvalue()) if upload else (
            None, None)
        problem = problem or chats.check_body(body, attachment)
        if problem:
            st.error(plain(problem), icon=":material/error:")
        else:
            ok, message, _ = session.run_write(
                "conversation.reply", f"conversation #{conversation.id}",
                lambda c: c.conversations.send(
                    conversation.id, body=body.strip() or None, reply_to=quote,
                    media=attachment.data if attachment else None, media_mime=attachment.mime if attachment else None,
                    media_filename=attachment.filename if attachment else None))
            if ok:
                st.session_state[REPLY_VERSION] = version + 1
                session.invalidate()
                st.toast(f"Reply sent in conversation #{conversation.id}.", icon=":material/check_circle:")
                st.rerun()
            st.error(f"Not sent: {plain(message)} Your text and file are kept: send again when ready (a send is never "
                     "retried automatically).",
                     icon=":material/error:")
