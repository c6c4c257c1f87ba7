"""A table (a header and rows of cells) as a file to download: CSV or XLSX.

Every export of the desktop tables and of the dashboard goes through `export_response`, so
both formats say the same thing and are safe to open in a spreadsheet:

- CSV through `csv_export` (text a spreadsheet would run gets a leading apostrophe);
- XLSX (XlsxWriter) with numbers as numbers (a cent amount is exact in a double), days and
  times as ISO text, and every text cell written as a string, never parsed as a formula,
  a number or a URL. Text that starts like a formula also gets the "quote prefix" cell
  style, so editing the cell in a spreadsheet does not turn it into one either; the text
  itself is kept exactly as stored.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import xlsxwriter
from litestar import Response

from server.features.shared.csv_export import CSV_MEDIA_TYPE, FORMULA_STARTS, Cell, csv_text

__all__ = ["XLSX_MEDIA_TYPE", "ExportFormat", "export_response", "xlsx_bytes"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ExportFormat = Literal["csv", "xlsx"]

# A worksheet's name is at most 31 characters and some characters are not allowed.
_SHEET_NAME_LIMIT = 31


def xlsx_bytes(sheet_name: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A workbook of one sheet: the header in bold, then one row per row."""
    out = io.BytesIO()
    # Nothing is guessed from text: no formulas, numbers or links out of a string.
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    sheet = book.add_worksheet(sheet_name[:_SHEET_NAME_LIMIT])
    bold = book.add_format({"bold": True})
    quoted = book.add_format({"quote_prefix": True})
    for column, name in enumerate(header):
        sheet.write_string(0, column, name, bold)
    for index, row in enumerate(rows, start=1):
        _write_row(sheet, index, row, quoted)
    book.close()
    return out.getvalue()


def _write_row(sheet: Any, row: int, cells: Sequence[Cell], quoted: Any) -> None:
    for column, value in enumerate(cells):
        if value is None:
            continue
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, int | Decimal | float):
            sheet.write_number(row, column, float(value))
        elif isinstance(value, datetime | date):
            sheet.write_string(row, column, value.isoformat())
        elif value.startswith(FORMULA_STARTS):
            sheet.write_string(row, column, value, quoted)
        else:
            sheet.write_string(row, column, value)


def export_response(
    fmt: ExportFormat, name: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> Response[Any]:
    """The download `name.csv` or `name.xlsx` (one sheet called `name`)."""
    disposition = f'attachment; filename="{name}.{fmt}"'
    if fmt == "xlsx":
        return Response(
            xlsx_bytes(name, header, rows),
            media_type=XLSX_MEDIA_TYPE,
            headers={"content-disposition": disposition},
        )
    return Response(
        csv_text(header, rows),
        media_type=CSV_MEDIA_TYPE,
        headers={"content-disposition": disposition},
    )
