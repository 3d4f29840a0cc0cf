"""Dashboard logic: everything the pages need that is worth testing without a browser (no streamlit here)."""
