"""Finding 5, the tables' own way out: Streamlit's built-in table download does not escape formula-looking
cells, so it is switched off for every table; the dashboard's exports escape them (test_csv_injection.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_streamlits_own_table_download_is_switched_off():
    client = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["client"]
    assert client["disableDataExport"] is True
