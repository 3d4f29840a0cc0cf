"""Placeholder until this page is written."""

import streamlit as st

st.title("devices")
st.info("Coming soon.")
