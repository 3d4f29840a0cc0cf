"""Contacts: search, a paged list, and adding a contact."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import validation
from ui import session
from ui.plain_text import plain

PAGE_SIZE = 50
workspace = session.require()
st.title("Contacts")

with st.expander("Add a contact", icon=":material/person_add:",
                 expanded=bool(st.session_state.get("contact_form_error"))):
    if not workspace.can("contacts.manage"):
        st.caption("Adding contacts needs contacts.manage.")
    with st.form("add_contact"):
        name = st.text_input("Name", max_chars=200)
        phone = st.text_input("Phone (E.164)", placeholder="+6281234567890", max_chars=32)
        if st.form_submit_button("Add contact", disabled=not workspace.can("contacts.manage")):
            problem = validation.name(name) or validation.phone(phone)
            if problem:
                st.error(plain(problem))
            else:
                ok, message, contact = session.run_write(
                    "contact.create", phone.strip(),
                    lambda c: c.contacts.create(name=name.strip(), phone=phone.strip()))
                if ok:
                    session.invalidate()
                    st.success(f"Added contact #{contact.id}.")
                else:
                    st.error(plain(message))

query = st.text_input("Search", placeholder="name or phone", max_chars=200).strip()
contacts = session.read("contacts", q=query)  # the server searches names and phones
frame = pd.DataFrame([c.model_dump() for c in contacts], columns=["id", "name", "phone", "created_at"])
pages = max(1, math.ceil(len(frame) / PAGE_SIZE))
left, right = st.columns([1, 3])
page = left.number_input("Page", min_value=1, max_value=pages, value=1, step=1)
right.caption(f"{len(frame):,} contacts" + (" matching the search" if query else "") + f" · page {page} of {pages}")
start = (int(page) - 1) * PAGE_SIZE
st.dataframe(frame.iloc[start:start + PAGE_SIZE], hide_index=True, width="stretch",
             column_config={"created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm")})
