"""CSV files for the spreadsheets town offices open them with: UTF-8 with a BOM, CRLF rows, and
no cell that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

#: A cell starting with one of these is a formula to Excel and LibreOffice (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

BOM = "\ufeff"


def safe_cell(value: object) -> str:
    """Return the cell as text; text that would start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_line(values: Iterable[object]) -> str:
    """Return one CRLF-terminated CSV line of safe cells."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(value) for value in values])
    return buffer.getvalue()


def csv_file(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """Return a whole CSV file: BOM, header, rows, UTF-8."""
    return (BOM + csv_line(header) + "".join(csv_line(row) for row in rows)).encode("utf-8")
