"""Send a message: to a new number or an existing contact, from a chosen device, text or a file with caption."""

from __future__ import annotations

import streamlit as st

from dashboard import conversations as chats
from dashboard import validation
from dashboard.capabilities import Capability
from dashboard.capabilities import label as capability_label
from ui import reads, session
from ui.plain_text import plain

SEND_VERSION = "send_form_version"
LAST_SENT = "send_last_result"
workspace = session.require()
st.title("Send a message")
st.caption("A send is never retried automatically: if it fails, your text and file stay here to send again.")
if not workspace.can(Capability.CHATS_SEND):
    st.warning(f"Sending needs the “{capability_label(Capability.CHATS_SEND)}” capability.", icon=":material/block:")
    st.stop()

last = st.session_state.pop(LAST_SENT, None)
if last:
    st.success(f"Sent: message #{last['message_id']} in conversation #{last['conversation_id']}.",
               icon=":material/check_circle:")

devices = reads.DEVICES()
mode = st.radio("Recipient", ["A new number", "An existing contact"], horizontal=True, key="send_recipient_mode")
contact_name = ""
if mode == "An existing contact":
    search = st.text_input("Find a contact", placeholder="name or phone", max_chars=200, key="send_contact_search")
    found = reads.CONTACTS(q=search.strip())[:100]
    contact = st.selectbox("Contact", found, index=None, placeholder="Choose a contact", key="send_contact",
                           format_func=lambda c: f"{c.name or 'No name'} · {c.phone}")
    to = contact.phone if contact else ""
    if not found:
        st.caption("No contact matches: try another search, or send to a new number.")
else:
    to = st.text_input("Phone (E.164)", placeholder="+6281234567890", max_chars=32, key="send_to")
    contact_name = st.text_input("Contact name (optional; used only when the number is new)", max_chars=200,
                                 key="send_name")

version = st.session_state.get(SEND_VERSION, 0)
with st.form("send_message"):
    device_id = st.selectbox("From device", [None, *[d.id for d in devices]], key="send_device",
                             format_func=lambda i: "The first connected device" if i is None else
                             chats.device_label(next(d for d in devices if d.id == i)))
    body = st.text_area("Message (the caption when a file is attached)", max_chars=chats.MAX_BODY,
                        key=f"send_body_{version}")
    upload = st.file_uploader("Attach a file (optional)", type=chats.UPLOAD_EXTENSIONS, max_upload_size=100,
                              key=f"send_file_{version}")
    submitted = st.form_submit_button("Send", type="primary", icon=":material/send:")

if submitted:
    attachment, problem = chats.check_attachment(upload.name, upload.type, upload.getvalue()) if upload else (
        None, None)
    problem = (("Choose a contact." if mode == "An existing contact" and not to else None)
               or validation.phone(to)
               or (validation.name(contact_name, "Contact name") if contact_name.strip() else None)
               or problem or chats.check_body(body, attachment))
    if problem:
        st.error(plain(problem), icon=":material/error:")
    else:
        ok, message, result = session.run_write(
            "message.send", to.strip(),
            lambda c: c.messages.send(
                to=to.strip(), body=body.strip() or None, device_id=device_id, name=contact_name.strip() or None,
                media=attachment.data if attachment else None, media_mime=attachment.mime if attachment else None,
                media_filename=attachment.filename if attachment else None))
        if ok:
            st.session_state[SEND_VERSION] = version + 1
            st.session_state[LAST_SENT] = {"message_id": result.message.id, "conversation_id": result.conversation_id}
            reads.invalidate()
            st.rerun()
        st.error(f"Not sent: {plain(message)} Your text and file are kept: send again when ready.",
                 icon=":material/error:")
