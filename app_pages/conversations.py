"""Conversations, laid out as an inbox: the list on the left (search, filters, unread badges, paged), the
open thread on the right in a scrolling box with the reply form below it, always in view.

One conversation is open at a time (`OPEN_ID`), and the list, the picker, the thread and the address bar
(`?conversation=<id>`) all follow it: a link opens exactly that thread, and reply, read, solve and reopen
keep it open with its new state. Contact names and message bodies are shown as plain text only.
"""

from __future__ import annotations

import streamlit as st

from ceox_api.models import Conversation, Message
from dashboard import conversations as chats
from dashboard import receiver
from dashboard.capabilities import Capability
from dashboard.capabilities import label as capability_label
from dashboard.connection import Workspace
from ui import analytics as ui
from ui import reads, session
from ui.plain_text import plain

OPEN_ID = "open_conversation_id"
PICKER = "open_conversation"
LIST_PAGE = "conversation_list_page"
REPLY_VERSION = "reply_form_version"
LOADED_MEDIA = "loaded_media"
EVENTS_SEEN = "conversation_events_seen"
THREAD_TAIL = 50
THREAD_HEIGHT = 350  # px: thread, header and reply form fit a 900 px high window together
LIST_HEIGHT = 420  # px: with the filters above it, ends where the reply form does
AVATARS = {chats.Sender.CONTACT: ":material/person:", chats.Sender.AGENT: ":material/support_agent:",
           chats.Sender.DASHBOARD: ":material/dashboard:", chats.Sender.AUTOMATED: ":material/smart_toy:"}
workspace = session.require()
can_send = workspace.can(Capability.CHATS_SEND)
zone = ui.settings_for(workspace).zone


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
            st.image(data, width=320 if message.media_type == "image" else 160)
        except Exception:  # noqa: BLE001 (a damaged or unusual image is offered as a download instead)
            st.text("This image cannot be previewed.")
    elif message.media_type == "audio":
        st.audio(data, format=mime)
    elif message.media_type == "video":
        st.video(data, format=mime)
    st.download_button("Download", data, file_name=name, mime=mime or chats.DOWNLOAD_TYPE,
                       key=f"download_media_{message.id}", icon=":material/download:")


def open_conversation(conversation_id: int) -> None:
    """Make this the open conversation, and the address bar say so (a reload or a copied link opens it)."""
    st.session_state[OPEN_ID] = conversation_id
    st.query_params["conversation"] = str(conversation_id)


def picked(key: str) -> None:
    chosen = st.session_state.get(key)
    if isinstance(chosen, int):
        open_conversation(chosen)


def act(action: str, conversation: Conversation, call, done: str) -> None:
    ok, message, _ = session.run_write(action, f"conversation #{conversation.id}", call)
    if ok:
        reads.invalidate()
        st.toast(done, icon=":material/check_circle:")
        st.rerun()
    st.error(plain(message), icon=":material/error:")


@st.fragment(run_every="1s")  # one local query a second: a new message shows within a couple of seconds
def follow_receiver() -> None:
    """New messages without a click: when the built-in receiver stores an event for this workspace,
    reread the list and the thread (a local query; nothing is asked of the service until then)."""
    newest = receiver.newest_event_id(workspace.workspace_id)  # (not the count: it stops at receiver.KEEP)
    seen = st.session_state.setdefault(EVENTS_SEEN, newest)
    if newest != seen:
        st.session_state[EVENTS_SEEN] = newest
        reads.invalidate()
        st.rerun(scope="app")


# --- which conversation is open ---------------------------------------------------------------------------
refused: str | None = None
link = st.query_params.get("conversation")
if link is not None:
    linked = chats.linked_id(link)
    if linked is None:
        refused = "This link does not name a conversation: its conversation number is not a number."
        del st.query_params["conversation"]
    else:
        st.session_state[OPEN_ID] = linked

everything = reads.CONVERSATIONS(status="all")
visible = {c.id: c for c in everything}
open_id = st.session_state.get(OPEN_ID)
if open_id is not None and open_id not in visible:
    refused = (f"Conversation #{open_id} is not one you can see: it does not exist, or it belongs to an inbox "
               "outside yours.")
    st.session_state.pop(OPEN_ID, None)
    st.query_params.pop("conversation", None)
    open_id = None

st.title("Conversations")
list_col, thread_col = st.columns([2, 3], gap="medium")

# --- the list ---------------------------------------------------------------------------------------------
with list_col:
    devices, inboxes = reads.DEVICES(), reads.INBOXES()
    query = st.text_input("Search", placeholder="contact name or phone", max_chars=200, key="conversation_search",
                          label_visibility="collapsed")
    status_label = st.segmented_control("Status", list(chats.STATUS_FILTERS), default="Open",
                                        key="conversation_status", label_visibility="collapsed") or "All"
    with st.expander("Inbox, device, unread", icon=":material/filter_list:"):
        inbox_ids = st.multiselect("Inbox", [i.id for i in inboxes], key="conversation_inboxes",
                                   format_func=lambda i: next(x.name for x in inboxes if x.id == i))
        device_ids = st.multiselect("Device", [d.id for d in devices], key="conversation_devices",
                                    format_func=lambda i: next(chats.device_label(d) for d in devices if d.id == i))
        unread_only = st.toggle("Unread only", key="conversation_unread")
    shown = chats.filter_conversations(everything, status=chats.STATUS_FILTERS[status_label], device_ids=device_ids,
                                       inbox_ids=inbox_ids, unread_only=unread_only, query=query)
    if open_id is None and shown and refused is None:
        open_id = shown[0].id  # nothing chosen yet: the latest activity
        open_conversation(open_id)
    opened = visible.get(open_id) if open_id is not None else None
    # The page picker's key holds the page count: when the filters change it, the list starts on page 1.
    page_key = f"{LIST_PAGE}_{-(-len(shown) // chats.PAGE_SIZE)}"
    page = chats.list_page(shown, st.session_state.get(page_key, 1) - 1, opened)
    unread_total = sum(c.unread > 0 for c in shown)
    st.caption(f"{len(shown):,} of {len(everything):,} conversations · {unread_total:,} with unread messages")
    frame = chats.conversations_frame(page.rows, inboxes)
    selected = [0] if page.pinned else [i for i, c in enumerate(page.rows) if c.id == open_id]
    # The key names the rows and the open conversation: a new list or another open conversation is a new
    # table whose selection starts on the open one, so the table never keeps a row that is no longer it.
    fingerprint = hash((tuple(frame["id"].tolist()), open_id))
    table = st.dataframe(frame, hide_index=True, width="stretch", key=f"conversation_table_{fingerprint}",
                         height=min(LIST_HEIGHT, 38 + 35 * max(len(frame), 1)),
                         on_select="rerun", selection_mode="single-row",
                         selection_default={"selection": {"rows": selected}},
                         column_order=["contact", "unread", "last", "last_message", "status", "inbox"],
                         column_config={
                             "contact": st.column_config.TextColumn("Contact", width="medium"),
                             "unread": st.column_config.NumberColumn("New", format="● %d", width="small",
                                                                     help="Unread messages"),
                             "last": st.column_config.TextColumn("Last message", width="small"),
                             "last_message": st.column_config.TextColumn("Preview", width="medium"),
                             "status": st.column_config.TextColumn("Status", width="small"),
                             "inbox": st.column_config.TextColumn("Inbox", width="small")},
                         placeholder="")
    rows = table.selection.rows if table is not None else []
    if rows and rows != selected and rows[0] < len(frame):
        open_conversation(int(frame.iloc[rows[0]]["id"]))
        st.rerun()
    if page.pinned and opened is not None:
        where = "not in this list" if chats.page_of(shown, opened.id) is None else "on another page"
        st.caption(f"Conversation #{opened.id} ({opened.status}) is kept first while it is open: it is {where}.")
    if page.pages > 1:
        st.pagination(page.pages, key=page_key)
    if opened is not None:
        # The picker lists this page's conversations and always the open one. Its key follows the open
        # conversation and the labels: a label that changed (solved, read) is a new picker on the open
        # conversation, never a stale text the browser sends back.
        options = [c.id for c in page.rows]
        labels = [chats.label(visible[i]) for i in options]
        picker_key = f"{PICKER}_{hash((opened.id, *labels))}"
        st.selectbox("Open conversation", options, index=options.index(opened.id), key=picker_key,
                     on_change=picked, args=(picker_key,), format_func=lambda i: labels[options.index(i)])
    follow_receiver()

# --- the thread -------------------------------------------------------------------------------------------
with thread_col:
    if refused:
        st.warning(refused, icon=":material/block:")
    if opened is None:
        if not shown:
            st.info("No conversation matches these filters.", icon=":material/filter_alt_off:")
        st.stop()
    conversation = opened
    inbox_names = {i.id: i.name for i in inboxes}
    head, read_col, state_col = st.columns([4, 1.4, 1.4], vertical_alignment="center")
    head.subheader(f"Conversation #{conversation.id}")
    if read_col.button("Read", icon=":material/mark_chat_read:", help="Mark read",
                       disabled=not can_send or conversation.unread == 0):
        act("conversation.read", conversation, lambda c: c.conversations.read(conversation.id),
            f"Conversation #{conversation.id} marked read.")
    if conversation.status == "solved":
        if state_col.button("Reopen", icon=":material/replay:", disabled=not can_send):
            act("conversation.reopen", conversation, lambda c: c.conversations.reopen(conversation.id),
                f"Conversation #{conversation.id} reopened.")
    elif state_col.button("Solve", icon=":material/task_alt:", disabled=not can_send):
        act("conversation.solve", conversation, lambda c: c.conversations.solve(conversation.id),
            f"Conversation #{conversation.id} solved.")
    group = " · group" if conversation.is_group else ""
    st.text(f"{conversation.contact_name or 'No name'} · {conversation.contact_phone}{group}")
    st.text(f"{conversation.device_name} ({conversation.device_phone}) · "
            f"{inbox_names.get(conversation.inbox_id, 'no inbox')} · {conversation.status} · "
            f"{conversation.unread:,} unread")

    messages = reads.MESSAGES(conversation_id=conversation.id)
    entries = chats.thread(messages, conversation.contact_name or conversation.contact_phone,
                           ui.names(workspace).agents, chats.sent_here(workspace.workspace_id, conversation.id), zone)
    with st.container(height=THREAD_HEIGHT, key="thread_box"):
        if len(entries) > THREAD_TAIL and not st.toggle(f"Show all {len(entries):,} messages", key="thread_show_all"):
            st.caption(f"The last {THREAD_TAIL} of {len(entries):,} messages.")
            entries = entries[-THREAD_TAIL:]
        if not entries:
            st.text("No messages in this conversation yet.")
        for entry in entries:
            message = entry.message
            with st.chat_message(entry.sender.value, avatar=AVATARS[entry.sender]):
                st.text(f"{entry.who} · {entry.when} · {message.status}")
                if entry.quoted is not None:
                    st.text(f"│ replying to: {chats.snippet(entry.quoted)}")
                elif entry.quoted_missing:
                    st.text("│ replying to an earlier message")
                if message.body:
                    st.text(message.body)
                if message.media_url:
                    show_media(message)
    st.caption(f"Times in {zone.key}.")

    # --- reply ----------------------------------------------------------------------------------------
    if not can_send:
        st.caption("Replying, marking read, solving and reopening need the "
                   f"“{capability_label(Capability.CHATS_SEND)}” capability.")
        st.stop()
    version = st.session_state.get(REPLY_VERSION, 0)
    quotable = [m for m in messages if m.wa_message_id][-30:][::-1]
    by_wa_id = {m.wa_message_id: m for m in quotable}
    with st.form(f"reply_{conversation.id}", border=False):
        body = st.text_area("Reply", key=f"reply_body_{conversation.id}_{version}", max_chars=chats.MAX_BODY,
                            height=80, placeholder="Type a reply; with a file it becomes the caption")
        extras, send_col = st.columns([3, 1.4], vertical_alignment="top")
        with extras.expander("Quote or attach", icon=":material/attach_file:"):
            quote = st.selectbox("Quote a message (optional)", [None, *by_wa_id],
                                 key=f"reply_quote_{conversation.id}_{version}",
                                 format_func=lambda w: "No quote" if w is None else chats.snippet(by_wa_id[w], 100))
            upload = st.file_uploader("Attach a file (optional)", type=chats.UPLOAD_EXTENSIONS, max_upload_size=100,
                                      key=f"reply_file_{conversation.id}_{version}")
        send = send_col.form_submit_button("Send reply", type="primary", icon=":material/send:", width="stretch")
    if send:
        attachment, problem = chats.check_attachment(upload.name, upload.type, upload.getvalue()) if upload else (
            None, None)
        problem = problem or chats.check_body(body, attachment)
        if problem:
            st.error(plain(problem), icon=":material/error:")
        else:
            ok, outcome, sent = session.run_write(
                "conversation.reply", f"conversation #{conversation.id}",
                lambda c: c.conversations.send(
                    conversation.id, body=body.strip() or None, reply_to=quote,
                    media=attachment.data if attachment else None, media_mime=attachment.mime if attachment else None,
                    media_filename=attachment.filename if attachment else None))
            if ok:
                chats.remember_sent(workspace.workspace_id, conversation.id, sent.id)
                st.session_state[REPLY_VERSION] = version + 1
                reads.invalidate()
                st.toast(f"Reply sent in conversation #{conversation.id}.", icon=":material/check_circle:")
                st.rerun()
            st.error(f"Not sent: {plain(outcome)} Your text and file are kept: send again when ready (a send is never "
                     "retried automatically).",
                     icon=":material/error:")
