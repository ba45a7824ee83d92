"""Cells written to CSV and Excel files: a text that a spreadsheet would read as a formula is made inert.

OWASP's rule for CSV injection: a text cell starting with =, +, -, @, a tab or a carriage return gets a leading
apostrophe, so Excel, LibreOffice and Google Sheets show it as text instead of running it. Numbers, dates and
booleans are left as they are, and so is a text that is only a signed number ("-12,5", "+33 1 23 45 67 89"):
with no letter, no parenthesis and no reference it can carry no function, and it stays readable.
The import takes the apostrophe off again (`unneutralise`), so an exported table imports back unchanged.
"""

from __future__ import annotations

import re

import pandas as pd

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"
# A sign then only digits, spaces (French thousands), separators and maybe a percent sign.
_SIGNED_NUMBER = re.compile(r"^[+-][\d\s\u00a0\u202f.,]*\d[\d\s\u00a0\u202f.,]*%?$")


# Control characters an xlsx cannot hold (openpyxl raises on them, and the whole export is lost).
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value):
    """The value for a spreadsheet cell: a dangerous text prefixed with ', control characters that would
    break the file (the import refuses them; data/ could still hold one) made spaces, anything else unchanged."""
    if not isinstance(value, str):
        return value
    value = _UNWRITABLE.sub(" ", value)
    if value.startswith(DANGEROUS) and not _SIGNED_NUMBER.match(value):
        return PREFIX + value
    return value


def unneutralise(value):
    """What `neutralise` wrote, read back: the apostrophe in front of a dangerous character goes."""
    if isinstance(value, str) and value.startswith(PREFIX) and value[1:2] and value[1:].startswith(DANGEROUS):
        return value[1:]
    return value


def safe_frame(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame with every text cell and column name neutralised; numeric columns untouched."""
    frame = data.copy()
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        frame[column] = series.map(neutralise)
    if not isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [neutralise(c) for c in frame.columns]
    return frame
