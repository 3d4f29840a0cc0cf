"""Placeholder until this page is written."""

import streamlit as st

st.title("audit_log")
st.info("Coming soon.")
