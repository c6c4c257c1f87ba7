"""CSV files for people to open in a spreadsheet, safe against formula injection.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and some
treat a leading tab or carriage return the same way), so text a customer or a rep typed
("=HYPERLINK(...)") would run on the back office's desktop when they open an export.
Every text cell that starts with one of them gets a leading apostrophe, which spreadsheets
show as plain text. Numbers are written as numbers: a negative amount stays -5.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

__all__ = ["CSV_MEDIA_TYPE", "FORMULA_STARTS", "csv_lines", "csv_text", "safe_cell"]

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal | float | bool | date | datetime | None


def safe_cell(value: Cell) -> str:
    """The cell as written: text that a spreadsheet would run is quoted, numbers are not."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A whole file: the header, then one line per row, every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_lines(rows: Iterable[Sequence[Cell]]) -> str:
    """Lines of a file written piece by piece (a streamed export), each cell through
    `safe_cell`; the header is one such line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
