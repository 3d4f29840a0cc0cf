"""Placeholder until this page is written."""

import streamlit as st

st.title("roles")
st.info("Coming soon.")
