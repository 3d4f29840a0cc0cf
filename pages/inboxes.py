"""Placeholder until this page is written."""

import streamlit as st

st.title("inboxes")
st.info("Coming soon.")
