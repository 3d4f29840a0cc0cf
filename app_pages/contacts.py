"""Contacts: search, a paged list, and adding a contact."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import validation
from dashboard.capabilities import Capability
from dashboard.capabilities import label as capability_label
from dashboard.clock import COLUMN_FORMAT
from ui import reads, session
from ui.clock import clock_for, zone_caption
from ui.plain_text import plain
from ui.tables import show_paged

workspace = session.require()
clock = clock_for(workspace)
st.title("Contacts")
zone_caption(clock)

with st.expander("Add a contact", icon=":material/person_add:",
                 expanded=bool(st.session_state.get("contact_form_error"))):
    if not workspace.can(Capability.CONTACTS_MANAGE):
        st.caption(f"Adding contacts needs the “{capability_label(Capability.CONTACTS_MANAGE)}” capability.")
    with st.form("add_contact"):
        name = st.text_input("Name", max_chars=200)
        phone = st.text_input("Phone (E.164)", placeholder="+6281234567890", max_chars=32)
        if st.form_submit_button("Add contact", disabled=not workspace.can(Capability.CONTACTS_MANAGE)):
            problem = validation.name(name) or validation.phone(phone)
            if problem:
                st.error(plain(problem))
            else:
                ok, message, contact = session.run_write(
                    "contact.create", phone.strip(),
                    lambda c: c.contacts.create(name=name.strip(), phone=phone.strip()))
                if ok:
                    reads.invalidate()
                    st.success(f"Added contact #{contact.id}.")
                else:
                    st.error(plain(message))

query = st.text_input("Search", placeholder="name or phone", max_chars=200).strip()
contacts = reads.CONTACTS(q=query)  # the server searches names and phones
frame = pd.DataFrame([c.model_dump() for c in contacts], columns=["id", "name", "phone", "created_at"])
frame["created_at"] = clock.column(frame["created_at"])
show_paged(frame, "contacts_page", ("contact matching the search", "contacts matching the search") if query
           else ("contact", "contacts"),
           column_config={"id": st.column_config.NumberColumn("#", width="small"), "name": "Name", "phone": "Phone",
                          "created_at": st.column_config.DatetimeColumn("Created", format=COLUMN_FORMAT)})
