"""Streamlit helpers shared by app.py and the pages (the only layer, with them, that imports streamlit)."""
