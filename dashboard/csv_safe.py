"""CSV files a spreadsheet opens as data: every text cell that a spreadsheet would read as a formula
(it starts with =, +, -, @, a tab or a carriage return) gets a leading apostrophe.

Line breaks inside a cell are written as line feeds: a CSV writer whose lines end in a line feed does
not quote a lone carriage return, which a spreadsheet reads as the end of the row, starting a new row
with whatever follows it (CR then "=1" would become a row whose first cell is the formula =1).

Every CSV export of the dashboard goes through `to_csv` (or `safe_frame` when it writes a header line
of its own first), so no export can forget a column. An import reading our own export back takes the
apostrophe off again with `unescape_cell`.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LINE_BREAK = re.compile(r"\r\n?")


def safe_cell(value: object) -> object:
    """The value, with a leading ' when it is text a spreadsheet would run as a formula; line feeds only."""
    if not isinstance(value, str):
        return value
    return _LINE_BREAK.sub("\n", "'" + value if value.startswith(FORMULA_START) else value)


def unescape_cell(text: str) -> str:
    """A cell of a CSV read back: the text `safe_cell` was given."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def _safe_column(column: pd.Series) -> pd.Series:
    dtype = column.dtype
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return column  # numbers and times are written as numbers, never as formulas
    if isinstance(dtype, pd.StringDtype):
        # Vectorised for the large analytics exports; object columns may mix text with dates or lists.
        risky = column.str.startswith(FORMULA_START).fillna(False).astype(bool)
        return column.where(~risky, "'" + column).str.replace(_LINE_BREAK, "\n", regex=True)
    return column.map(safe_cell, na_action="ignore")  # object and categorical columns, cell by cell


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (every column that is not numbers or times, and the column names) are escaped."""
    out = frame.copy()
    for position in range(out.shape[1]):
        out.isetitem(position, _safe_column(out.iloc[:, position]))
    out.columns = [safe_cell(str(name)) for name in out.columns]
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV bytes with the header as the first row and every text cell escaped."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")
